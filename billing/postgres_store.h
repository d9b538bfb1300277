// The PostgreSQL event store: any number of gavel_server replicas share one database, so a click
// is charged at most once whichever replica receives it, budgets hold across replicas exactly, and
// the invalid-click rules see every replica's clicks. Schema: pg/migrations/; design and
// guarantees: docs/billing.md, "PostgreSQL store".
//
//   auto store = PostgresEventStore::Open({.conninfo = "host=/run/pg dbname=gavel"}, context);
//   absl::StatusOr<std::vector<EventResult>> results = (*store)->Ingest(events, verified);
//
// Each batch is one transaction: it claims the batch's client event ids and tokens (unique keys),
// locks the shoppers and campaigns its clicks touch (in a fixed order, so replicas never
// deadlock), decides every event with the embedded store's rules (billing/rules.h) from those
// rows, writes the outcomes, spend and statistics, and commits (synchronous_commit on) before it
// answers. The auction path never reads the database: a listener keeps context.budgets' spend up
// to date from the commits of every replica (LISTEN/NOTIFY, a full reload on every (re)connect).
//
// Thread-safe; batches run concurrently on a pool of connections.
#ifndef GAVEL_BILLING_POSTGRES_STORE_H_
#define GAVEL_BILLING_POSTGRES_STORE_H_

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "billing/event_store.h"
#include "common/sync.h"
#include "pg/connection.h"
#include "pg/pipeline.h"

namespace gavel::billing {

struct PostgresStoreOptions {
  std::string conninfo;  // a libpq connection string or URI; required
  // Transactions in flight at once. Batches that wait are merged into the next transaction, and
  // concurrent transactions mostly queue on the same hot campaign rows anyway, so one connection
  // gives the most charged clicks/s (docs/performance.md, "PostgreSQL store"); more help when
  // concurrent batches touch disjoint campaigns.
  int connections = 1;
  int max_attempts = 5;  // per batch, over deadlocks and serialization failures
  // How often expired dedupe rows are deleted (they are ignored once expired either way).
  absl::Duration prune_every = absl::Seconds(10);
};

class PostgresEventStore final : public EventStore {
 public:
  // Connects, applies the schema migrations (idempotent; safe when replicas start together),
  // loads spend into context.budgets and starts the listener. kUnavailable (one line naming
  // where it tried to connect) if the database cannot be reached; kInvalidArgument for an empty
  // or malformed conninfo.
  static absl::StatusOr<std::unique_ptr<PostgresEventStore>> Open(PostgresStoreOptions options,
                                                                  const EventContext& context);
  ~PostgresEventStore() override;

  absl::StatusOr<std::vector<EventResult>> Ingest(absl::Span<const Event> events,
                                                  absl::Span<const VerifyResult> verified) override;
  absl::StatusOr<CampaignStats> Stats(absl::string_view campaign_id, absl::CivilDay from,
                                      absl::CivilDay to) const override;
  // One transaction: locks the lines' shoppers (as click batches do), reads their clicks of the
  // 30 days before, and records the new lines with their attribution candidates
  // (purchase_lines, campaign_lines).
  absl::StatusOr<std::vector<PurchaseOutcome>> IngestPurchases(
      absl::Span<const PurchaseLine> lines) override;
  // From the candidates kept at ingest: the campaign's campaign_lines rows on the report's days
  // (one index range, streamed), the rule applied to each line's candidates; by dimension,
  // delivery from dimension_stats.
  absl::StatusOr<SalesReport> SalesReportOf(absl::string_view campaign_id,
                                            const CampaignStats& stats, absl::Duration window,
                                            const AdvertisesFn& advertises, Dimension dimension,
                                            int64_t retention_from_day) const override;
  absl::StatusOr<ClickShoppers> CampaignShoppers(absl::string_view campaign_id, int64_t from_day,
                                                 int64_t to_day) const override;
  absl::Status ShopperActivity(absl::Span<const uint64_t> users, absl::Time from, absl::Time to,
                               std::vector<AttributedClick>* clicks,
                               std::vector<PurchaseLine>* lines) const override;

  // When the spend view was last known current: the listener's last turn while connected (it
  // wakes at least every 100 ms), or its last reload. It stays put while the database is
  // unreachable, so the view's age grows until auctions fail closed (max_spend_staleness).
  absl::Time spend_view_at() const override;

  // Batches decided on spend read without the campaign locks whose charges no longer fit once the
  // locks were taken (another replica spent in between), and that were decided again.
  uint64_t budget_redecisions() const { return budget_redecisions_.load(); }

