#include "metrics/gavel_metrics.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/registry.h"

namespace gavel::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(GavelMetrics, AnAuctionCountsByPlacementMechanismAndResult) {
  Registry r;
  GavelMetrics m(&r);
  engine::AuctionResult filled;
  filled.winners.resize(2);
  filled.winners[0].cpc_micros = 1'500'000;
  filled.winners[1].cpc_micros = 300'000;
  filled.stats.candidates = 7;
  filled.stats.losses[static_cast<int>(engine::LossReason::kBelowReserve)] = 5;
  filled.stats.phase_nanos = {1000, 2000, 3000, 4000};
  m.RecordAuction({.placement = catalog::Placement::kProductPage,
                   .mechanism = auction::Mechanism::kVcg,
                   .slots = 3,
                   .nanos = 250'000},
                  filled);
  m.RecordAuction({.placement = catalog::Placement::kProductPage, .slots = 3, .nanos = 100'000},
                  engine::AuctionResult{});
  const std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("gavel_auctions_total{placement=\"product_page\",mechanism=\"vcg\","
                              "result=\"filled\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gavel_auctions_total{placement=\"product_page\",mechanism=\"gsp\","
                              "result=\"empty\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gavel_auction_slots_requested_total 6\n"));
  EXPECT_THAT(text, HasSubstr("gavel_auction_slots_filled_total 2\n"));
  EXPECT_THAT(text, HasSubstr("gavel_auction_losses_total{reason=\"below_reserve\"} 5\n"));
  EXPECT_THAT(text, HasSubstr("gavel_winner_cpc_micros_sum 1800000\n"));
  EXPECT_THAT(text, HasSubstr("gavel_auction_duration_seconds_sum 0.00035\n"));
  EXPECT_THAT(text, HasSubstr("gavel_auction_phase_duration_seconds_sum{phase=\"sign\"} 4e-06\n"));
  EXPECT_THAT(text, HasSubstr("gavel_auction_candidates_sum 7\n"));
  // The retriever's rejections have no series.
  EXPECT_THAT(text, Not(HasSubstr("negative_keyword")));
}

TEST(GavelMetrics, ErrorsShedAndExpiredCallsAreCountedByCodeAndService) {
  Registry r;
  GavelMetrics m(&r);
  m.RecordAuctionError(absl::StatusCode::kInvalidArgument, 1000);
  m.RecordShed(Service::kAuction);
  m.RecordShed(Service::kEvents);
  m.RecordDeadlineExpired(Service::kEvents);
  const std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("gavel_auction_errors_total{code=\"invalid_argument\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gavel_auction_errors_total{code=\"resource_exhausted\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gavel_shed_total{service=\"events\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gavel_deadline_expired_total{service=\"events\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gavel_auction_duration_seconds_count 1\n"));  // shed: not timed
}

TEST(GavelMetrics, AnIngestCountsEventsByTypeOutcomeAndInvalidReason) {
  Registry r;
  GavelMetrics m(&r);
  std::vector<billing::Event> events(4);
  events[3].type = billing::TokenType::kImpression;
  std::vector<billing::EventResult> results = {
      {.outcome = billing::Outcome::kCharged, .charged_micros = 700'000},
      {.outcome = billing::Outcome::kInvalid, .reason = billing::InvalidReason::kRepeatClick},
      {.outcome = billing::Outcome::kBudgetExhausted},
      {.outcome = billing::Outcome::kRecorded}};
  m.RecordIngest(events, results, 2'000'000);
  m.RecordIngest(events, {}, 1'000'000);  // a failed ingest: timed, no outcomes
  const std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("gavel_events_total{type=\"click\",outcome=\"charged\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gavel_events_total{type=\"click\",outcome=\"invalid\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("gavel_events_total{type=\"click\",outcome=\"budget_exhausted\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gavel_events_total{type=\"impression\",outcome=\"recorded\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gavel_invalid_clicks_total{reason=\"repeat_click\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("gavel_charged_micros_total 700000\n"));
  EXPECT_THAT(text, HasSubstr("gavel_event_batch_events_sum 8\n"));
  EXPECT_THAT(text, HasSubstr("gavel_event_ingest_duration_seconds_count 2\n"));
}

}  // namespace
}  // namespace gavel::metrics
