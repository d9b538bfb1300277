// The ad-operations page (GET / on --metrics_listen): per campaign, today's spend against its
// daily budget and the even-pacing target curve, charged and invalid clicks, CTR and average CPC;
// for the whole server, the last minute's auctions per second, p50/p99 latency and the share of
// losing candidates by reason. Plain HTML with inline SVG, no script, no external asset; it
// reloads itself every 10 s. docs/api.md ("The ad-operations page") says what each figure means.
//
//   RecentWindow recent;                      // the server samples it every 5 s:
//   recent.Sample(...) OpsQuery q = ParseOpsQuery(params);       // ?page=2&q=c-shoes OpsView view
//   = CollectOps(*snapshot, billing, now, q); view.recent = recent.Last(now, metrics); std::string
//   html = RenderOpsPage(view);
//
// Large catalogs: CollectOps reads every campaign's spend (one lock-free budget read each) to
// rank them by spend, and the daily statistics only of the page's rows, so a page costs
// O(campaigns) reads plus one sort (docs/performance.md, "Ad-operations page").
#ifndef GAVEL_METRICS_OPS_PAGE_H_
#define GAVEL_METRICS_OPS_PAGE_H_

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "billing/billing.h"
#include "common/sync.h"
#include "engine/engine.h"
#include "metrics/gavel_metrics.h"
#include "targeting/snapshot.h"

namespace gavel::metrics {

inline constexpr int kOpsPageSize = 50;
inline constexpr size_t kMaxSearchBytes = 128;

struct OpsQuery {
  int page = 1;        // 1-based
  std::string search;  // campaign ids containing this (ASCII case-insensitive); empty = all
};
// From the URL's parameters `page` and `q`; a missing or malformed page is 1, a search longer than
// kMaxSearchBytes is cut there.
OpsQuery ParseOpsQuery(const std::multimap<std::string, std::string>& params);

struct CampaignRow {
  std::string id, name;
  // "serving"; "exhausted": nothing left of today's budget, or a click was refused for budget today
  // (BUDGET_EXHAUSTED); "paused" or "archived" as the catalog says.
  std::string state;
  int64_t daily_budget_micros = 0, spent_today_micros = 0, remaining_micros = 0;
  double day_fraction = 0;         // how much of the campaign's local day has passed, [0, 1]
  double target_fraction = 0;      // the pacing curve now: share of the budget due by now
  std::array<double, 25> curve{};  // the pacing curve at each local hour 0..24
  int64_t impressions = 0, clicks = 0, invalid_clicks = 0;
  double ctr = 0;
  int64_t average_cpc_micros = 0;
};

struct RecentTraffic {
  double window_seconds = 0;  // how far back the figures reach (up to 60 s; less after start)
  double auctions_per_second = 0;
  double p50_seconds = 0, p99_seconds = 0;
  std::array<int64_t, engine::kNumLossReasons> losses{};  // losing candidates in the window
};

struct OpsView {
  int64_t catalog_version = 0;
  int campaigns = 0;  // in the catalog
  int matching = 0;   // matching the search
  int page = 1, pages = 1;
  std::string search;
  std::vector<CampaignRow> rows;  // this page's, by spend today, highest first (then id)
  RecentTraffic recent;
};

// Reads the catalog's campaigns' spend and statistics at `now`. Does not keep references.
OpsView CollectOps(const targeting::CatalogSnapshot& catalog, const billing::Billing& billing,
                   absl::Time now, const OpsQuery& query);

std::string RenderOpsPage(const OpsView& view);

// Samples of the auction latency histogram and the loss counters, kept for a minute, so the page
// can show the last minute. Thread-safe.
class RecentWindow {
 public:
  void Sample(absl::Time now, const GavelMetrics& metrics);
  // The traffic between the oldest sample at most 60 s old (the oldest one, if none is) and now.
  RecentTraffic Last(absl::Time now, const GavelMetrics& metrics) const;

 private:
  struct Point {
    absl::Time at;
    Histogram::Snapshot latency;
    std::array<int64_t, engine::kNumLossReasons> losses{};
  };
  static Point Take(absl::Time now, const GavelMetrics& metrics);
  mutable Mutex mu_;
  std::deque<Point> points_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gavel::metrics

#endif  // GAVEL_METRICS_OPS_PAGE_H_
