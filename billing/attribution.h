// Click attribution (docs/billing.md, "Sales"): which charged click, if any, each purchase line
// is credited to, and the sales report built from that. Pure functions over clicks and lines the
// event store returns, so both stores attribute with this one copy of the rule.
//
//   std::vector<Attribution> a = Attribute(clicks, lines, absl::Hours(7 * 24), advertises);
//   SalesReport report = BuildSalesReport("c1", stats, clicks, lines, a);
//   SalesMetrics m = MetricsOf(report.total);
//
// The rule, per line (product P, shopper U, time t), over U's charged clicks at c with
// c <= t < c + window:
//   1. the latest click on an ad for P itself (same-product);
//   2. if there is none, the latest click on an ad for another product, of an advertiser that
//      advertises P (halo);
//   3. if there is none, the line is not attributed.
// "Latest" orders clicks by (time, client_event_id). Each line goes to at most one click; a
// refund line (negative quantity) is attributed by the same rule, at its own time.
//
// Stateless; thread-safe.
#ifndef GAVEL_BILLING_ATTRIBUTION_H_
#define GAVEL_BILLING_ATTRIBUTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "billing/sales.h"
#include "billing/stats.h"

namespace gavel::billing {

// A charged click of a known shopper (user hash != 0), as the stores keep it for attribution.
struct AttributedClick {
  std::string client_event_id;
  absl::Time time;
  uint64_t user_hash = 0;
  std::string campaign_id;
  std::string ad_group_id;
  std::string ad_id;
  std::string product_id;
  std::string advertiser_id;
  int64_t day = 0;  // the campaign-local day the click counted for (DayIndex)
  // The report dimensions (EventRecord's); 0/empty for clicks recorded before they were kept.
  int32_t placement = 0;
  std::string target_id;
  std::string search_term;
};

// The shoppers of a campaign's clicks over some days, and when the first and last of those clicks
// were: what a report needs to know which history to read.
struct ClickShoppers {
  std::vector<uint64_t> users;  // sorted, distinct
  absl::Time first = absl::InfiniteFuture();
  absl::Time last = absl::InfinitePast();
};

// Whether `advertiser_id` advertises `product_id` (has a product ad for it): what makes a
// purchase of another product a halo sale of that advertiser's click.
using AdvertisesFn =
    std::function<bool(absl::string_view advertiser_id, absl::string_view product_id)>;

enum class SaleKind { kSameProduct, kHalo };

struct Attribution {
  size_t line = 0;   // index into the lines
  size_t click = 0;  // index into the clicks
  SaleKind kind = SaleKind::kSameProduct;
};

// The attribution windows a report may ask for, in days.
inline constexpr int kAttributionWindowDays[] = {1, 7, 14, 30};
inline constexpr int kDefaultAttributionWindowDays = 7;
// OK for a window in kAttributionWindowDays; kInvalidArgument naming `field` otherwise.
absl::Status CheckAttributionWindow(int days, absl::string_view field);

// The longest window: the history a line's attribution can depend on.
inline constexpr absl::Duration kMaxAttributionWindow = absl::Hours(24 * 30);

// One Attribution per attributed line, in line order. Clicks and lines may mix shoppers.
std::vector<Attribution> Attribute(absl::Span<const AttributedClick> clicks,
                                   absl::Span<const PurchaseLine> lines, absl::Duration window,
                                   const AdvertisesFn& advertises);

// The rule for one line: which of `by_time` (clicks of the line's shopper, sorted by
// ClickEarlier; others are ignored) gets it, and how; nullopt if none. Attribute applies this to
// every line; stores that keep a line's candidates (AttributionCandidates) apply it to those.
struct LineAttribution {
  const AttributedClick* click = nullptr;
  SaleKind kind = SaleKind::kSameProduct;
};
std::optional<LineAttribution> AttributeLine(absl::Span<const AttributedClick* const> by_time,
                                             const PurchaseLine& line, absl::Duration window,
                                             const AdvertisesFn& advertises);
// The order "latest" refers to: (time, client_event_id).
bool ClickEarlier(const AttributedClick& a, const AttributedClick& b);
// AttributeLine over a line's candidates in any order: sorts `candidates` by ClickEarlier first.
std::optional<LineAttribution> AttributeCandidates(std::vector<const AttributedClick*>* candidates,
                                                   const PurchaseLine& line, absl::Duration window,
                                                   const AdvertisesFn& advertises);

// The clicks a line's attribution can depend on, for every window and every catalog: of the
// shopper's clicks at c with c <= t < c + kMaxAttributionWindow, the latest on the line's product
// and, per advertiser, the latest on another product. AttributeLine over these gives what it
// gives over all of the shopper's clicks, for any window <= kMaxAttributionWindow and any
// `advertises`: the rule takes the latest qualifying click, and whether a click qualifies depends
// only on its time, its product being the line's or not, and its advertiser, so a dropped click
// always has a kept one of the same kind and advertiser that is later and still in every window
// it is in (docs/billing.md, "Sales": reports). Offer each click once, in any order.
class AttributionCandidates {
 public:
  // Whether `click` (of the line's shopper) could decide `line`: in its longest window.
  static bool InWindow(const AttributedClick& click, const PurchaseLine& line);
  // Keeps `click` (T identifies a click, say an index; get(T) is the click) if it is a
  // candidate, replacing the one it supersedes; true if it was kept.
  template <typename T, typename Get>
  static bool Offer(std::vector<T>* kept, T click, const PurchaseLine& line, const Get& get);
};

struct SalesCounters {
  // Orders with at least one line of positive quantity attributed to the row's clicks.
  int64_t orders = 0;
  int64_t same_product_sales_micros = 0;  // sum of quantity x price of same-product lines
  int64_t halo_sales_micros = 0;          // the same for halo lines
  int64_t sales_micros() const { return same_product_sales_micros + halo_sales_micros; }
};

struct SalesDay {
  absl::CivilDay date;  // for a total, the first day of the range
  StatsCounters delivery;
  SalesCounters sales;
  std::string key;  // the dimension key of a dimension row (billing/dimensions.h); else empty
};

struct SalesReport {
  std::vector<SalesDay> days;  // every day of the stats' range, oldest first
  SalesDay total;
  // Dimension reports only (billing/dimensions.h): one row per (day, key) with any delivery or
  // sales, by day then key; and one per key over the range, by key (date = the range's first).
  std::vector<SalesDay> rows;
  std::vector<SalesDay> key_totals;
};

// The report of `campaign_id` over `stats`' days: delivery from `stats`, sales from the lines
// attributed to the campaign's clicks, on the local day of the click.
SalesReport BuildSalesReport(absl::string_view campaign_id, const CampaignStats& stats,
                             absl::Span<const AttributedClick> clicks,
                             absl::Span<const PurchaseLine> lines,
                             absl::Span<const Attribution> attributions);

// Numbers distinct order ids 0, 1, 2, ... in the order first seen, so that the sets of orders a
// report counts (per day, per key) are sets of small integers rather than of strings. Accumulators
// of one pass over the lines share one (each line's id is then looked up once: Of remembers the
// last id it answered).
class OrderNumbers {
 public:
  // Sizes the table for about `orders` distinct ids (an optimisation only).
  void Reserve(size_t orders) { numbers_.reserve(orders); }
  uint32_t Of(absl::string_view order_id);

