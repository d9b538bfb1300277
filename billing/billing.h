// The billing facade the server wires in: token issuing for auction winners, the serving checks
// (budget and pacing) before an auction, durable event ingestion, and statistics. It owns the
// budget store, the pacer and the event store (billing/event_store.h: the embedded ledger, or
// PostgreSQL shared by replicas). Rules: docs/billing.md.
//
//   auto billing = Billing::Open({.keyring = keyring, .ledger = {.dir = dir}}, &clock);
//   (*billing)->UpsertCampaign({.campaign_id = "c1", .daily_budget_micros = 50'000'000});
//   if ((*billing)->EligibleToServe("c1", gen, bid) == Eligibility::kEligible) { /* compete */ }
//   CampaignHandle c1 = (*billing)->Resolve("c1");  // once, e.g. per catalog snapshot
//   if ((*billing)->EligibleToServe(c1, gen, bid) == Eligibility::kEligible) { /* the same */ }
//   TokenPair tokens = *(*billing)->issuer().Issue(winner);
//   absl::StatusOr<std::vector<EventResult>> results = (*billing)->Ingest(events);
//
// Thread-safe. Does not own `clock` (must outlive the Billing object). Ingest verifies tokens
// without a lock, then hands the batch to the event store. EligibleToServe takes no lock that
// Ingest or the store holds.
#ifndef GAVEL_BILLING_BILLING_H_
#define GAVEL_BILLING_BILLING_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "billing/attribution.h"
#include "billing/budget.h"
#include "billing/event_store.h"
#include "billing/ledger_store.h"
#include "billing/pacing.h"
#include "billing/rules.h"
#include "billing/sales.h"
#include "billing/stats.h"
#include "billing/token.h"
#include "common/clock.h"

namespace gavel::billing {

struct BillingConfig {
  std::shared_ptr<const Keyring> keyring;  // required (Keyring::InsecureDevDefault() for demos)
  TokenOptions tokens;
  EventRules rules;
  PacingConfig pacing;
  // Where event outcomes are kept. Unset: the embedded store (LedgerEventStore) in `ledger`.
  EventStoreFactory event_store;
  LedgerStoreOptions ledger;  // the embedded store's; ledger.dir required without event_store
  SalesOptions sales;  // purchases: the accepted currency
  // Campaigns stop serving (kSpendUnknown) once the store's spend view is older than this.
  absl::Duration max_spend_staleness = absl::Seconds(60);
};

// kSpendUnknown: the event store's spend view is older than BillingConfig::max_spend_staleness
// (a shared store unreachable that long); the campaign sits out rather than risk overspending.
enum class Eligibility { kEligible, kBudgetExhausted, kPacedOut, kUnknownCampaign, kSpendUnknown };

// A campaign resolved once (Billing::Resolve) for the auction path: its budget entry and pacing
// state. Cheap to copy. Valid while the Billing object that made it lives.
struct CampaignHandle {
  std::shared_ptr<const BudgetHandle> budget;
  Pacer::Handle pacing;
};

class Billing {
 public:
  // Opens the event store: config.event_store's, or the embedded ledger in config.ledger.dir
  // (which loads the newest snapshot and replays the log after it). kInvalidArgument for a
  // missing keyring or ledger dir; the store's errors (kDataLoss, I/O, kUnavailable) otherwise.
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
  // kSpendUnknown if the store's spend view is stale (above), kBudgetExhausted if its remaining
  // budget is below max(max_price_micros, 1), kPacedOut if pacing throttles it for this auction.
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

  // Processes a batch and returns one result per event, in order, once durable as
  // docs/billing.md ("What is durable when") says. kInvalidArgument (nothing processed) if a
  // client_event_id is empty or over 128 bytes; kUnavailable if the store failed (nothing in the
  // batch is acknowledged).
  absl::StatusOr<std::vector<EventResult>> Ingest(absl::Span<const Event> events);

  // Daily statistics over [from, to] in the campaign's local days; errors as StatsStore::Get.
  absl::StatusOr<CampaignStats> Stats(absl::string_view campaign_id, absl::CivilDay from,
                                      absl::CivilDay to) const;
  // Records purchases (docs/billing.md, "Sales"): one outcome per line item, in order, once
  // durable. kInvalidArgument naming the field (nothing recorded) as ValidatePurchases;
  // kUnavailable if the store failed (nothing acknowledged; a retry is safe). The shopper's id is
  // hashed with the current key, as new click tokens are.
  absl::StatusOr<std::vector<PurchaseOutcome>> IngestPurchases(absl::Span<const Purchase> purchases);

  // The campaign's delivery and attributed sales per local day over [from, to] with an
  // attribution window of `window_days` (kAttributionWindowDays). kInvalidArgument for another
  // window or a bad range (as Stats); kUnavailable if the store cannot be read.
  absl::StatusOr<SalesReport> Sales(absl::string_view campaign_id, absl::CivilDay from,
                                    absl::CivilDay to, int window_days,
                                    const AdvertisesFn& advertises) const;

  // The same broken down by `dimension` (billing/dimensions.h): the campaign's report with its
  // rows and key_totals filled (for kCampaign, exactly the report above). Search-term rows of
  // days before the last kSearchTermRetentionDays campaign-local days (today included) are
  // folded into kOtherKey. Errors as above; kFailedPrecondition from a store without dimension
  // reports (PostgreSQL).
  absl::StatusOr<SalesReport> Sales(absl::string_view campaign_id, absl::CivilDay from,
                                    absl::CivilDay to, int window_days,
                                    const AdvertisesFn& advertises, Dimension dimension) const;

  // Today's local day for a campaign (UTC without settings), to default a stats range.
  absl::CivilDay Today(absl::string_view campaign_id) const;

  // EventStore::Snapshot: the embedded store writes a snapshot now.
  absl::Status Snapshot();

  DedupeState dedupe_state() const;
  // EventStore::spend_view_at: when the serving view of spend was last known current.
  absl::Time spend_view_at() const { return store_->spend_view_at(); }

  const BudgetStore& budgets() const { return *budgets_; }
  const Pacer& pacer() const { return pacer_; }

 private:
  Billing(BillingConfig config, const Clock* clock, std::unique_ptr<BudgetStore> budgets);
  // Whether the store's spend view is too old to serve from (kSpendUnknown).
  bool SpendUnknown(absl::Time now) const;

  const BillingConfig config_;
  const Clock* const clock_;
  const TokenIssuer issuer_;
  const TokenVerifier verifier_;
  std::unique_ptr<BudgetStore> budgets_;
  Pacer pacer_;
  std::unique_ptr<EventStore> store_;
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_BILLING_H_
