#include "billing/sales_index.h"

#include <algorithm>
#include <utility>

namespace gavel::billing {
namespace {

void PutClick(const AttributedClick& c, std::string* out) {
  internal::PutBytes(out, c.client_event_id);
  internal::PutSigned(out, absl::ToUnixMicros(c.time));
  internal::PutFixed64(out, c.user_hash);
  for (const std::string* s :
       {&c.campaign_id, &c.ad_group_id, &c.ad_id, &c.product_id, &c.advertiser_id}) {
    internal::PutBytes(out, *s);
  }
  internal::PutSigned(out, c.day);
}

bool GetClick(internal::ByteReader* in, AttributedClick* c) {
  int64_t time;
  if (!in->Bytes(&c->client_event_id) || !in->Signed(&time) || !in->Fixed64(&c->user_hash)) {
    return false;
  }
  for (std::string* s :
       {&c->campaign_id, &c->ad_group_id, &c->ad_id, &c->product_id, &c->advertiser_id}) {
    if (!in->Bytes(s)) return false;
  }
  c->time = absl::FromUnixMicros(time);
  return in->Signed(&c->day);
}

}  // namespace

std::optional<AttributedClick> ClickOf(const EventRecord& r) {
  if (r.type != TokenType::kClick || r.outcome != Outcome::kCharged || r.user_hash == 0) {
    return std::nullopt;
  }
  return AttributedClick{.client_event_id = r.client_event_id,
                         .time = r.time,
                         .user_hash = r.user_hash,
                         .campaign_id = r.campaign_id,
                         .ad_group_id = r.ad_group_id,
                         .ad_id = r.ad_id,
                         .product_id = r.product_id,
                         .advertiser_id = r.advertiser_id,
                         .day = r.day};
}

bool SalesIndex::AddLine(const PurchaseLine& line) {
  MutexLock lock(&mu_);
  if (!line_keys_.insert(LineKey(line.order_id, line.line)).second) return false;
  lines_by_user_[line.user_hash].push_back(lines_.size());
  lines_.push_back(line);
  return true;
}

bool SalesIndex::HasLine(absl::string_view order_id, int32_t line) const {
  ReaderMutexLock lock(&mu_);
  return line_keys_.contains(LineKey(order_id, line));
}

void SalesIndex::AddClick(AttributedClick click) {
  MutexLock lock(&mu_);
  clicks_by_campaign_[click.campaign_id].push_back(clicks_.size());
  clicks_by_user_[click.user_hash].push_back(clicks_.size());
  clicks_.push_back(std::move(click));
}

ClickShoppers SalesIndex::CampaignShoppers(absl::string_view campaign_id, int64_t from_day,
                                           int64_t to_day) const {
  ReaderMutexLock lock(&mu_);
  ClickShoppers out;
  auto it = clicks_by_campaign_.find(campaign_id);
  if (it == clicks_by_campaign_.end()) return out;
  for (size_t i : it->second) {
    const AttributedClick& c = clicks_[i];
    if (c.day < from_day || c.day > to_day) continue;
    out.users.push_back(c.user_hash);
    out.first = std::min(out.first, c.time);
    out.last = std::max(out.last, c.time);
  }
  std::sort(out.users.begin(), out.users.end());
  out.users.erase(std::unique(out.users.begin(), out.users.end()), out.users.end());
  return out;
}

void SalesIndex::ShopperActivity(absl::Span<const uint64_t> users, absl::Time from, absl::Time to,
                                 std::vector<AttributedClick>* clicks,
                                 std::vector<PurchaseLine>* lines) const {
  ReaderMutexLock lock(&mu_);
  size_t n_clicks = clicks->size(), n_lines = lines->size();
  for (uint64_t u : users) {
    if (auto c = clicks_by_user_.find(u); c != clicks_by_user_.end()) n_clicks += c->second.size();
    if (auto l = lines_by_user_.find(u); l != lines_by_user_.end()) n_lines += l->second.size();
  }
  clicks->reserve(n_clicks);
  lines->reserve(n_lines);
  for (uint64_t u : users) {
    if (auto c = clicks_by_user_.find(u); c != clicks_by_user_.end()) {
      for (size_t i : c->second) {
        if (clicks_[i].time >= from && clicks_[i].time < to) clicks->push_back(clicks_[i]);
      }
    }
    if (auto l = lines_by_user_.find(u); l != lines_by_user_.end()) {
      for (size_t i : l->second) {
        if (lines_[i].time >= from && lines_[i].time < to) lines->push_back(lines_[i]);
      }
    }
  }
}

void SalesIndex::Serialize(std::string* out) const {
  ReaderMutexLock lock(&mu_);
  internal::PutVarint(out, clicks_.size());
  for (const AttributedClick& c : clicks_) PutClick(c, out);
  internal::PutVarint(out, lines_.size());
  for (const PurchaseLine& l : lines_) {
    // The ledger record's bytes: one encoding of a line.
    internal::PutBytes(out, EncodePurchaseRecord(l));
  }
}

bool SalesIndex::Restore(internal::ByteReader* in) {
  uint64_t n;
  if (!in->Varint(&n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    AttributedClick c;
    if (!GetClick(in, &c)) return false;
    AddClick(std::move(c));
  }
  if (!in->Varint(&n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    std::string payload;
    if (!in->Bytes(&payload)) return false;
    absl::StatusOr<PurchaseLine> line = DecodePurchaseRecord(payload);
    if (!line.ok()) return false;
    AddLine(*line);
  }
  return true;
}

}  // namespace gavel::billing
