// Campaign budgets: what a campaign may still spend today under its policy, in its own time zone.
// The auction asks Query/CanSpend before letting a campaign compete; the event processor charges a
// click only through TryCharge. Policies and the crossing-click rule: docs/billing.md.
//
//   InMemoryBudgetStore store;
//   store.Upsert({.campaign_id = "c1", .daily_budget_micros = 50'000'000,
//                 .policy = BudgetPolicy::kHard, .time_zone = tz});
//   if (store.CanSpend("c1", clock.Now(), /*amount_micros=*/bid)) { /* may compete */ }
//   absl::StatusOr<ChargeDecision> d = store.TryCharge("c1", 450'000, clock.Now());
//
// The auction path resolves each campaign once (Resolve) and reads through the handle, which skips
// the id lookup; the in-memory store's handle also caches the campaign's local day, so the
// time-zone conversion runs once per local day rather than per read:
//
//   std::shared_ptr<const BudgetHandle> c1 = store.Resolve("c1");
//   ServingBudget b = c1->Read(clock.Now());  // the same numbers as Query("c1", now)
//
// BudgetStore is an interface so replicas can share one store; InMemoryBudgetStore is the
// in-process one. Thread-safe. Its reads (Query, CanSpend, BudgetHandle::Read) take no lock that a
// charge holds: each campaign publishes its counters through a seqlock of atomics, and the
// campaign table is an immutable map swapped on insert.
#ifndef GAVEL_BILLING_BUDGET_H_
#define GAVEL_BILLING_BUDGET_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "catalog/enums.h"
#include "common/sync.h"

namespace gavel::billing {

// The catalog's policy (catalog/enums.h); kUnspecified is applied as kHard.
using ::gavel::catalog::BudgetPolicy;

struct CampaignBudget {
  std::string campaign_id;
  int64_t daily_budget_micros = 0;  // > 0
  BudgetPolicy policy = BudgetPolicy::kHard;
  absl::TimeZone time_zone = absl::UTCTimeZone();  // budget days and months are local days
  bool pacing = true;                              // even pacing over the day
};

// Days since 1970-01-01 of the local day containing `t` in `tz`.
int64_t DayIndex(absl::Time t, absl::TimeZone tz);
absl::CivilDay CivilDayFromIndex(int64_t day);

struct BudgetView {
  std::shared_ptr<const CampaignBudget> settings;
  int64_t day = 0;  // DayIndex(now, settings->time_zone)
  int64_t spent_today_micros = 0;
  int64_t spent_month_micros = 0;  // calendar month to date, today included
  int64_t remaining_micros = 0;    // the most one charge may still be, >= 0
};

// What the auction path needs about a campaign at one instant (BudgetHandle::Read): BudgetView's
// numbers and the settings that matter there, without a reference to the settings object.
struct ServingBudget {
  bool known = false;  // false: no settings (Query's kNotFound); the other fields are unset
  int64_t day = 0;     // DayIndex(now, time_zone)
  // The local day's bounds, FromCivil(day) and FromCivil(day + 1) in the campaign's time zone.
  absl::Time day_start, day_end;
  int64_t spent_today_micros = 0;
  int64_t remaining_micros = 0;  // as BudgetView
  int64_t daily_budget_micros = 0;
  bool pacing = false;
};

// One campaign of a BudgetStore, resolved once by id (BudgetStore::Resolve) so that repeated
// reads skip the lookup. Thread-safe.
class BudgetHandle {
 public:
  virtual ~BudgetHandle() = default;
  // The same numbers as the store's Query(campaign_id, now); known == false where that is
  // kNotFound. Settings upserted since Resolve are seen, as Query sees them.
  virtual ServingBudget Read(absl::Time now) const = 0;
};

struct ChargeDecision {
  bool charged = false;  // false: the charge would cross a cap; nothing was added
  int64_t day = 0;       // the local day the spend counts for
};

// A charge, for ledger replay and snapshots.
struct SpendRow {
  std::string campaign_id;
  int64_t day = 0;
  int64_t micros = 0;
};

class BudgetStore {
 public:
  virtual ~BudgetStore() = default;
  // Adds or replaces a campaign's settings; spend so far is kept. kInvalidArgument if the id is
  // empty or daily_budget_micros <= 0.
  virtual absl::Status Upsert(const CampaignBudget& budget) = 0;
  // Upsert for many campaigns at once (a whole catalog version). Validates every entry first and
  // changes nothing if one is bad. The default calls Upsert per campaign.
  virtual absl::Status UpsertAll(absl::Span<const CampaignBudget> budgets);
  // Spend and remaining budget at `now`. kNotFound for a campaign without settings.
  virtual absl::StatusOr<BudgetView> Query(absl::string_view campaign_id, absl::Time now) const = 0;
  // Atomically adds `amount_micros` if the policy allows it at `now`. kNotFound without settings.
  virtual absl::StatusOr<ChargeDecision> TryCharge(absl::string_view campaign_id,
                                                   int64_t amount_micros, absl::Time now) = 0;
  // Adds spend unconditionally (ledger replay, snapshot restore); settings not needed.
  virtual void AddSpend(absl::string_view campaign_id, int64_t day, int64_t amount_micros) = 0;
  // Raises a (campaign, day)'s spend to `total_micros` if it is below: a replica's view of
  // spend kept in a shared store, where totals only grow, so updates may arrive in any order.
  virtual void ObserveSpend(absl::string_view campaign_id, int64_t day, int64_t total_micros) = 0;
  // Every (campaign, day) spend still kept (the last 62 days), for snapshots.
  virtual std::vector<SpendRow> ExportSpend() const = 0;
  // True if this store's spend lives only in this process and is rebuilt from the local ledger; a
  // shared store that persists spend itself returns false and is not replayed into.
  virtual bool RebuiltFromLedger() const { return true; }