 private:
  class Pool;
  struct Batch;
  struct Waiting;
  // One transaction for `events` (retried on deadlocks), on a pooled connection.
  absl::StatusOr<std::vector<EventResult>> IngestMerged(absl::Span<const Event> events,
                                                        absl::Span<const VerifyResult> verified);
  PostgresEventStore(PostgresStoreOptions options, const EventContext& context);
  // One attempt at a batch, inside BEGIN ... COMMIT on `conn`. With `lock_campaigns` false the
  // campaigns' spend is read without their locks (see Attempt).
  absl::Status Decide(pg::Connection& conn, absl::Span<const Event> events,
                      absl::Span<const VerifyResult> verified, absl::Time now, bool lock_campaigns,
                      Batch* batch) const;
  // Decides and writes one batch inside BEGIN ... COMMIT. Optimistic: decide on spend read
  // unlocked, write the rule rows, then lock the campaigns and check that every charge still fits
  // (kFailedPrecondition if not: the caller runs the batch again, locking first).
  absl::Status Attempt(pg::Connection& conn, absl::Span<const Event> events,
                       absl::Span<const VerifyResult> verified, absl::Time now, bool optimistic,
                       Batch* batch) const;
  // The keys a batch locks or claims beyond its event ids.
  struct BatchKeys {
    std::map<std::string, int64_t> tokens;            // token id -> expiry, deadline micros
    std::set<int64_t> users;                          // shoppers of the clicks (bigint form)
    std::set<std::pair<int64_t, std::string>> pairs;  // (shopper, ad) for repeat clicks
    std::set<std::string> campaigns;                  // of the clicks
  };
  // Claims the batch's client event ids; returns the ids this batch holds now (the others are
  // remembered in batch->rules as seen).
  absl::StatusOr<absl::flat_hash_set<std::string>> ClaimEventIds(pg::Connection& conn,
                                                                 absl::Span<const Event> events,
                                                                 absl::Time now,
                                                                 Batch* batch) const;
  static BatchKeys KeysOf(absl::Span<const Event> events, absl::Span<const VerifyResult> verified,
                          const absl::flat_hash_set<std::string>& fresh, absl::Time now);
  // Claims the tokens, locks the shoppers (and the campaigns if `lock_campaigns`) and loads their
  // rows into `batch`.
  absl::Status LockAndRead(pg::Connection& conn, const BatchKeys& keys, absl::Time now,
                           bool lock_campaigns, Batch* batch) const;
  static absl::Status LoadTokensAndShoppers(const pg::Result& used, const pg::Result& shoppers,
                                            const pg::Result& repeats, const BatchKeys& keys,
                                            Batch* batch);
  // Queues the rows the rules keep (events, shopper click times, repeat clicks).
  void AddRuleRows(const Batch& batch, pg::Pipeline* writes) const;
  // Queues the spend and statistics upserts; returns the index of the spend result (-1: none).
  int AddBudgetRows(const Batch& batch, pg::Pipeline* writes) const;
  // After the campaigns are locked: whether every charge the batch decided on spend read without
  // the locks still fits the budget at the locked spend (`spend`: campaign_spend rows).
  absl::Status RecheckCharges(const pg::Result& spend, absl::Time now, const Batch& batch) const;
  // Records the new spend totals in `batch` and NOTIFYs them to every replica.
  absl::Status PublishTotals(pg::Connection& conn, const pg::Result& totals, Batch* batch) const;
  // Computes the attribution candidates of lines recorded before migration 4 (NULL candidates).
  absl::Status ComputeMissingCandidates(pg::Connection& conn) const;
  // Loads every campaign's spend since two months ago into context.budgets.
  absl::Status LoadSpend(pg::Connection& conn);
  void Listen();
  void PruneLoop();

  const PostgresStoreOptions options_;
  const EventContext context_;
  std::unique_ptr<Pool> pool_;

  Mutex queue_mu_;
  CondVar queue_cv_;
  std::deque<Waiting*> queue_ ABSL_GUARDED_BY(queue_mu_);
  int in_flight_ ABSL_GUARDED_BY(queue_mu_) = 0;  // transactions running

  Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  CondVar stop_cv_;
  std::atomic<int64_t> spend_view_at_us_{0};  // unix micros
  std::atomic<uint64_t> budget_redecisions_{0};
  std::thread listener_, pruner_;
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_POSTGRES_STORE_H_
