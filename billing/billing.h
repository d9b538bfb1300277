// The billing facade the server wires in: token issuing for auction winners, the serving checks
// (budget and pacing) before an auction, durable event ingestion, and statistics. It owns the
// ledger, the budget store, the pacer and the dedupe state. Rules: docs/billing.md.
//
//   auto billing = Billing::Open({.ledger_dir = dir, .keyring = keyring}, &clock);
//   (*billing)->UpsertCampaign({.campaign_id = "c1", .daily_budget_micros = 50'000'000});
//   if ((*billing)->EligibleToServe("c1", gen, bid) == Eligibility::kEligible) { /* compete */ }
//   CampaignHandle c1 = (*billing)->Resolve("c1");  // once, e.g. per catalog snapshot
//   if ((*billing)->EligibleToServe(c1, gen, bid) == Eligibility::kEligible) { /* the same */ }
//   TokenPair tokens = *(*billing)->issuer().Issue(winner);
//   absl::StatusOr<std::vector<EventResult>> results = (*billing)->Ingest(events);
//
// Thread-safe. Does not own `clock` (must outlive the Billing object). Ingest decisions are
// serialised by one lock (held for in-memory work and the ledger append, never across an fsync);
// callers then wait together for one group-committed fsync. EligibleToServe takes no lock that
// Ingest or the ledger writer holds.
#ifndef GAVEL_BILLING_BILLING_H_
#define GAVEL_BILLING_BILLING_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "billing/budget.h"
#include "billing/expiring_set.h"
#include "billing/ledger.h"
#include "billing/pacing.h"
#include "billing/records.h"
#include "billing/stats.h"
#include "billing/token.h"
#include "common/clock.h"
#include "common/sync.h"

namespace gavel::billing {
namespace internal {
class ByteReader;  // billing/bytes.h
}  // namespace internal

struct Event {
  std::string client_event_id;  // 1-128 bytes; the idempotency key
  TokenType type = TokenType::kClick;
  std::string token;    // the click or impression token
  std::string user_id;  // optional; when set it must hash to the token's user
};

struct EventResult {
  Outcome outcome = Outcome::kInvalid;
  int64_t charged_micros = 0;  // kCharged only: the token's price
  InvalidReason reason = InvalidReason::kNone;
  std::string detail;
};

// The invalid-click rules. Clicks without a user (user hash 0) skip the per-user rules.
struct EventRules {
  // A user's second charged click on the same ad within this window is REPEAT_CLICK.
  absl::Duration repeat_click_window = absl::Hours(1);
  // More than `max_clicks_per_window` clicks by one user within `rate_window` are RATE_LIMITED.
  int max_clicks_per_window = 30;
  absl::Duration rate_window = absl::Minutes(1);
  // How long a click's client_event_id is remembered (for DUPLICATE), from the event's time.
  absl::Duration event_id_retention = absl::Hours(48);
  // The same for an impression's. After its token expires (1 hour by default, TokenOptions) a
  // replayed impression is INVALID EXPIRED and changes nothing, so it needs no longer.
  absl::Duration impression_event_id_retention = absl::Hours(1);
  // Tokens are remembered until they expire.
};

struct BillingConfig {
  std::string ledger_dir;                  // required
  std::shared_ptr<const Keyring> keyring;  // required (Keyring::InsecureDevDefault() for demos)
  TokenOptions tokens;
  EventRules rules;
  PacingConfig pacing;
  // Take a snapshot after this many ledger records (0 = only when Snapshot() is called).
  uint64_t snapshot_every_records = 500'000;
  // Ledger failure handling (see LedgerOptions); default logs and aborts.
  std::function<void(const absl::Status&)> fatal_handler;
  std::function<int(int fd)> sync;
};

// The size of the dedupe and click-window state (docs/billing.md, "Memory").
struct DedupeState {
  size_t event_ids = 0, tokens = 0, repeat_clicks = 0;  // entries held (live or awaiting pruning)
  size_t rate_users = 0;                                // users with counted clicks
  size_t bytes = 0;                                     // of the three sets' tables
};

enum class Eligibility { kEligible, kBudgetExhausted, kPacedOut, kUnknownCampaign };

// A campaign resolved once (Billing::Resolve) for the auction path: its budget entry and pacing
// state. Cheap to copy. Valid while the Billing object that made it lives.
struct CampaignHandle {
  std::shared_ptr<const BudgetHandle> budget;
  Pacer::Handle pacing;
};

class Billing {
 public:
  // Opens the ledger in config.ledger_dir, loads the newest snapshot and replays the log after it.
  // kInvalidArgument for a missing ledger_dir/keyring; ledger errors (kDataLoss, I/O) otherwise.
  // `budgets` defaults to an InMemoryBudgetStore.
  static absl::StatusOr<std::unique_ptr<Billing>> Open(BillingConfig config, const Clock* clock,
                                                       std::unique_ptr<BudgetStore> budgets = {});
  ~Billing();

