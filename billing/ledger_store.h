// The embedded event store: outcomes decided in this process and kept in a local write-ahead
// ledger (billing/ledger.h) with periodic snapshots. One process owns the ledger directory; spend,
// the dedupe state and statistics are rebuilt from it at start. Durability: docs/billing.md.
//
//   auto store = LedgerEventStore::Open({.dir = "/var/lib/gavel/ledger"}, context);
//   absl::StatusOr<std::vector<EventResult>> results = (*store)->Ingest(events, verified);
//
// Thread-safe. Decisions are serialised by one lock (held for in-memory work and the ledger
// append, never across an fsync); callers then wait together for one group-committed fsync.
#ifndef GAVEL_BILLING_LEDGER_STORE_H_
#define GAVEL_BILLING_LEDGER_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "billing/event_store.h"
#include "billing/ledger.h"
#include "billing/rules.h"
#include "billing/sales_index.h"
#include "billing/stats.h"
#include "common/sync.h"

namespace gavel::billing {

struct LedgerStoreOptions {
  std::string dir;  // required
  // Take a snapshot after this many ledger records (0 = only when Snapshot() is called).
  uint64_t snapshot_every_records = 500'000;
  // Ledger failure handling (see LedgerOptions); default logs and aborts.
  std::function<void(const absl::Status&)> fatal_handler;
  std::shared_ptr<LedgerFs> fs;  // the ledger's file operations (LedgerOptions::fs); default POSIX
};

class LedgerEventStore final : public EventStore {
 public:
  // Opens the ledger in options.dir, loads the newest snapshot and replays the log after it,
  // adding replayed charges to context.budgets. kInvalidArgument for a missing dir; ledger
  // errors (kDataLoss, I/O) otherwise.
  static absl::StatusOr<std::unique_ptr<LedgerEventStore>> Open(LedgerStoreOptions options,
                                                                const EventContext& context);
  ~LedgerEventStore() override;

  absl::StatusOr<std::vector<EventResult>> Ingest(absl::Span<const Event> events,
                                                  absl::Span<const VerifyResult> verified) override;
  absl::StatusOr<CampaignStats> Stats(absl::string_view campaign_id, absl::CivilDay from,
                                      absl::CivilDay to) const override;
  // Writes a snapshot now (the ledger is flushed and rotated first). Errors from the snapshot
  // write are returned; the log still recovers everything without it.
  absl::Status Snapshot() override;
  absl::StatusOr<std::vector<PurchaseOutcome>> IngestPurchases(
      absl::Span<const PurchaseLine> lines) override;
  absl::StatusOr<ClickShoppers> CampaignShoppers(absl::string_view campaign_id, int64_t from_day,
                                                 int64_t to_day) const override;
  absl::Status ShopperActivity(absl::Span<const uint64_t> users, absl::Time from, absl::Time to,
                               std::vector<AttributedClick>* clicks,
                               std::vector<PurchaseLine>* lines) const override;
  // From the candidates the sales index keeps at ingest (billing/sales_index.h) and, by
  // dimension, the per-dimension counters.
  absl::StatusOr<SalesReport> SalesReportOf(absl::string_view campaign_id,
                                            const CampaignStats& stats, absl::Duration window,
                                            const AdvertisesFn& advertises, Dimension dimension,
                                            int64_t retention_from_day) const override;
  DedupeState dedupe_state() const override;

 private:
  LedgerEventStore(LedgerStoreOptions options, const EventContext& context);
  // What a record changes: the rule state, statistics and (on replay) spend.
  void Apply(const EventRecord& r, bool replay) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes a snapshot if at least `min_records` records were applied since the last one, checked
  // under snapshot_mu_ so that callers racing past the same threshold write one snapshot, not one
  // each. OK without writing otherwise.
  absl::Status SnapshotAfter(uint64_t min_records);
  std::string SerializeState(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RestoreState(absl::string_view state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const LedgerStoreOptions options_;
  const EventContext context_;
  StatsStore stats_;
  DimensionStats dimensions_;  // its own lock; written under mu_ like stats_
  SalesIndex sales_;           // its own lock; written under mu_ so it follows the ledger's order
  std::unique_ptr<Ledger> ledger_;

  Mutex snapshot_mu_;  // one snapshot at a time; taken before mu_
  mutable Mutex mu_;
  RuleState rules_ ABSL_GUARDED_BY(mu_);
  uint64_t records_since_snapshot_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_LEDGER_STORE_H_
