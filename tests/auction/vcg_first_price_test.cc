// VCG and first price.
#include <vector>

#include "auction/auction.h"
#include "gtest/gtest.h"
#include "tests/auction/test_util.h"

namespace gavel {
namespace auction {
namespace {

using ::gavel::auction::testing::Ads;
using ::gavel::auction::testing::MustRun;

TEST(Vcg, EachWinnerPaysTheWelfareItTakesFromTheOthers) {
  // Default position factors 1 and 1/2. Without A, B moves to slot 0 and C enters slot 1:
  // A pays (3'000'000 * (1 - 1/2) + 1'000'000 * 1/2) / 1 = 2'000'000.
  // Without B, C enters slot 1: B pays 1'000'000 * 1/2 / (1/2) = 1'000'000.
  const auto ads =
      Ads({{.bid_micros = 4'000'000}, {.bid_micros = 3'000'000}, {.bid_micros = 1'000'000}});
  const Outcome outcome = MustRun(ads, Rules{.mechanism = Mechanism::kVcg, .slots = 2});
  ASSERT_EQ(outcome.winners.size(), 2u);
  EXPECT_EQ(outcome.winners[0].price_micros, 2'000'000);
  EXPECT_EQ(outcome.winners[1].price_micros, 1'000'000);
}

TEST(Vcg, UsesTheGivenPositionFactors) {
  // A: (3'000'000 * (1 - 0.8) + 1'000'000 * 0.8) / 1 = 1'400'000; B: 1'000'000 * 0.8 / 0.8.
  const auto ads =
      Ads({{.bid_micros = 4'000'000}, {.bid_micros = 3'000'000}, {.bid_micros = 1'000'000}});
  const Outcome outcome =
      MustRun(ads, Rules{.mechanism = Mechanism::kVcg, .slots = 2, .position_factors = {1.0, 0.8}});
  ASSERT_EQ(outcome.winners.size(), 2u);
  EXPECT_EQ(outcome.winners[0].price_micros, 1'400'000);
  EXPECT_EQ(outcome.winners[1].price_micros, 1'000'000);
}

TEST(Vcg, DividesTheExternalityByOwnQuality) {
  const auto ads =
      Ads({{.bid_micros = 2'000'000, .quality = 0.8}, {.bid_micros = 1'500'000, .quality = 0.6}});
  const Outcome outcome = MustRun(ads, Rules{.mechanism = Mechanism::kVcg});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 1'125'000);  // 900'000 / 0.8, no increment
}

TEST(Vcg, PriceIsFlooredAtTheReserve) {
  const auto ads = Ads({{.bid_micros = 2'000'000}, {.bid_micros = 300'000}});
  const Outcome outcome =
      MustRun(ads, Rules{.mechanism = Mechanism::kVcg, .reserve_micros = 250'000});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 300'000);
  const Outcome alone = MustRun(Ads({{.bid_micros = 2'000'000}}),
                                Rules{.mechanism = Mechanism::kVcg, .reserve_micros = 250'000});
  EXPECT_EQ(alone.winners[0].price_micros, 250'000);
}

TEST(Vcg, OwnAdsDisplacedDoNotCountTowardsTheExternality) {
  // A and B share advertiser 1. Without A, B would move up (its gain is not charged to A) and C
  // would enter slot 1: A pays 1'000'000 * 1/2 = 500'000.
  const auto ads = Ads({{.advertiser_id = 1, .bid_micros = 4'000'000},
                        {.advertiser_id = 1, .bid_micros = 3'000'000},
                        {.advertiser_id = 2, .bid_micros = 1'000'000}});
  const Outcome own = MustRun(ads, Rules{.mechanism = Mechanism::kVcg, .slots = 2});
  EXPECT_EQ(own.winners[0].price_micros, 500'000);
  const Outcome off = MustRun(
      ads,
      Rules{.mechanism = Mechanism::kVcg, .slots = 2, .self_competition = SelfCompetition::kOff});
  EXPECT_EQ(off.winners[0].price_micros, 2'000'000);
}

TEST(FirstPrice, WinnerPaysItsBid) {
  const auto ads =
      Ads({{.bid_micros = 2'000'000, .quality = 0.8}, {.bid_micros = 1'500'000, .quality = 0.6}});
  const Outcome outcome = MustRun(ads, Rules{.mechanism = Mechanism::kFirstPrice, .slots = 2});
  ASSERT_EQ(outcome.winners.size(), 2u);
  EXPECT_EQ(outcome.winners[0].price_micros, 2'000'000);
  EXPECT_EQ(outcome.winners[0].min_bid_micros, 1'125'001);  // outranks B's 900'000 at 0.8
  EXPECT_EQ(outcome.winners[1].price_micros, 1'500'000);
  EXPECT_EQ(outcome.winners[1].min_bid_micros, 10'000);
}

}  // namespace
}  // namespace auction
}  // namespace gavel