  // Adds or refreshes a campaign's budget settings (call again when the catalog changes).
  // kInvalidArgument as BudgetStore::Upsert.
  absl::Status UpsertCampaign(const CampaignBudget& budget);
  // The same for every campaign of a catalog version, in one step (BudgetStore::UpsertAll).
  absl::Status UpsertCampaigns(absl::Span<const CampaignBudget> budgets);

  // Whether the campaign may enter an auction now: kUnknownCampaign without settings,
  // kBudgetExhausted if its remaining budget is below max(max_price_micros, 1), kPacedOut if
  // pacing throttles it for this auction.
  Eligibility EligibleToServe(absl::string_view campaign_id, absl::BitGenRef gen,
                              int64_t max_price_micros = 1);
  // Resolves a campaign for the overload below, known to billing or not (yet): budget settings
  // upserted later are seen through the handle. Resolve after UpsertCampaigns, though: the budget
  // store may resolve a campaign it does not know yet to its slower by-id path.
  CampaignHandle Resolve(absl::string_view campaign_id);
  // The same verdict as EligibleToServe(campaign_id, ...), drawing from `gen` the same way (one
  // Bernoulli draw, only while the campaign's pacing probability is below 1), without looking the
  // campaign up by id, taking a lock, or converting time zones while the local day is unchanged.
  Eligibility EligibleToServe(const CampaignHandle& campaign, absl::BitGenRef gen,
                              int64_t max_price_micros = 1);

  // Signs tokens for auction winners.
  const TokenIssuer& issuer() const { return issuer_; }

  // Processes a batch and returns one result per event, in order, after every record is durable.
  // kInvalidArgument (nothing processed) if a client_event_id is empty or over 128 bytes;
  // kUnavailable if the ledger failed (nothing in the batch is acknowledged).
  absl::StatusOr<std::vector<EventResult>> Ingest(absl::Span<const Event> events);

  // Daily statistics over [from, to] in the campaign's local days; errors as StatsStore::Get.
  absl::StatusOr<CampaignStats> Stats(absl::string_view campaign_id, absl::CivilDay from,
                                      absl::CivilDay to) const;
  // Today's local day for a campaign (UTC without settings), to default a stats range.
  absl::CivilDay Today(absl::string_view campaign_id) const;

  // Writes a snapshot now (the ledger is flushed and rotated first). Errors from the snapshot
  // write are returned; the log still recovers everything without it.
  absl::Status Snapshot();

  DedupeState dedupe_state() const;

  const BudgetStore& budgets() const { return *budgets_; }
  const Pacer& pacer() const { return pacer_; }

 private:
  Billing(BillingConfig config, const Clock* clock, std::unique_ptr<BudgetStore> budgets);
  EventRecord Decide(const Event& e, const VerifyResult& v, absl::Time now, EventResult* result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The click rules after a token verified: rate limit, repeat click, budget.
  void DecideClick(absl::Time now, EventRecord* r, EventResult* result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops dedupe and click-window entries whose windows have passed.
  void Prune(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Apply(const EventRecord& r, bool replay) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string SerializeState(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RestoreState(absl::string_view state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool RestoreSets(internal::ByteReader* in) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool RestoreV1Sets(internal::ByteReader* in) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t DayFor(absl::string_view campaign_id, absl::Time now) const;

  const BillingConfig config_;
  const Clock* const clock_;
  const TokenIssuer issuer_;
  const TokenVerifier verifier_;
  std::unique_ptr<BudgetStore> budgets_;
  Pacer pacer_;
  StatsStore stats_;
  std::unique_ptr<Ledger> ledger_;

  Mutex snapshot_mu_;  // one snapshot at a time; taken before mu_
  mutable Mutex mu_;
  // The dedupe and click-window state, each sized by its window (docs/billing.md, "Memory"):
  // client event ids until event time + retention, used tokens until their expiry, (user, ad)
  // pairs with a charged click until its time + repeat_click_window.
  ExpiringSet event_ids_ ABSL_GUARDED_BY(mu_);
  ExpiringSet tokens_ ABSL_GUARDED_BY(mu_);
  ExpiringSet last_click_ ABSL_GUARDED_BY(mu_);
  // Per user, the times (unix micros) of the clicks counted for the rate limit, oldest first, at
  // most max_clicks_per_window + 1; users without a click in rate_window are swept out.
  absl::flat_hash_map<uint64_t, std::vector<int64_t>> user_clicks_ ABSL_GUARDED_BY(mu_);
  int64_t user_clicks_swept_at_ ABSL_GUARDED_BY(mu_) = 0;  // unix micros
  // The latest time the dedupe state was pruned at: decisions never look earlier than this, so a
  // clock that steps back cannot revive an entry pruning already dropped.
  absl::Time pruned_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t records_since_snapshot_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_BILLING_H_