 private:
  // Copies `id` into blocks_, where it stays put.
  absl::string_view Keep(absl::string_view id);

  absl::flat_hash_map<absl::string_view, uint32_t> numbers_;  // keys view blocks_
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_size_ = 0, block_used_ = 0;  // of blocks_.back()
  absl::string_view last_id_;               // views blocks_
  uint32_t last_ = 0;
  bool has_last_ = false;
};

// The number of distinct values in `numbers` (which it sorts and shrinks to them).
int64_t CountDistinct(std::vector<uint32_t>* numbers);

// Rows of a report under construction: delivery from the campaign's stats, sales added per
// attributed line (on the local day of the click; lines of other campaigns' clicks or of days
// outside the stats' range are ignored).
class SalesAccumulator {
 public:
  // `order_numbers`: shared with another accumulator of the same pass, not owned; null for its
  // own.
  SalesAccumulator(std::string campaign_id, const CampaignStats& stats,
                   OrderNumbers* order_numbers = nullptr);
  // The numbering of the orders it counts: for another accumulator of the same pass.
  OrderNumbers* order_numbers() { return order_numbers_; }
  // Sizes its tables for about `lines` Adds (an optimisation only).
  void Reserve(size_t lines);
  // Copies what it needs: `click` and `line` may change or go away after the call.
  void Add(const AttributedClick& click, const PurchaseLine& line, SaleKind kind);
  SalesReport Finish() &&;

 private:
  std::string campaign_id_;
  absl::flat_hash_map<int64_t, size_t> row_of_;  // DayIndex -> row
  SalesReport report_;
  OrderNumbers own_numbers_;
  OrderNumbers* const order_numbers_;          // own_numbers_ or a shared one
  std::vector<std::vector<uint32_t>> orders_;  // per row, with repeats
  std::vector<bool> counted_;                  // by order number: in the total already
  int64_t total_orders_ = 0;
};

// Ratios (docs/billing.md, "Sales"). ACOS = spend / sales, only when sales > 0; ROAS = sales /
// spend, only when spend > 0; otherwise unset. CTR = clicks / impressions, CVR = orders /
// clicks (0 without a denominator); average CPC = spend / clicks rounded down (0 without clicks).
struct SalesMetrics {
  std::optional<double> acos, roas;
  double ctr = 0, cvr = 0;
  int64_t average_cpc_micros = 0;
};
SalesMetrics MetricsOf(const SalesDay& row);

template <typename T, typename Get>
bool AttributionCandidates::Offer(std::vector<T>* kept, T click, const PurchaseLine& line,
                                  const Get& get) {
  const AttributedClick& c = get(click);
  if (!InWindow(c, line)) return false;
  const bool same = c.product_id == line.product_id;
  for (T& k : *kept) {
    const AttributedClick& o = get(k);
    if ((o.product_id == line.product_id) != same) continue;
    if (!same && o.advertiser_id != c.advertiser_id) continue;
    if (!ClickEarlier(o, c)) return false;  // the kept one is later
    k = click;
    return true;
  }
  kept->push_back(click);
  return true;
}

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_ATTRIBUTION_H_
