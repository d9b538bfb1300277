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
  internal::PutVarint(out, static_cast<uint32_t>(c.placement));
  internal::PutBytes(out, c.target_id);
  internal::PutBytes(out, c.search_term);
}

bool GetClick(internal::ByteReader* in, bool with_dimensions, AttributedClick* c) {
  int64_t time;
  if (!in->Bytes(&c->client_event_id) || !in->Signed(&time) || !in->Fixed64(&c->user_hash)) {
    return false;
  }
  for (std::string* s :
       {&c->campaign_id, &c->ad_group_id, &c->ad_id, &c->product_id, &c->advertiser_id}) {
    if (!in->Bytes(s)) return false;
  }
  c->time = absl::FromUnixMicros(time);
  if (!in->Signed(&c->day)) return false;
  if (!with_dimensions) return true;
  uint64_t placement;
  if (!in->Varint(&placement) || placement > INT32_MAX || !in->Bytes(&c->target_id) ||
      !in->Bytes(&c->search_term)) {
    return false;
  }
  c->placement = static_cast<int32_t>(placement);
  return true;
}

}  // namespace

std::string EncodeCandidates(absl::Span<const AttributedClick> clicks) {
  std::string out;
  internal::PutVarint(&out, clicks.size());
  for (const AttributedClick& c : clicks) PutClick(c, &out);
  return out;
}

bool DecodeCandidates(absl::string_view bytes, std::vector<AttributedClick>* out) {
  internal::ByteReader in(bytes);
  uint64_t n;
  if (!in.Varint(&n) || n > bytes.size()) return false;
  out->resize(n);
  for (AttributedClick& c : *out) {
    if (!GetClick(&in, /*with_dimensions=*/true, &c)) return false;
  }
  return in.empty();
}

std::string EncodeLineEntry(const PurchaseLine& line, absl::string_view encoded_candidates) {
  std::string out;
  internal::PutBytes(&out, EncodePurchaseRecord(line));
  out.append(encoded_candidates.data(), encoded_candidates.size());
  return out;
}

bool DecodeLineEntry(absl::string_view bytes, PurchaseLine* line,
                     std::vector<AttributedClick>* candidates) {
  internal::ByteReader in(bytes);
  absl::string_view record;
  return in.BytesView(&record) && DecodePurchaseRecordInto(record, line) &&
         DecodeCandidates(in.rest(), candidates);
}

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
                         .day = r.day,
                         .placement = r.placement,
                         .target_id = r.target_id,
                         .search_term = r.search_term};
}

void SalesIndex::Offer(size_t line, size_t click) {
  std::vector<size_t>& kept = candidates_[line];
  const AttributedClick& c = clicks_[click];
  // Registered already if a kept click of the same campaign counted for the same day.
  bool registered = false;
  for (size_t k : kept) {
    registered |= clicks_[k].day == c.day && clicks_[k].campaign_id == c.campaign_id;
  }
  // Lambdas are outside the lock analysis: they see the vectors through pointers taken here.
  const AttributedClick* clicks = clicks_.data();
  auto get = [&](size_t i) -> const AttributedClick& { return clicks[i]; };
  if (!AttributionCandidates::Offer(&kept, click, lines_[line], get)) return;
  if (!registered) lines_by_campaign_[c.campaign_id].push_back({c.day, line});
}

bool SalesIndex::AddLine(const PurchaseLine& line) {
  MutexLock lock(&mu_);
  if (!line_keys_.insert(LineKey(line.order_id, line.line)).second) return false;
  const size_t index = lines_.size();
  lines_.push_back(line);
  candidates_.emplace_back();
  const PurchaseLine* all_lines = lines_.data();
  const AttributedClick* all_clicks = clicks_.data();
  std::vector<size_t>& mine = lines_by_user_[line.user_hash];
  mine.insert(std::upper_bound(mine.begin(), mine.end(), line.time,
                               [&](absl::Time t, size_t i) { return t < all_lines[i].time; }),
              index);
  // The shopper's clicks at c with t - kMaxAttributionWindow < c <= t.
  auto clicks = clicks_by_user_.find(line.user_hash);
  if (clicks == clicks_by_user_.end()) return true;
  const std::vector<size_t>& by_time = clicks->second;
  auto end = std::upper_bound(by_time.begin(), by_time.end(), line.time,
                              [&](absl::Time t, size_t i) { return t < all_clicks[i].time; });
  for (auto it = end; it != by_time.begin();) {
    --it;
    if (line.time >= clicks_[*it].time + kMaxAttributionWindow) break;
    Offer(index, *it);
  }
  return true;
}

