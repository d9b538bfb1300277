// Reserves: global, per slot, applied to the bid or to the quality-weighted score.
#include <vector>

#include "auction/auction.h"
#include "gtest/gtest.h"
#include "tests/auction/test_util.h"

namespace gavel {
namespace auction {
namespace {

using ::gavel::auction::testing::Ads;
using ::gavel::auction::testing::LoserOf;
using ::gavel::auction::testing::MustRun;
using ::gavel::auction::testing::WinnerOf;

TEST(Reserve, BidBelowEveryReserveLosesWithBelowReserve) {
  const auto ads = Ads({{.bid_micros = 400'000}, {.bid_micros = 600'000}});
  const Outcome outcome = MustRun(ads, Rules{.reserve_micros = 500'000});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].index, 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 500'000);
  EXPECT_EQ(LoserOf(outcome, 0)->reason, LossReason::kBelowReserve);
}

TEST(Reserve, BidEqualToTheReserveIsEligible) {
  const auto ads = Ads({{.bid_micros = 500'000}});
  const Outcome outcome = MustRun(ads, Rules{.reserve_micros = 500'000});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 500'000);
}

TEST(Reserve, SlotReserveOverridesTheGlobalReserve) {
  const auto ads =
      Ads({{.bid_micros = 2'000'000}, {.bid_micros = 400'000}, {.bid_micros = 300'000}});
  const Outcome outcome =
      MustRun(ads, Rules{.slots = 2, .reserve_micros = 100'000, .slot_reserve_micros = {500'000}});
  ASSERT_EQ(outcome.winners.size(), 2u);
  // Nobody below A could take slot 0 (bids under 500'000), so A pays the slot-0 reserve.
  EXPECT_EQ(outcome.winners[0].index, 0u);
  EXPECT_EQ(outcome.winners[0].price_micros, 500'000);
  EXPECT_EQ(outcome.winners[0].min_bid_micros, 500'000);
  // Slot 1 uses the global reserve: B pays C's 300'000 + increment.
  EXPECT_EQ(outcome.winners[1].index, 1u);
  EXPECT_EQ(outcome.winners[1].price_micros, 310'000);
}

TEST(Reserve, TopSlotGoesToTheBestRankedAdThatMeetsItsReserve) {
  // A ranks first (score 800'000) but its bid misses the 1'000'000 top-slot reserve; B (score
  // 600'000) meets it and takes slot 0; A takes slot 1.
  const auto ads =
      Ads({{.bid_micros = 800'000, .quality = 1.0}, {.bid_micros = 2'000'000, .quality = 0.3}});
  const Outcome outcome =
      MustRun(ads, Rules{.slots = 2, .slot_reserve_micros = {1'000'000, 200'000}});
  ASSERT_EQ(outcome.winners.size(), 2u);
  EXPECT_EQ(outcome.winners[0].index, 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 1'000'000);
  EXPECT_EQ(outcome.winners[1].index, 0u);
  EXPECT_EQ(outcome.winners[1].price_micros, 200'000);
}

TEST(Reserve, SlotNobodyMeetsStaysEmpty) {
  const auto ads = Ads({{.bid_micros = 500'000}, {.bid_micros = 300'000}});
  const Outcome outcome = MustRun(
      ads, Rules{.slots = 2, .reserve_micros = 100'000, .slot_reserve_micros = {1'000'000}});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].index, 0u);
  EXPECT_EQ(outcome.winners[0].slot, 1);
  EXPECT_EQ(outcome.winners[0].price_micros, 310'000);
  EXPECT_EQ(LoserOf(outcome, 1)->reason, LossReason::kOutranked);
}

TEST(Reserve, QualityWeightedReserveRaisesTheBarForLowQuality) {
  // A needs bid >= 500'000 / 0.5 = 1'000'000 under the quality-weighted reserve.
  const auto ads =
      Ads({{.bid_micros = 800'000, .quality = 0.5}, {.bid_micros = 600'000, .quality = 1.0}});
  const Outcome weighted =
      MustRun(ads, Rules{.reserve_micros = 500'000, .reserve_mode = ReserveMode::kQualityWeighted});
  EXPECT_EQ(LoserOf(weighted, 0)->reason, LossReason::kBelowReserve);
  ASSERT_NE(WinnerOf(weighted, 1), nullptr);
  EXPECT_EQ(WinnerOf(weighted, 1)->price_micros, 500'000);

  const Outcome on_bid = MustRun(ads, Rules{.reserve_micros = 500'000});
  EXPECT_EQ(LoserOf(on_bid, 0)->reason, LossReason::kOutranked);
  ASSERT_NE(WinnerOf(on_bid, 1), nullptr);
  EXPECT_EQ(WinnerOf(on_bid, 1)->price_micros, 500'000);  // max(500'000, 400'000 + 10'000)
}

TEST(Reserve, QualityWeightedReserveIsTheWinnersPriceFloor) {
  const auto ads = Ads({{.bid_micros = 1'000'000, .quality = 0.5}});
  const Outcome outcome =
      MustRun(ads, Rules{.reserve_micros = 300'000, .reserve_mode = ReserveMode::kQualityWeighted});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 600'000);  // 300'000 / 0.5
}

TEST(Reserve, QualityWeightedReserveRoundsUp) {
  // 100'000 / 0.3 = 333'333.33... -> 333'334; a bid of 333'333 misses it.
  const auto ads =
      Ads({{.bid_micros = 333'333, .quality = 0.3}, {.bid_micros = 333'334, .quality = 0.3}});
  const Outcome outcome =
      MustRun(ads, Rules{.reserve_micros = 100'000, .reserve_mode = ReserveMode::kQualityWeighted});
  EXPECT_EQ(LoserOf(outcome, 0)->reason, LossReason::kBelowReserve);
  ASSERT_NE(WinnerOf(outcome, 1), nullptr);
  EXPECT_EQ(WinnerOf(outcome, 1)->price_micros, 333'334);
}

TEST(Reserve, QualityWeightedReserveWithSquashingZeroIsTheBidReserve) {
  const auto ads = Ads({{.bid_micros = 400'000, .quality = 0.1}});
  const Outcome outcome = MustRun(ads, Rules{.reserve_micros = 400'000,
                                             .reserve_mode = ReserveMode::kQualityWeighted,
                                             .squashing = 0.0});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 400'000);
}

}  // namespace
}  // namespace auction
}  // namespace gavel
