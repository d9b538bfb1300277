#include "billing/attribution.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gavel::billing {
namespace {

// (time, client_event_id): the order "latest" refers to.
bool Earlier(const AttributedClick& a, const AttributedClick& b) {
  return std::tie(a.time, a.client_event_id) < std::tie(b.time, b.client_event_id);
}

// The latest of `candidates` (indices into `clicks`, sorted by Earlier) that `accept`s, within
// the window before `t`.
template <typename Accept>
std::optional<size_t> Latest(absl::Span<const AttributedClick> clicks,
                             const std::vector<size_t>& by_time, absl::Time t,
                             absl::Duration window, Accept accept) {
  for (auto it = by_time.rbegin(); it != by_time.rend(); ++it) {
    const AttributedClick& c = clicks[*it];
    if (c.time > t) continue;               // a purchase before the click
    if (t >= c.time + window) break;        // this click and every earlier one are out of window
    if (accept(c)) return *it;
  }
  return std::nullopt;
}

}  // namespace

absl::Status CheckAttributionWindow(int days, absl::string_view field) {
  for (int d : kAttributionWindowDays) {
    if (d == days) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, " must be one of ", absl::StrJoin(kAttributionWindowDays, ", "), ", got ", days));
}

std::vector<Attribution> Attribute(absl::Span<const AttributedClick> clicks,
                                   absl::Span<const PurchaseLine> lines, absl::Duration window,
                                   const AdvertisesFn& advertises) {
  absl::flat_hash_map<uint64_t, std::vector<size_t>> by_user;
  for (size_t i = 0; i < clicks.size(); ++i) {
    if (clicks[i].user_hash != 0) by_user[clicks[i].user_hash].push_back(i);
  }
  for (auto& [user, idx] : by_user) {
    std::sort(idx.begin(), idx.end(),
              [&](size_t a, size_t b) { return Earlier(clicks[a], clicks[b]); });
  }
  std::vector<Attribution> out;
  for (size_t l = 0; l < lines.size(); ++l) {
    const PurchaseLine& line = lines[l];
    auto user = by_user.find(line.user_hash);
    if (line.user_hash == 0 || user == by_user.end()) continue;
    std::optional<size_t> same =
        Latest(clicks, user->second, line.time, window,
               [&](const AttributedClick& c) { return c.product_id == line.product_id; });
    if (same.has_value()) {
      out.push_back({l, *same, SaleKind::kSameProduct});
      continue;
    }
    std::optional<size_t> halo =
        Latest(clicks, user->second, line.time, window, [&](const AttributedClick& c) {
          return c.product_id != line.product_id && advertises(c.advertiser_id, line.product_id);
        });
    if (halo.has_value()) out.push_back({l, *halo, SaleKind::kHalo});
  }
  return out;
}

SalesReport BuildSalesReport(absl::string_view campaign_id, const CampaignStats& stats,
                             absl::Span<const AttributedClick> clicks,
                             absl::Span<const PurchaseLine> lines,
                             absl::Span<const Attribution> attributions) {
  SalesReport report;
  report.total.date = stats.total.date;
  report.total.delivery = stats.total.counters;
  std::map<absl::CivilDay, size_t> row_of;
  for (const DailyStats& d : stats.days) {
    row_of[d.date] = report.days.size();
    report.days.push_back({.date = d.date, .delivery = d.counters});
  }
  const absl::CivilDay epoch(1970, 1, 1);
  // Views of the lines' order ids, which outlive this function's use of them.
  std::vector<absl::flat_hash_set<absl::string_view>> orders(report.days.size());
  absl::flat_hash_set<absl::string_view> total_orders;
  for (const Attribution& a : attributions) {
    const AttributedClick& c = clicks[a.click];
    if (c.campaign_id != campaign_id) continue;
    auto row = row_of.find(epoch + c.day);
    if (row == row_of.end()) continue;
    const PurchaseLine& line = lines[a.line];
    for (SalesCounters* s : {&report.days[row->second].sales, &report.total.sales}) {
      (a.kind == SaleKind::kSameProduct ? s->same_product_sales_micros : s->halo_sales_micros) +=
          line.sales_micros();
    }
    if (line.quantity > 0) {
      orders[row->second].insert(line.order_id);
      total_orders.insert(line.order_id);
    }
  }
  for (size_t i = 0; i < report.days.size(); ++i) report.days[i].sales.orders = orders[i].size();
  report.total.sales.orders = total_orders.size();
  return report;
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