  // A handle on `campaign_id`, for campaigns known or not (yet); never null. It must not outlive
  // the store. The default reads through Query by id; a store overrides it to skip the lookup.
  virtual std::shared_ptr<const BudgetHandle> Resolve(absl::string_view campaign_id) const;

  // True if a charge of `amount_micros` (>= 1) would fit now; false also for unknown campaigns.
  bool CanSpend(absl::string_view campaign_id, absl::Time now, int64_t amount_micros = 1) const;
};

// The local day (DayIndex) a campaign's event at `now` counts for: in its time zone per `store`'s
// settings, UTC for a campaign without settings.
int64_t CampaignDay(const BudgetStore& store, absl::string_view campaign_id, absl::Time now);

// The most a campaign may still charge given its spend; >= 0.
int64_t RemainingUnderPolicy(const CampaignBudget& budget, int64_t day, int64_t spent_today,
                             int64_t spent_month);

class InMemoryBudgetStore final : public BudgetStore {
 public:
  InMemoryBudgetStore();
  ~InMemoryBudgetStore() override;
  absl::Status Upsert(const CampaignBudget& budget) override;
  // Copies the table once for all new campaigns (Upsert copies it per new campaign).
  absl::Status UpsertAll(absl::Span<const CampaignBudget> budgets) override;
  absl::StatusOr<BudgetView> Query(absl::string_view campaign_id, absl::Time now) const override;
  absl::StatusOr<ChargeDecision> TryCharge(absl::string_view campaign_id, int64_t amount_micros,
                                           absl::Time now) override;
  void AddSpend(absl::string_view campaign_id, int64_t day, int64_t amount_micros) override;
  void ObserveSpend(absl::string_view campaign_id, int64_t day, int64_t total_micros) override;
  std::vector<SpendRow> ExportSpend() const override;
  // A known campaign's handle is its entry in the table (entries are never removed), which caches
  // the local day; an unknown one's reads go through Query by id until it is resolved again.
  std::shared_ptr<const BudgetHandle> Resolve(absl::string_view campaign_id) const override;

 private:
  struct Campaign;
  using Table = absl::flat_hash_map<std::string, std::shared_ptr<Campaign>>;
  std::shared_ptr<Campaign> Find(absl::string_view id) const;
  std::shared_ptr<Campaign> FindOrCreate(absl::string_view id);

  Mutex mu_;  // serialises inserts into the table; readers use atomic_load on table_
  std::shared_ptr<const Table> table_;
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_BUDGET_H_
