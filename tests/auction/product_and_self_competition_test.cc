// One winner per product, and whose ads may set a winner's second price.
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

TEST(OneWinnerPerProduct, BestScoringAdOfAProductWinsTheOthersLose) {
  const auto ads = Ads({{.product_id = 7, .bid_micros = 2'000'000},
                        {.product_id = 7, .bid_micros = 1'500'000},
                        {.product_id = 8, .bid_micros = 1'000'000}});
  const Outcome outcome = MustRun(ads, Rules{.slots = 2});
  ASSERT_EQ(outcome.winners.size(), 2u);
  EXPECT_EQ(outcome.winners[0].index, 0u);
  EXPECT_EQ(outcome.winners[1].index, 2u);
  EXPECT_EQ(LoserOf(outcome, 1)->reason, LossReason::kDuplicateProduct);
  // The duplicate does not set the price, but bidding under it would lose the product to it.
  EXPECT_EQ(outcome.winners[0].price_micros, 1'010'000);
  EXPECT_EQ(outcome.winners[0].min_bid_micros, 1'500'001);
}

TEST(OneWinnerPerProduct, OffLetsOneProductTakeSeveralSlots) {
  const auto ads = Ads({{.product_id = 7, .bid_micros = 2'000'000},
                        {.product_id = 7, .bid_micros = 1'500'000},
                        {.product_id = 8, .bid_micros = 1'000'000}});
  const Outcome outcome = MustRun(ads, Rules{.slots = 2, .one_winner_per_product = false});
  ASSERT_EQ(outcome.winners.size(), 2u);
  EXPECT_EQ(outcome.winners[1].index, 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 1'510'000);
}

TEST(OneWinnerPerProduct, AdBelowReserveDoesNotHideAnEligibleDuplicate) {
  // A scores higher but its bid misses the reserve; B, same product, is eligible and wins.
  const auto ads = Ads({{.product_id = 7, .bid_micros = 400'000, .quality = 1.0},
                        {.product_id = 7, .bid_micros = 600'000, .quality = 0.5}});
  const Outcome outcome = MustRun(ads, Rules{.reserve_micros = 500'000});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].index, 1u);
  EXPECT_EQ(LoserOf(outcome, 0)->reason, LossReason::kBelowReserve);
}

TEST(SelfCompetition, AdvertiserOwnAdsNeverSetItsPrice) {
  const auto ads = Ads({{.advertiser_id = 1, .bid_micros = 3'000'000},
                        {.advertiser_id = 1, .bid_micros = 2'000'000},
                        {.advertiser_id = 2, .bid_micros = 1'000'000}});
  const Outcome outcome = MustRun(ads, Rules{.slots = 2});
  ASSERT_EQ(outcome.winners.size(), 2u);
  EXPECT_EQ(outcome.winners[0].price_micros, 1'010'000);
  EXPECT_EQ(outcome.winners[1].price_micros, 1'010'000);
  // Bidding under its own second ad would still have cost A the slot.
  EXPECT_EQ(outcome.winners[0].min_bid_micros, 2'000'001);
}

TEST(SelfCompetition, CampaignOnlyIgnoresAdsOfTheSameCampaign) {
  const auto other_campaign = Ads({{.advertiser_id = 1, .campaign_id = 10, .bid_micros = 3'000'000},
                                   {.advertiser_id = 1, .campaign_id = 11, .bid_micros = 2'000'000},
                                   {.advertiser_id = 2, .bid_micros = 1'000'000}});
  const Rules rules{.slots = 2, .self_competition = SelfCompetition::kCampaign};
  EXPECT_EQ(MustRun(other_campaign, rules).winners[0].price_micros, 2'010'000);

  const auto same_campaign = Ads({{.advertiser_id = 1, .campaign_id = 10, .bid_micros = 3'000'000},
                                  {.advertiser_id = 1, .campaign_id = 10, .bid_micros = 2'000'000},
                                  {.advertiser_id = 2, .bid_micros = 1'000'000}});
  EXPECT_EQ(MustRun(same_campaign, rules).winners[0].price_micros, 1'010'000);
}

TEST(SelfCompetition, OffLetsAnyAdSetThePrice) {
  const auto ads = Ads({{.advertiser_id = 1, .bid_micros = 3'000'000},
                        {.advertiser_id = 1, .bid_micros = 2'000'000},
                        {.advertiser_id = 2, .bid_micros = 1'000'000}});
  const Outcome outcome =
      MustRun(ads, Rules{.slots = 2, .self_competition = SelfCompetition::kOff});
  EXPECT_EQ(outcome.winners[0].price_micros, 2'010'000);
}

TEST(SelfCompetition, WinnerWithOnlyOwnAdsBelowPaysTheReserve) {
  const auto ads = Ads({{.advertiser_id = 1, .bid_micros = 3'000'000},
                        {.advertiser_id = 1, .bid_micros = 2'000'000}});
  const Outcome outcome = MustRun(ads, Rules{.reserve_micros = 100'000});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 100'000);
  ASSERT_NE(WinnerOf(outcome, 0), nullptr);
}

}  // namespace
}  // namespace auction
}  // namespace gavel
