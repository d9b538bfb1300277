#include "billing/billing.h"

#include <algorithm>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gavel::billing {
namespace {

constexpr size_t kMaxEventIdBytes = 128;

// The serving rule both lookups share: a campaign that cannot pay its highest bid sits out, and a
// paced one takes part only when `participate` (one pacing draw) says so.
Eligibility Verdict(int64_t remaining_micros, int64_t max_price_micros, bool pacing,
                    absl::FunctionRef<bool()> participate) {
  if (remaining_micros < std::max<int64_t>(max_price_micros, 1)) {
    return Eligibility::kBudgetExhausted;
  }
  if (pacing && !participate()) return Eligibility::kPacedOut;
  return Eligibility::kEligible;
}

}  // namespace

Billing::Billing(BillingConfig config, const Clock* clock, std::unique_ptr<BudgetStore> budgets)
    : config_(std::move(config)),
      clock_(clock),
      issuer_(config_.keyring, clock, config_.tokens),
      verifier_(config_.keyring),
      budgets_(std::move(budgets)),
      pacer_(config_.pacing) {}

Billing::~Billing() = default;

absl::StatusOr<std::unique_ptr<Billing>> Billing::Open(BillingConfig config, const Clock* clock,
                                                       std::unique_ptr<BudgetStore> budgets) {
  if (config.keyring == nullptr) {
    return absl::InvalidArgumentError(
        "keyring must be set (Keyring::InsecureDevDefault() for a demo)");
  }
  if (clock == nullptr) return absl::InvalidArgumentError("clock must be set");
  if (budgets == nullptr) budgets = std::make_unique<InMemoryBudgetStore>();
  std::unique_ptr<Billing> b(new Billing(config, clock, std::move(budgets)));
  const EventContext context = {.rules = b->config_.rules,
                                .verifier = &b->verifier_,
                                .budgets = b->budgets_.get(),
                                .clock = clock};
  if (b->config_.event_store) {
    auto store = b->config_.event_store(context);
    if (!store.ok()) return store.status();
    b->store_ = std::move(*store);
  } else {
    auto store = LedgerEventStore::Open(b->config_.ledger, context);
    if (!store.ok()) return store.status();
    b->store_ = std::move(*store);
  }
  return b;
}

absl::Status Billing::UpsertCampaign(const CampaignBudget& budget) {
  return budgets_->Upsert(budget);
}

absl::Status Billing::UpsertCampaigns(absl::Span<const CampaignBudget> budgets) {
  return budgets_->UpsertAll(budgets);
}

Eligibility Billing::EligibleToServe(absl::string_view campaign_id, absl::BitGenRef gen,
                                     int64_t max_price_micros) {
  const absl::Time now = clock_->Now();
  auto view = budgets_->Query(campaign_id, now);
  if (!view.ok()) return Eligibility::kUnknownCampaign;
  if (SpendUnknown(now)) return Eligibility::kSpendUnknown;
  const CampaignBudget& s = *view->settings;
  return Verdict(view->remaining_micros, max_price_micros, s.pacing, [&] {
    auto day_bounds = [&] {
      const absl::CivilDay day = CivilDayFromIndex(view->day);
      return Pacer::DayBounds(absl::FromCivil(day, s.time_zone),
                              absl::FromCivil(day + 1, s.time_zone));
    };
    return pacer_.Participate(campaign_id, now, day_bounds, view->spent_today_micros,
                              s.daily_budget_micros, gen);
  });
}

CampaignHandle Billing::Resolve(absl::string_view campaign_id) {
  return {.budget = budgets_->Resolve(campaign_id), .pacing = pacer_.Resolve(campaign_id)};
}

Eligibility Billing::EligibleToServe(const CampaignHandle& campaign, absl::BitGenRef gen,
                                     int64_t max_price_micros) {
  const absl::Time now = clock_->Now();
  const ServingBudget b = campaign.budget->Read(now);
  if (!b.known) return Eligibility::kUnknownCampaign;
  if (SpendUnknown(now)) return Eligibility::kSpendUnknown;
  return Verdict(b.remaining_micros, max_price_micros, b.pacing, [&] {
    return pacer_.Participate(
        campaign.pacing, now, [&] { return Pacer::DayBounds(b.day_start, b.day_end); },
        b.spent_today_micros, b.daily_budget_micros, gen);
  });
}

bool Billing::SpendUnknown(absl::Time now) const {
  return now - store_->spend_view_at() > config_.max_spend_staleness;
}

absl::CivilDay Billing::Today(absl::string_view campaign_id) const {
  return CivilDayFromIndex(CampaignDay(*budgets_, campaign_id, clock_->Now()));
}

absl::StatusOr<std::vector<EventResult>> Billing::Ingest(absl::Span<const Event> events) {
  for (const Event& e : events) {
    if (e.client_event_id.empty() || e.client_event_id.size() > kMaxEventIdBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("client_event_id must be 1-128 bytes, got ", e.client_event_id.size()));
    }
  }
  // HMAC verification is the expensive part; it needs no shared state.
  std::vector<VerifyResult> verified;
  verified.reserve(events.size());
  const absl::Time verify_time = clock_->Now();
  for (const Event& e : events) verified.push_back(verifier_.Verify(e.token, e.type, verify_time));

  return store_->Ingest(events, verified);
}

absl::StatusOr<CampaignStats> Billing::Stats(absl::string_view campaign_id, absl::CivilDay from,
                                             absl::CivilDay to) const {
  return store_->Stats(campaign_id, from, to);
}

absl::StatusOr<std::vector<PurchaseOutcome>> Billing::IngestPurchases(
    absl::Span<const Purchase> purchases) {
  if (absl::Status st = ValidatePurchases(purchases, config_.sales, clock_->Now()); !st.ok()) {
    return st;
  }
  const std::string& key = config_.keyring->current().id;
  return store_->IngestPurchases(
      LinesOf(purchases, [&](absl::string_view user) { return verifier_.UserHash(key, user); }));
}

absl::StatusOr<SalesReport> Billing::Sales(absl::string_view campaign_id, absl::CivilDay from,
                                           absl::CivilDay to, int window_days,
                                           const AdvertisesFn& advertises) const {
  return Sales(campaign_id, from, to, window_days, advertises, Dimension::kCampaign);
}

absl::StatusOr<SalesReport> Billing::Sales(absl::string_view campaign_id, absl::CivilDay from,
                                           absl::CivilDay to, int window_days,
                                           const AdvertisesFn& advertises,
                                           Dimension dimension) const {
  if (absl::Status st = CheckAttributionWindow(window_days, "attribution_window_days"); !st.ok()) {
    return st;
  }
  absl::StatusOr<CampaignStats> stats = store_->Stats(campaign_id, from, to);
  if (!stats.ok()) return stats.status();
  const int64_t retention_from_day =
      dimension == Dimension::kSearchTerm
          ? (Today(campaign_id) - absl::CivilDay(1970, 1, 1)) - (kSearchTermRetentionDays - 1)
          : 0;
  return store_->SalesReportOf(campaign_id, *stats, absl::Hours(24) * window_days, advertises,
                               dimension, retention_from_day);
}

DedupeState Billing::dedupe_state() const { return store_->dedupe_state(); }

absl::Status Billing::Snapshot() { return store_->Snapshot(); }

}  // namespace gavel::billing
