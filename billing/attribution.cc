#include "billing/attribution.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gavel::billing {
namespace {

// The latest of `by_time` that `accept`s, within the window before `t`.
template <typename Accept>
const AttributedClick* Latest(absl::Span<const AttributedClick* const> by_time, absl::Time t,
                              absl::Duration window, Accept accept) {
  for (auto it = by_time.rbegin(); it != by_time.rend(); ++it) {
    const AttributedClick& c = **it;
    if (c.time > t) continue;         // a purchase before the click
    if (t >= c.time + window) break;  // this click and every earlier one are out of window
    if (accept(c)) return *it;
  }
  return nullptr;
}

}  // namespace

bool ClickEarlier(const AttributedClick& a, const AttributedClick& b) {
  return std::tie(a.time, a.client_event_id) < std::tie(b.time, b.client_event_id);
}

absl::Status CheckAttributionWindow(int days, absl::string_view field) {
  for (int d : kAttributionWindowDays) {
    if (d == days) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, " must be one of ", absl::StrJoin(kAttributionWindowDays, ", "), ", got ", days));
}

std::optional<LineAttribution> AttributeLine(absl::Span<const AttributedClick* const> by_time,
                                             const PurchaseLine& line, absl::Duration window,
                                             const AdvertisesFn& advertises) {
  if (line.user_hash == 0) return std::nullopt;
  const AttributedClick* same = Latest(by_time, line.time, window, [&](const AttributedClick& c) {
    return c.user_hash == line.user_hash && c.product_id == line.product_id;
  });
  if (same != nullptr) return LineAttribution{same, SaleKind::kSameProduct};
  const AttributedClick* halo = Latest(by_time, line.time, window, [&](const AttributedClick& c) {
    return c.user_hash == line.user_hash && c.product_id != line.product_id &&
           advertises(c.advertiser_id, line.product_id);
  });
  if (halo != nullptr) return LineAttribution{halo, SaleKind::kHalo};
  return std::nullopt;
}

std::optional<LineAttribution> AttributeCandidates(std::vector<const AttributedClick*>* candidates,
                                                   const PurchaseLine& line, absl::Duration window,
                                                   const AdvertisesFn& advertises) {
  std::sort(
      candidates->begin(), candidates->end(),
      [](const AttributedClick* a, const AttributedClick* b) { return ClickEarlier(*a, *b); });
  return AttributeLine(*candidates, line, window, advertises);
}

bool AttributionCandidates::InWindow(const AttributedClick& click, const PurchaseLine& line) {
  return click.user_hash == line.user_hash && line.user_hash != 0 && click.time <= line.time &&
         line.time < click.time + kMaxAttributionWindow;
}

std::vector<Attribution> Attribute(absl::Span<const AttributedClick> clicks,
                                   absl::Span<const PurchaseLine> lines, absl::Duration window,
                                   const AdvertisesFn& advertises) {
  absl::flat_hash_map<uint64_t, std::vector<const AttributedClick*>> by_user;
  for (const AttributedClick& c : clicks) {
    if (c.user_hash != 0) by_user[c.user_hash].push_back(&c);
  }
  for (auto& [user, by_time] : by_user) {
    std::sort(
        by_time.begin(), by_time.end(),
        [](const AttributedClick* a, const AttributedClick* b) { return ClickEarlier(*a, *b); });
  }
  std::vector<Attribution> out;
  for (size_t l = 0; l < lines.size(); ++l) {
    auto user = by_user.find(lines[l].user_hash);
    if (lines[l].user_hash == 0 || user == by_user.end()) continue;
    if (std::optional<LineAttribution> a =
            AttributeLine(user->second, lines[l], window, advertises)) {
      out.push_back({l, static_cast<size_t>(a->click - clicks.data()), a->kind});
    }
  }
  return out;
}

SalesAccumulator::SalesAccumulator(std::string campaign_id, const CampaignStats& stats,
                                   OrderNumbers* order_numbers)
    : campaign_id_(std::move(campaign_id)),
      order_numbers_(order_numbers != nullptr ? order_numbers : &own_numbers_),
      orders_(stats.days.size()) {
  report_.total.date = stats.total.date;
  report_.total.delivery = stats.total.counters;
  for (const DailyStats& d : stats.days) {
    row_of_[d.date - absl::CivilDay(1970, 1, 1)] = report_.days.size();
    report_.days.push_back({.date = d.date, .delivery = d.counters});
  }
}

