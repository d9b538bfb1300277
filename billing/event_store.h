// Where event outcomes are decided and kept: the money store behind Billing. Billing validates a
// batch and verifies its tokens (no shared state); the store decides each event with the one copy
// of the rules (billing/rules.h), makes the outcomes durable, and answers statistics. Two stores
// implement it: the embedded one (billing/ledger_store.h: a local write-ahead ledger, one process)
// and the PostgreSQL one (billing/postgres_store.h: any number of replicas sharing a database).
// They pass one test suite (tests/billing/event_store_test.cc).
//
//   std::unique_ptr<EventStore> store = *LedgerEventStore::Open(options, context);
//   absl::StatusOr<std::vector<EventResult>> results = store->Ingest(events, verified);
//
// Implementations are thread-safe.
#ifndef GAVEL_BILLING_EVENT_STORE_H_
#define GAVEL_BILLING_EVENT_STORE_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "billing/attribution.h"
#include "billing/budget.h"
#include "billing/dimensions.h"
#include "billing/rules.h"
#include "billing/sales.h"
#include "billing/stats.h"
#include "billing/token.h"
#include "common/clock.h"

namespace gavel::billing {

// What a store works with, owned by Billing and valid for the store's lifetime.
struct EventContext {
  EventRules rules;
  const TokenVerifier* verifier = nullptr;
  // The campaigns' budget settings and the spend the auction path reads. The embedded store
  // charges it directly; the PostgreSQL store charges the database and refreshes this view.
  BudgetStore* budgets = nullptr;
  const Clock* clock = nullptr;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Decides `events` (their tokens verified as `verified`, index for index) and returns one
  // result per event, in order, once the outcomes are as durable as docs/billing.md ("What is
  // durable when") says. kUnavailable: the store could not record the batch, and nothing in it
  // was acknowledged (a retry is safe: it cannot charge twice).
  virtual absl::StatusOr<std::vector<EventResult>> Ingest(
      absl::Span<const Event> events, absl::Span<const VerifyResult> verified) = 0;

  // Daily statistics over [from, to] in the campaign's local days; errors as StatsStore::Get,
  // kUnavailable if the store cannot be read.
  virtual absl::StatusOr<CampaignStats> Stats(absl::string_view campaign_id, absl::CivilDay from,
                                              absl::CivilDay to) const = 0;

  // Records purchase lines (validated) and returns one outcome per line, in order, once durable:
  // kRecorded the first time an (order id, line) is seen, kDuplicate after, also within the
  // batch. kUnavailable as Ingest (nothing acknowledged; a retry is safe).
  virtual absl::StatusOr<std::vector<PurchaseOutcome>> IngestPurchases(
      absl::Span<const PurchaseLine> lines) = 0;
  // For attribution (billing/attribution.h): the shoppers of the campaign's charged clicks of
  // known shoppers on its local days [from_day, to_day] (DayIndex), and every charged click of
  // known shoppers and purchase line of `users` with time in [from, to), appended to `clicks`
  // and `lines`. kUnavailable if the store cannot be read.
  virtual absl::StatusOr<ClickShoppers> CampaignShoppers(absl::string_view campaign_id,
                                                         int64_t from_day,
                                                         int64_t to_day) const = 0;
  virtual absl::Status ShopperActivity(absl::Span<const uint64_t> users, absl::Time from,
                                       absl::Time to, std::vector<AttributedClick>* clicks,
                                       std::vector<PurchaseLine>* lines) const = 0;

  // The campaign's sales report over `stats`' days (its Stats) under `window` (at most
  // kMaxAttributionWindow): BuildSalesReport of Attribute over everything recorded. With
  // `dimension` other than kCampaign, also the report's rows and key_totals for that dimension
  // (billing/dimensions.h), search-term rows before local day `retention_from_day` folded into
  // kOtherKey, from the same pass over the lines. This default reads the campaign's shoppers'
  // clicks and lines (CampaignShoppers, ShopperActivity) and runs the rule over them, for
  // kCampaign only (kUnimplemented otherwise); both stores override it to answer from the
  // candidates they keep at ingest (billing/sales_index.h, campaign_lines) and their per-dimension
  // counters. kUnavailable if the store cannot be read.
  virtual absl::StatusOr<SalesReport> SalesReportOf(
      absl::string_view campaign_id, const CampaignStats& stats, absl::Duration window,
      const AdvertisesFn& advertises, Dimension dimension, int64_t retention_from_day) const;

  // Compacts what recovery reads (the embedded store writes a snapshot); OK where nothing to do.
  virtual absl::Status Snapshot() { return absl::OkStatus(); }

  // When the spend in EventContext::budgets was last known current. The embedded store charges
  // that view itself, so it is always current (InfiniteFuture).
  virtual absl::Time spend_view_at() const { return absl::InfiniteFuture(); }

  // The dedupe and click-window state this process holds (docs/billing.md, "Memory"); zeros for
  // a store that keeps it in the database.
  virtual DedupeState dedupe_state() const { return {}; }
};

// Makes a store; Billing::Open calls it once with its context.
using EventStoreFactory =
    std::function<absl::StatusOr<std::unique_ptr<EventStore>>(const EventContext& context)>;

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_EVENT_STORE_H_
