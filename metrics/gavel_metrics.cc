#include "metrics/gavel_metrics.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"

namespace gavel::metrics {
namespace {

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

std::string CodeLabel(int code) {
  // absl's names ("INVALID_ARGUMENT"), lowercased: the gRPC status code names.
  return Lower(absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
}

constexpr const char* kPhaseNames[engine::kNumPhases] = {"retrieve", "gate", "auction", "sign"};

}  // namespace

std::string PlacementLabel(catalog::Placement p) {
  switch (p) {
    case catalog::Placement::kUnspecified:
      return "unspecified";
    case catalog::Placement::kTopOfSearch:
      return "top_of_search";
    case catalog::Placement::kRestOfSearch:
      return "rest_of_search";
    case catalog::Placement::kProductPage:
      return "product_page";
    case catalog::Placement::kCategoryPage:
      return "category_page";
    case catalog::Placement::kHomePage:
      return "home_page";
    case catalog::Placement::kCheckout:
      return "checkout";
  }
  return "unspecified";
}

std::string LossReasonLabel(engine::LossReason r) {
  switch (r) {
    case engine::LossReason::kNone:
      return "none";
    case engine::LossReason::kBelowReserve:
      return "below_reserve";
    case engine::LossReason::kOutranked:
      return "outranked";
    case engine::LossReason::kBudgetExhausted:
      return "budget_exhausted";
    case engine::LossReason::kPacedOut:
      return "paced_out";
    case engine::LossReason::kNegativeKeyword:
      return "negative_keyword";
    case engine::LossReason::kDuplicateProduct:
      return "duplicate_product";
    case engine::LossReason::kLowRelevance:
      return "low_relevance";
    case engine::LossReason::kTargetingExcluded:
      return "targeting_excluded";
    case engine::LossReason::kOutOfSchedule:
      return "out_of_schedule";
    case engine::LossReason::kSpendUnknown:
      return "spend_unknown";
  }
  return "none";
}

GavelMetrics::GavelMetrics(Registry* r) {
  for (int p = 0; p < catalog::kNumPlacements; ++p) {
    for (int m = 0; m < kMechanisms; ++m) {
      for (int filled = 1; filled >= 0; --filled) {
        auctions_[p][m][filled] = r->AddCounter(
            "gavel_auctions_total",
            "Auctions run to completion, by placement, pricing mechanism and result (filled: at "
            "least one winner).",
            {{"placement", PlacementLabel(static_cast<catalog::Placement>(p))},
             {"mechanism", Lower(auction::MechanismName(static_cast<auction::Mechanism>(m)))},
             {"result", filled ? "filled" : "empty"}});
      }
    }
  }
  for (int c = 1; c < kCodes; ++c) {
    errors_[c] = r->AddCounter("gavel_auction_errors_total",
                               "RunAuction calls that failed, by gRPC status code.",
                               {{"code", CodeLabel(c)}});
  }
  latency_ = r->AddHistogram("gavel_auction_duration_seconds",
                             "Server-side time of a RunAuction call, parse to serialize, every "
                             "result (shed calls excluded).",
                             {}, Buckets::kLatencyNanos, Histogram::kNanosPerSecond);
  for (int p = 0; p < engine::kNumPhases; ++p) {
    phases_[p] = r->AddHistogram(
        "gavel_auction_phase_duration_seconds", "Time of one phase of a successful auction.",
        {{"phase", kPhaseNames[p]}}, Buckets::kLatencyNanos, Histogram::kNanosPerSecond);
  }
  candidates_ = r->AddHistogram("gavel_auction_candidates",
                                "Candidates an auction considered (retrieved or supplied).", {},
                                Buckets::kCounts);
  winners_ =
      r->AddHistogram("gavel_auction_winners", "Winners of an auction.", {}, Buckets::kSmallCounts);
  cpc_ = r->AddHistogram("gavel_winner_cpc_micros",
                         "Cost per click of each winner, in micros of the catalog currency.", {},
                         Buckets::kMicros);
  slots_requested_ = r->AddCounter("gavel_auction_slots_requested_total",
                                   "Slots successful auctions asked for; fill rate = "
                                   "gavel_auction_slots_filled_total / this.");
  slots_filled_ = r->AddCounter("gavel_auction_slots_filled_total",
                                "Slots successful auctions filled (winners).");
  for (int l = 1; l < engine::kNumLossReasons; ++l) {
    const auto reason = static_cast<engine::LossReason>(l);
    if (reason == engine::LossReason::kNegativeKeyword ||
        reason == engine::LossReason::kLowRelevance ||
        reason == engine::LossReason::kOutOfSchedule) {
      continue;  // the retriever's rejections are not counted (engine::AuctionStats)
    }
    losses_[l] =
        r->AddCounter("gavel_auction_losses_total", "Candidates that did not win, by reason.",
                      {{"reason", LossReasonLabel(reason)}});
  }
  const char* services[] = {"auction", "events"};
  for (int s = 0; s < 2; ++s) {
    shed_[s] = r->AddCounter("gavel_shed_total",
                             "Calls refused with RESOURCE_EXHAUSTED because the service was at its "
                             "limit (auctions in flight, event batches queued).",
                             {{"service", services[s]}});
  }
  for (int s = 0; s < 2; ++s) {
    expired_[s] = r->AddCounter("gavel_deadline_expired_total",
                                "Calls whose deadline passed before they were served.",
                                {{"service", services[s]}});
  }
  const char* types[] = {"impression", "click"};
  for (int t = 0; t < 2; ++t) {
    for (int o = 1; o < kOutcomes; ++o) {
      events_[t][o] = r->AddCounter(
          "gavel_events_total", "Events ingested, by type and outcome.",
          {{"type", types[t]},
           {"outcome", Lower(billing::OutcomeName(static_cast<billing::Outcome>(o)))}});
    }
  }
  for (int i = 1; i < kInvalidReasons; ++i) {
    invalid_clicks_[i] = r->AddCounter(
        "gavel_invalid_clicks_total", "Clicks recorded as INVALID, by reason.",
        {{"reason", Lower(billing::InvalidReasonName(static_cast<billing::InvalidReason>(i)))}});
  }
  charged_micros_ = r->AddCounter("gavel_charged_micros_total",
                                  "Money charged for clicks, in micros of the catalog currency.");
  batch_events_ = r->AddHistogram("gavel_event_batch_events",
                                  "Events per ingest: one ledger append and fsync (embedded "
                                  "store) or one transaction (PostgreSQL).",
                                  {}, Buckets::kCounts);
  ingest_ = r->AddHistogram("gavel_event_ingest_duration_seconds",
                            "Time of one ingest, durable (fsync or commit) included.", {},
                            Buckets::kLatencyNanos, Histogram::kNanosPerSecond);
  fsync_ = r->AddHistogram("gavel_ledger_fsync_duration_seconds",
                           "Time of one fdatasync of the embedded ledger.", {},
                           Buckets::kLatencyNanos, Histogram::kNanosPerSecond);
}

void GavelMetrics::RecordAuction(const Call& call, const engine::AuctionResult& result) {
  const int p = static_cast<int>(call.placement);
  const int m = static_cast<int>(call.mechanism);
  const bool filled = !result.winners.empty();
  if (p >= 0 && p < catalog::kNumPlacements && m >= 0 && m < kMechanisms) {
    auctions_[p][m][filled]->Add();
  }
  latency_->Observe(call.nanos);
  for (int i = 0; i < engine::kNumPhases; ++i) phases_[i]->Observe(result.stats.phase_nanos[i]);
  candidates_->Observe(result.stats.candidates);
  winners_->Observe(static_cast<int64_t>(result.winners.size()));
  for (const engine::AdOutcome& w : result.winners) cpc_->Observe(w.cpc_micros);
  slots_requested_->Add(call.slots);
  slots_filled_->Add(static_cast<int64_t>(result.winners.size()));
  for (int l = 0; l < engine::kNumLossReasons; ++l) {
    if (result.stats.losses[l] != 0 && losses_[l] != nullptr)
      losses_[l]->Add(result.stats.losses[l]);
  }
}

void GavelMetrics::RecordAuctionError(absl::StatusCode code, int64_t nanos) {
  const int c = static_cast<int>(code);
  if (c > 0 && c < kCodes) errors_[c]->Add();
  latency_->Observe(nanos);
}

void GavelMetrics::RecordIngest(absl::Span<const billing::Event> events,
                                absl::Span<const billing::EventResult> results, int64_t nanos) {
  batch_events_->Observe(static_cast<int64_t>(events.size()));
  ingest_->Observe(nanos);
  for (size_t i = 0; i < results.size() && i < events.size(); ++i) {
    const billing::EventResult& r = results[i];
    const int t = events[i].type == billing::TokenType::kClick ? 1 : 0;
    const int o = static_cast<int>(r.outcome);
    if (o > 0 && o < kOutcomes) events_[t][o]->Add();
    if (r.outcome == billing::Outcome::kCharged) charged_micros_->Add(r.charged_micros);
    const int reason = static_cast<int>(r.reason);
    if (t == 1 && r.outcome == billing::Outcome::kInvalid && reason > 0 &&
        reason < kInvalidReasons) {
      invalid_clicks_[reason]->Add();
    }
  }
}

void GavelMetrics::RecordShed(Service s) {
  shed_[static_cast<int>(s)]->Add();
  if (s == Service::kAuction)
    errors_[static_cast<int>(absl::StatusCode::kResourceExhausted)]->Add();
}

int64_t GavelMetrics::LossesTotal(engine::LossReason r) const {
  const Counter* c = losses_[static_cast<int>(r)];
  return c != nullptr ? c->Value() : 0;
}

}  // namespace gavel::metrics
