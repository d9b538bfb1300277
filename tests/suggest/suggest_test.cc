#include "suggest/suggest.h"

#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace gavel::suggest {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
constexpr BidLimits kWide{.floor_micros = 1, .cap_micros = 1'000'000'000};

TargetObservation Win(int64_t cpc, std::array<int64_t, kSlots> min_bids = {}) {
  return {.at = kT0, .won = true, .cpc_micros = cpc, .min_bid_micros = min_bids};
}
TargetObservation Loss(std::array<int64_t, kSlots> min_bids) {
  return {.at = kT0, .won = false, .cpc_micros = 0, .min_bid_micros = min_bids};
}

TEST(NearestRank, IsTheValueOfRankCeilPercentTimesN) {
  const std::vector<int64_t> v = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
  EXPECT_EQ(NearestRank(v, 25), 30);  // ceil(2.5) = 3
  EXPECT_EQ(NearestRank(v, 50), 50);  // rank 5
  EXPECT_EQ(NearestRank(v, 75), 80);  // ceil(7.5) = 8
  EXPECT_EQ(NearestRank(v, 100), 100);
  EXPECT_EQ(NearestRank(v, 1), 10);
  const std::vector<int64_t> one = {7};
  EXPECT_EQ(NearestRank(one, 25), 7);
}

TEST(SuggestBid, RangeIsP25P50P75OfWinningPricesByNearestRank) {
  // Wins at 100..800 (8 wins, given out of order) and two losses that do not count.
  std::vector<TargetObservation> h = {Win(500), Win(100), Win(800), Loss({}), Win(300),
                                      Win(200), Win(700), Loss({}), Win(400), Win(600)};
  const BidSuggestion s = SuggestBid(h, kWide);
  EXPECT_EQ(s.auctions, 10);
  EXPECT_EQ(s.wins, 8);
  ASSERT_TRUE(s.has_range);
  EXPECT_EQ(s.low_micros, 200);     // rank ceil(0.25 x 8) = 2
  EXPECT_EQ(s.median_micros, 400);  // rank 4
  EXPECT_EQ(s.high_micros, 600);    // rank 6
}

TEST(SuggestBid, NoneBelowTheMinimumNumberOfObservations) {
  std::vector<TargetObservation> h;
  for (int i = 0; i < kMinObservations - 1; ++i) h.push_back(Win(100 + i, {500, 400, 300}));
  BidSuggestion s = SuggestBid(h, kWide);
  EXPECT_FALSE(s.has_range);
  EXPECT_FALSE(s.has_min_bids);
  EXPECT_EQ(s.auctions, kMinObservations - 1);
  h.push_back(Loss({500, 400, 300}));  // enough auctions, still too few wins
  s = SuggestBid(h, kWide);
  EXPECT_FALSE(s.has_range);
  EXPECT_TRUE(s.has_min_bids);
  EXPECT_EQ(s.min_bid_micros, (std::array<int64_t, kSlots>{500, 400, 300}));
}

TEST(SuggestBid, MinBidPerSlotIsTheMedianWithUnattainableAboveEveryBid) {
  // Slot 1: 100, 200, 300, unattainable, unattainable -> rank 3 of 5 = 300.
  // Slot 2: 50 x 2, unattainable x 3 -> rank 3 is unattainable -> 0.
  // Slot 3: 10..50 -> 30.
  std::vector<TargetObservation> h = {Loss({300, 0, 10}), Loss({0, 50, 20}), Loss({100, 0, 30}),
                                      Loss({0, 50, 40}), Loss({200, 0, 50})};
  const BidSuggestion s = SuggestBid(h, kWide);
  ASSERT_TRUE(s.has_min_bids);
  EXPECT_EQ(s.min_bid_micros, (std::array<int64_t, kSlots>{300, 0, 30}));
}

TEST(SuggestBid, ClampsToTheFloorAndTheCap) {
  std::vector<TargetObservation> h = {Win(5, {9'000, 8, 7}),     Win(6, {9'000, 8, 7}),
                                      Win(7, {9'000, 8, 7}),     Win(8, {9'000, 8, 7}),
                                      Win(9'000, {9'000, 8, 7}), Win(9'000, {9'000, 8, 7})};
  const BidSuggestion s = SuggestBid(h, {.floor_micros = 7, .cap_micros = 1'000});
  ASSERT_TRUE(s.has_range);
  EXPECT_EQ(s.low_micros, 7);       // p25 = rank 2 = 6, raised to the floor
  EXPECT_EQ(s.median_micros, 7);    // rank 3 = 7
  EXPECT_EQ(s.high_micros, 1'000);  // rank 5 = 9'000, lowered to the cap
  EXPECT_EQ(s.min_bid_micros, (std::array<int64_t, kSlots>{1'000, 8, 7}));
}

BudgetDayInput Day() {
  return {.daily_budget_micros = 10'000'000,
          .spend_micros = 9'990'000,
          .clicks = 30,
          .in_budget_auctions = 300,
          .out_of_budget_auctions = 100,
          .day_start = kT0,
          .day_end = kT0 + absl::Hours(24),
          .now = kT0 + absl::Hours(48),
          .out_at = kT0 + absl::Hours(18)};
}

TEST(SuggestBudgetDay, RanOutAtSixPmOfAFinishedDay) {
  const BudgetDaySuggestion s = SuggestBudgetDay(Day());
  EXPECT_TRUE(s.ran_out);
  EXPECT_DOUBLE_EQ(s.in_budget_share, 0.75);
  EXPECT_EQ(s.estimated_missed_clicks, 10);          // 30 x 100 / 300
  EXPECT_EQ(s.suggested_budget_micros, 13'320'000);  // 9'990'000 x 400 / 300
}

TEST(SuggestBudgetDay, TodayCountsUpToNowAndRoundsTheBudgetUp) {
  BudgetDayInput in = Day();
  in.now = kT0 + absl::Hours(12);
  in.out_at = kT0 + absl::Hours(3);
  in.spend_micros = 1'000'001;
  in.clicks = 7;
  in.in_budget_auctions = 3;
  in.out_of_budget_auctions = 1;
  in.daily_budget_micros = 1'000'000;
  const BudgetDaySuggestion s = SuggestBudgetDay(in);
  EXPECT_DOUBLE_EQ(s.in_budget_share, 0.25);
  EXPECT_EQ(s.estimated_missed_clicks, 2);          // floor(7 / 3)
  EXPECT_EQ(s.suggested_budget_micros, 1'333'335);  // ceil(1'000'001 x 4 / 3)
}

TEST(SuggestBudgetDay, NeverRanOutKeepsTheBudget) {
  BudgetDayInput in = Day();
  in.out_of_budget_auctions = 0;
  in.out_at.reset();
  const BudgetDaySuggestion s = SuggestBudgetDay(in);
  EXPECT_FALSE(s.ran_out);
  EXPECT_EQ(s.in_budget_share, 1.0);
  EXPECT_EQ(s.estimated_missed_clicks, 0);
  EXPECT_EQ(s.suggested_budget_micros, 10'000'000);
}

TEST(SuggestBudgetDay, NoInBudgetAuctionGivesNoEstimate) {
  BudgetDayInput in = Day();
  in.in_budget_auctions = 0;
  in.out_at = kT0;
  const BudgetDaySuggestion s = SuggestBudgetDay(in);
  EXPECT_TRUE(s.ran_out);
  EXPECT_EQ(s.in_budget_share, 0.0);
  EXPECT_EQ(s.estimated_missed_clicks, 0);
  EXPECT_EQ(s.suggested_budget_micros, 0);
}

TEST(SuggestBudgetDay, SuggestionIsNeverBelowTheBudget) {
  BudgetDayInput in = Day();
  in.spend_micros = 1'000;  // spent little, yet held back (a large bid over a small remainder)
  EXPECT_EQ(SuggestBudgetDay(in).suggested_budget_micros, 10'000'000);
}

}  // namespace
}  // namespace gavel::suggest