absl::string_view OrderNumbers::Keep(absl::string_view id) {
  constexpr size_t kBlockSize = 64 << 10;
  if (block_used_ + id.size() > block_size_) {
    block_size_ = std::max(kBlockSize, id.size());
    blocks_.push_back(std::make_unique<char[]>(block_size_));
    block_used_ = 0;
  }
  char* at = blocks_.back().get() + block_used_;
  std::memcpy(at, id.data(), id.size());
  block_used_ += id.size();
  return absl::string_view(at, id.size());
}

uint32_t OrderNumbers::Of(absl::string_view order_id) {
  if (has_last_ && order_id == last_id_) return last_;
  auto it = numbers_.find(order_id);
  if (it == numbers_.end()) {
    it = numbers_.emplace(Keep(order_id), static_cast<uint32_t>(numbers_.size())).first;
  }
  last_id_ = it->first;
  last_ = it->second;
  has_last_ = true;
  return last_;
}

void SalesAccumulator::Reserve(size_t lines) {
  order_numbers_->Reserve(lines);
  counted_.reserve(lines);
  if (orders_.empty()) return;
  for (auto& day : orders_) day.reserve(2 * lines / orders_.size());
}

int64_t CountDistinct(std::vector<uint32_t>* numbers) {
  std::sort(numbers->begin(), numbers->end());
  numbers->erase(std::unique(numbers->begin(), numbers->end()), numbers->end());
  return static_cast<int64_t>(numbers->size());
}

void SalesAccumulator::Add(const AttributedClick& click, const PurchaseLine& line, SaleKind kind) {
  if (click.campaign_id != campaign_id_) return;
  auto it = row_of_.find(click.day);
  if (it == row_of_.end()) return;
  const size_t row = it->second;
  for (SalesCounters* s : {&report_.days[row].sales, &report_.total.sales}) {
    (kind == SaleKind::kSameProduct ? s->same_product_sales_micros : s->halo_sales_micros) +=
        line.sales_micros();
  }
  if (line.quantity > 0) {
    const uint32_t n = order_numbers_->Of(line.order_id);
    orders_[row].push_back(n);
    if (n >= counted_.size()) counted_.resize(n + 1);
    if (!counted_[n]) {
      counted_[n] = true;
      ++total_orders_;
    }
  }
}

SalesReport SalesAccumulator::Finish() && {
  for (size_t i = 0; i < report_.days.size(); ++i) {
    report_.days[i].sales.orders = CountDistinct(&orders_[i]);
  }
  report_.total.sales.orders = total_orders_;
  return std::move(report_);
}

SalesReport BuildSalesReport(absl::string_view campaign_id, const CampaignStats& stats,
                             absl::Span<const AttributedClick> clicks,
                             absl::Span<const PurchaseLine> lines,
                             absl::Span<const Attribution> attributions) {
  SalesAccumulator acc(std::string(campaign_id), stats);
  for (const Attribution& a : attributions) acc.Add(clicks[a.click], lines[a.line], a.kind);
  return std::move(acc).Finish();
}

SalesMetrics MetricsOf(const SalesDay& row) {
  SalesMetrics m;
  const StatsCounters& d = row.delivery;
  const int64_t sales = row.sales.sales_micros();
  if (sales > 0) m.acos = static_cast<double>(d.spend_micros) / static_cast<double>(sales);
  if (d.spend_micros > 0) {
    m.roas = static_cast<double>(sales) / static_cast<double>(d.spend_micros);
  }
  if (d.impressions > 0) m.ctr = static_cast<double>(d.clicks) / static_cast<double>(d.impressions);
  if (d.clicks > 0) {
    m.cvr = static_cast<double>(row.sales.orders) / static_cast<double>(d.clicks);
    m.average_cpc_micros = d.spend_micros / d.clicks;
  }
  return m;
}

}  // namespace gavel::billing