bool SalesIndex::HasLine(absl::string_view order_id, int32_t line) const {
  ReaderMutexLock lock(&mu_);
  return line_keys_.contains(LineKey(order_id, line));
}

void SalesIndex::AddClick(AttributedClick click) {
  MutexLock lock(&mu_);
  const size_t index = clicks_.size();
  clicks_by_campaign_[click.campaign_id].push_back(index);
  clicks_.push_back(std::move(click));
  const AttributedClick& c = clicks_.back();
  const PurchaseLine* all_lines = lines_.data();
  const AttributedClick* all_clicks = clicks_.data();
  std::vector<size_t>& mine = clicks_by_user_[c.user_hash];
  mine.insert(std::upper_bound(
                  mine.begin(), mine.end(), index,
                  [&](size_t a, size_t b) { return ClickEarlier(all_clicks[a], all_clicks[b]); }),
              index);
  // A click that arrives after purchases it precedes: the shopper's lines at t with
  // c <= t < c + kMaxAttributionWindow.
  auto lines = lines_by_user_.find(c.user_hash);
  if (lines == lines_by_user_.end()) return;
  const std::vector<size_t>& by_time = lines->second;
  for (auto it = std::lower_bound(by_time.begin(), by_time.end(), c.time,
                                  [&](size_t i, absl::Time t) { return all_lines[i].time < t; });
       it != by_time.end() && lines_[*it].time < c.time + kMaxAttributionWindow; ++it) {
    Offer(*it, index);
  }
}

void SalesIndex::ForEachAttributed(
    absl::string_view campaign_id, int64_t from_day, int64_t to_day, absl::Duration window,
    const AdvertisesFn& advertises, const std::function<void(size_t lines)>& reserve,
    const std::function<void(const AttributedClick&, const PurchaseLine&, SaleKind)>& add) const {
  auto it = lines_by_campaign_.find(campaign_id);
  if (it == lines_by_campaign_.end()) return;
  std::vector<bool> seen(lines_.size());  // a line registered for several days is ruled once
  std::vector<size_t> lines;
  for (const CampaignLine& cl : it->second) {
    if (cl.day < from_day || cl.day > to_day || seen[cl.line]) continue;
    seen[cl.line] = true;
    lines.push_back(cl.line);
  }
  reserve(lines.size());
  std::vector<const AttributedClick*> by_time;
  for (size_t l : lines) {
    by_time.clear();
    for (size_t k : candidates_[l]) by_time.push_back(&clicks_[k]);
    if (std::optional<LineAttribution> a =
            AttributeCandidates(&by_time, lines_[l], window, advertises)) {
      add(*a->click, lines_[l], a->kind);
    }
  }
}

SalesReport SalesIndex::Report(absl::string_view campaign_id, const CampaignStats& stats,
                               absl::Duration window, const AdvertisesFn& advertises,
                               DimensionSalesAccumulator* dimension) const {
  SalesAccumulator acc(std::string(campaign_id), stats,
                       dimension != nullptr ? dimension->order_numbers() : nullptr);
  if (stats.days.empty()) return std::move(acc).Finish();
  const absl::CivilDay epoch(1970, 1, 1);
  const int64_t from_day = stats.days.front().date - epoch, to_day = stats.days.back().date - epoch;
  ReaderMutexLock lock(&mu_);
  ForEachAttributed(
      campaign_id, from_day, to_day, window, advertises, [&](size_t lines) { acc.Reserve(lines); },
      [&](const AttributedClick& c, const PurchaseLine& l, SaleKind k) {
        acc.Add(c, l, k);
        if (dimension != nullptr) dimension->Add(c, l, k);
      });
  return std::move(acc).Finish();
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

bool SalesIndex::Restore(internal::ByteReader* in, bool with_dimensions) {
  uint64_t n;
  if (!in->Varint(&n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    AttributedClick c;
    if (!GetClick(in, with_dimensions, &c)) return false;
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
