// Per-campaign, per-local-day delivery statistics, maintained incrementally from the ledger
// records billing applies (and so rebuilt by recovery). Definitions: docs/billing.md.
//
//   StatsStore stats;
//   stats.Add("c1", day, {.clicks = 1, .spend_micros = 450'000});
//   absl::StatusOr<CampaignStats> s = stats.Get("c1", absl::CivilDay(2026, 11, 1),
//                                               absl::CivilDay(2026, 11, 26));
//
// Thread-safe (a reader-writer lock; Get never blocks another Get).
#ifndef GAVEL_BILLING_STATS_H_
#define GAVEL_BILLING_STATS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/sync.h"

namespace gavel::billing {

struct StatsCounters {
  int64_t impressions = 0;
  int64_t clicks = 0;                   // charged clicks
  int64_t invalid_clicks = 0;           // recorded, not charged: INVALID or a replayed token
  int64_t budget_exhausted_clicks = 0;  // valid, not charged for lack of budget
  int64_t spend_micros = 0;
  StatsCounters& operator+=(const StatsCounters& o);
};

struct DailyStats {
  absl::CivilDay date;  // local day of the campaign; for a total, the first day of the range
  StatsCounters counters;
  double ctr = 0;                  // clicks / impressions; 0 without impressions
  int64_t average_cpc_micros = 0;  // spend / clicks rounded down; 0 without clicks
};

struct CampaignStats {
  std::vector<DailyStats> days;  // every day of the range, oldest first, zeros included
  DailyStats total;
};

struct StatsRow {
  std::string campaign_id;
  int64_t day = 0;  // days since 1970-01-01 (billing/budget.h DayIndex)
  StatsCounters counters;
};

class StatsStore {
 public:
  void Add(absl::string_view campaign_id, int64_t day, const StatsCounters& delta);
  // Rows for [from, to]. kInvalidArgument if from > to or the range spans more than 366 days.
  // An unknown campaign has all-zero rows.
  absl::StatusOr<CampaignStats> Get(absl::string_view campaign_id, absl::CivilDay from,
                                    absl::CivilDay to) const;
  std::vector<StatsRow> Export() const;
  // The range rule Get applies: kInvalidArgument if from > to or the range spans more than 366
  // days.
  static absl::Status CheckRange(absl::CivilDay from, absl::CivilDay to);

 private:
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, std::map<int64_t, StatsCounters>> by_campaign_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_STATS_H_
