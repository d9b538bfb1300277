// Sales reports broken down by a dimension of the ad served (docs/billing.md, "Sales": by
// dimension): ad group, target, placement or search term. Delivery (impressions, clicks, spend)
// comes from per-dimension daily counters kept as events are applied; attributed sales from the
// rule in billing/attribution.h, credited to the keys of the click a line is attributed to.
//
//   DimensionStats stats;                            // one per store, fed every applied event
//   stats.Add(record, CountersFor(record));
//   DimensionSalesAccumulator acc(stats, "c1", Dimension::kSearchTerm, from_day, to_day, cutoff);
//   acc.Add(click, line, kind);                      // per attributed line
//   std::move(acc).Finish(&report);                  // fills report.rows and report.key_totals
//
// Keys: an ad group's id; a target's id; a placement's lower-case name ("top_of_search"); the
// normalised search term. kNoneKey stands for an event without the value (an automatic target,
// a placement off search for search terms, an event recorded before dimensions were kept);
// kOtherKey, for search terms only, gathers a campaign-day's terms past kMaxSearchTermsPerDay,
// terms without a click on that day, and every term of a day older than the retention.
//
// DimensionStats is thread-safe; an accumulator is not.
#ifndef GAVEL_BILLING_DIMENSIONS_H_
#define GAVEL_BILLING_DIMENSIONS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "billing/attribution.h"
#include "billing/bytes.h"
#include "billing/stats.h"
#include "common/sync.h"

namespace gavel::billing {

// Values match gavel.v1.SalesReportDimension.
enum class Dimension : uint8_t { kCampaign = 0, kAdGroup, kTarget, kPlacement, kSearchTerm };
// kInvalidArgument naming `field` unless 0 <= value <= 4.
absl::StatusOr<Dimension> DimensionFromInt(int value, absl::string_view field);

inline constexpr absl::string_view kNoneKey = "(none)";
inline constexpr absl::string_view kOtherKey = "(other)";
// Distinct search terms kept per campaign and local day, in the order events arrive; later ones
// count under kOtherKey. Bounds the memory one campaign-day's queries can take.
inline constexpr int kMaxSearchTermsPerDay = 1000;
// Search-term rows are reported for the last this-many campaign-local days (today included);
// older days report their search-term delivery and sales under kOtherKey.
inline constexpr int kSearchTermRetentionDays = 90;

// The raw key of an event for `d` (not kCampaign): before the search-term cap and folding.
std::string RawDimensionKey(Dimension d, absl::string_view ad_group_id, absl::string_view target_id,
                            int32_t placement, absl::string_view search_term);
// The same as a view of the arguments or of a constant, without a copy, or of `*scratch` where it
// has to be built (a placement without a name): for callers that look keys up per line.
absl::string_view RawDimensionKeyView(Dimension d, absl::string_view ad_group_id,
                                      absl::string_view target_id, int32_t placement,
                                      absl::string_view search_term, std::string* scratch);

// Per (campaign, dimension, local day, key) delivery counters.
class DimensionStats {
 public:
  // Counts `delta` for each dimension under the event's keys (search term: capped as above).
  void Add(absl::string_view campaign_id, int64_t day, absl::string_view ad_group_id,
           absl::string_view target_id, int32_t placement, absl::string_view search_term,
           const StatsCounters& delta);
  // Adds `delta` to the row (day, key) of `d` as it is, without the search-term cap: for a store
  // that keeps the counted rows elsewhere (PostgreSQL) and loads them for one report.
  void AddCounted(absl::string_view campaign_id, Dimension d, int64_t day, absl::string_view key,
                  const StatsCounters& delta);
  // The key `raw` (a RawDimensionKey) counted under on `day`: itself, or kOtherKey for a search
  // term past the day's cap.
  std::string CountedKey(absl::string_view campaign_id, Dimension d, int64_t day,
                         absl::string_view raw) const;
  // The delivery rows of `d` over local days [from_day, to_day], search terms folded as in the
  // header comment (days before `retention_from_day` entirely into kOtherKey).
  std::map<std::pair<int64_t, std::string>, StatsCounters> Rows(absl::string_view campaign_id,
                                                                Dimension d, int64_t from_day,
                                                                int64_t to_day,
                                                                int64_t retention_from_day) const;
  // Snapshot form. Search-term rows of days before `prune_before_day` are written folded into
  // kOtherKey (the report folds them anyway once they are past the retention).
  void Serialize(int64_t prune_before_day, std::string* out) const;
  // False on malformed input.
  bool Restore(internal::ByteReader* in);

 private:
  using DayKeys = std::map<int64_t, absl::flat_hash_map<std::string, StatsCounters>>;
  void AddLocked(const std::string& campaign_id, int d, int64_t day, absl::string_view key,
                 const StatsCounters& delta) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  // Per campaign, per dimension (index = Dimension - 1), per day, per key.
  absl::flat_hash_map<std::string, std::array<DayKeys, 4>> by_campaign_ ABSL_GUARDED_BY(mu_);
};

// Sales per (day, key) of one campaign's report, merged with DimensionStats' delivery rows.
// Does not own `stats`, which must outlive it.
class DimensionSalesAccumulator {
 public:
  // `order_numbers`: shared with another accumulator of the same pass (SalesAccumulator's), not
  // owned; null for its own.
  DimensionSalesAccumulator(const DimensionStats& stats, std::string campaign_id, Dimension d,
                            int64_t from_day, int64_t to_day, int64_t retention_from_day,
                            OrderNumbers* order_numbers = nullptr);
  // Lines of other campaigns' clicks or of clicks on days outside the range are ignored. Copies
  // what it needs: `click` and `line` may change or go away after the call.
  void Add(const AttributedClick& click, const PurchaseLine& line, SaleKind kind);
  // The numbering of the orders it counts: for another accumulator of the same pass.
  OrderNumbers* order_numbers() { return order_numbers_; }
  // Fills report->rows and report->key_totals.
  void Finish(SalesReport* report) &&;

 private:
  struct Row {
    SalesCounters sales;
    std::vector<uint32_t> orders;  // OrderNumbers, with repeats
  };
  const DimensionStats& stats_;
  const std::string campaign_id_;
  const Dimension dimension_;
  const int64_t from_day_, to_day_, retention_from_day_;
  std::map<std::pair<int64_t, std::string>, Row> rows_;  // by (day, counted key)
  // raw key -> day -> its row: the counted key of a raw one needs a lookup in `stats_`.
  absl::flat_hash_map<std::string, absl::flat_hash_map<int64_t, Row*>> row_of_raw_;
  OrderNumbers own_numbers_;
  OrderNumbers* const order_numbers_;  // own_numbers_ or a shared one
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_DIMENSIONS_H_
