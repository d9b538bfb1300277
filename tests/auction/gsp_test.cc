// Generalized second price: the examples of docs/auction.md, checkable by hand.
#include <algorithm>
#include <random>
#include <vector>

#include "absl/random/distributions.h"
#include "auction/auction.h"
#include "auction/money.h"
#include "gtest/gtest.h"
#include "tests/auction/test_util.h"

namespace gavel {
namespace auction {
namespace {

using ::gavel::auction::testing::Ads;
using ::gavel::auction::testing::LoserOf;
using ::gavel::auction::testing::MustRun;
using ::gavel::auction::testing::WinnerOf;

TEST(GeneralizedSecondPrice, WinnerPaysNextRankScoreOverOwnQuality) {
  // Scores 1'600'000 and 900'000; A pays ceil(900'000 / 0.8) + 10'000 increment.
  const auto ads =
      Ads({{.bid_micros = 2'000'000, .quality = 0.8}, {.bid_micros = 1'500'000, .quality = 0.6}});
  const Outcome outcome = MustRun(ads, Rules{});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].index, 0u);
  EXPECT_EQ(outcome.winners[0].slot, 0);
  EXPECT_EQ(outcome.winners[0].price_micros, 1'135'000);
  EXPECT_DOUBLE_EQ(outcome.winners[0].score, 1'600'000.0);
  ASSERT_EQ(outcome.losers.size(), 1u);
  EXPECT_EQ(outcome.losers[0].index, 1u);
  EXPECT_EQ(outcome.losers[0].reason, LossReason::kOutranked);
}

TEST(GeneralizedSecondPrice, QuotientIsRoundedUpToTheMicro) {
  // 700'000 / 0.3 = 2'333'333.33... rounds up to 2'333'334.
  const auto ads =
      Ads({{.bid_micros = 3'000'000, .quality = 0.3}, {.bid_micros = 700'000, .quality = 1.0}});
  const Outcome outcome = MustRun(ads, Rules{.increment_micros = 0, .min_cpc_micros = 0});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].index, 0u);
  EXPECT_EQ(outcome.winners[0].price_micros, 2'333'334);
}

TEST(GeneralizedSecondPrice, EqualQualityConvertsBackToTheExactBid) {
  const auto ads =
      Ads({{.bid_micros = 1'000'000, .quality = 0.7}, {.bid_micros = 900'000, .quality = 0.7}});
  const Outcome outcome = MustRun(ads, Rules{.increment_micros = 0, .min_cpc_micros = 0});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 900'000);
}

TEST(GeneralizedSecondPrice, EachSlotPaysTheScoreOfTheSlotBelow) {
  const auto ads =
      Ads({{.bid_micros = 4'000'000}, {.bid_micros = 3'000'000}, {.bid_micros = 1'000'000}});
  const Outcome outcome = MustRun(ads, Rules{.slots = 2});
  ASSERT_EQ(outcome.winners.size(), 2u);
  EXPECT_EQ(outcome.winners[0].price_micros, 3'010'000);
  EXPECT_EQ(outcome.winners[1].index, 1u);
  EXPECT_EQ(outcome.winners[1].price_micros, 1'010'000);
}

TEST(GeneralizedSecondPrice, PriceIsCappedAtOwnBid) {
  const auto ads = Ads({{.bid_micros = 1'000'000}, {.bid_micros = 995'000}});
  const Outcome outcome = MustRun(ads, Rules{});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 1'000'000);
}

TEST(GeneralizedSecondPrice, WinnerWithoutCompetitorPaysTheMinCpc) {
  const auto ads = Ads({{.bid_micros = 1'000'000}});
  const Outcome outcome = MustRun(ads, Rules{});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 10'000);
  EXPECT_EQ(outcome.winners[0].min_bid_micros, 10'000);
}

TEST(GeneralizedSecondPrice, WinnerWithoutCompetitorPaysTheReserve) {
  const auto ads = Ads({{.bid_micros = 1'000'000}});
  const Outcome outcome = MustRun(ads, Rules{.reserve_micros = 250'000});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 250'000);
}

TEST(GeneralizedSecondPrice, MinCpcFloorsThePrice) {
  const auto ads = Ads({{.bid_micros = 1'000'000}, {.bid_micros = 20'000}});
  const Outcome outcome = MustRun(ads, Rules{.increment_micros = 0, .min_cpc_micros = 50'000});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].price_micros, 50'000);
  // A bid under the min CPC can take no slot.
  ASSERT_NE(LoserOf(outcome, 1), nullptr);
  EXPECT_EQ(LoserOf(outcome, 1)->reason, LossReason::kBelowReserve);
}

TEST(GeneralizedSecondPrice, IncrementIsAddedToTheSecondPrice) {
  const auto ads = Ads({{.bid_micros = 2'000'000}, {.bid_micros = 1'000'000}});
  EXPECT_EQ(MustRun(ads, Rules{.increment_micros = 0}).winners[0].price_micros, 1'000'000);
  EXPECT_EQ(MustRun(ads, Rules{.increment_micros = 50'000}).winners[0].price_micros, 1'050'000);
}

TEST(GeneralizedSecondPrice, SquashingZeroRanksByBidAlone) {
  const auto ads =
      Ads({{.bid_micros = 1'000'000, .quality = 0.1}, {.bid_micros = 900'000, .quality = 1.0}});
  const Outcome outcome = MustRun(ads, Rules{.squashing = 0.0});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].index, 0u);
  EXPECT_EQ(outcome.winners[0].price_micros, 910'000);
  EXPECT_DOUBLE_EQ(outcome.winners[0].score, 1'000'000.0);
}

TEST(GeneralizedSecondPrice, SquashingOneRanksByBidTimesQuality) {
  const auto ads =
      Ads({{.bid_micros = 1'000'000, .quality = 0.1}, {.bid_micros = 900'000, .quality = 1.0}});
  const Outcome outcome = MustRun(ads, Rules{.squashing = 1.0});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].index, 1u);
  // 100'000 / 1.0 + 10'000.
  EXPECT_EQ(outcome.winners[0].price_micros, 110'000);
}

TEST(GeneralizedSecondPrice, SquashingHalfUsesTheSquareRootOfQuality) {
  // Scores: 1'000'000 * sqrt(0.25) = 500'000 and 1'600'000 * sqrt(0.0625) = 400'000.
  const auto ads = Ads(
      {{.bid_micros = 1'000'000, .quality = 0.25}, {.bid_micros = 1'600'000, .quality = 0.0625}});
  const Outcome outcome = MustRun(ads, Rules{.squashing = 0.5, .increment_micros = 0});
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].index, 0u);
  EXPECT_EQ(outcome.winners[0].price_micros, 800'000);  // 400'000 / 0.5
}

TEST(GeneralizedSecondPrice, MinBidIsTheBidThatOutranksTheNextScore) {
  const auto ads =
      Ads({{.bid_micros = 2'000'000, .quality = 0.8}, {.bid_micros = 1'500'000, .quality = 0.6}});
  const Outcome outcome = MustRun(ads, Rules{});
  ASSERT_EQ(outcome.winners.size(), 1u);
  // 900'000 / 0.8 = 1'125'000 only ties B's score; one micro more outranks it whatever the draw.
  EXPECT_EQ(outcome.winners[0].min_bid_micros, 1'125'001);
}

TEST(GeneralizedSecondPrice, EveryCandidateIsEitherWinnerOrLoser) {
  const auto ads = Ads({{.bid_micros = 5'000},
                        {.bid_micros = 3'000'000},
                        {.bid_micros = 2'000'000},
                        {.bid_micros = 1'000'000}});
  const Outcome outcome = MustRun(ads, Rules{.slots = 2});
  EXPECT_EQ(outcome.winners.size() + outcome.losers.size(), ads.size());
  ASSERT_NE(WinnerOf(outcome, 1), nullptr);
  ASSERT_NE(WinnerOf(outcome, 2), nullptr);
  EXPECT_EQ(LoserOf(outcome, 0)->reason, LossReason::kBelowReserve);
  EXPECT_EQ(LoserOf(outcome, 3)->reason, LossReason::kOutranked);
}

TEST(GeneralizedSecondPrice, NoCandidatesNoWinners) {
  const Outcome outcome = MustRun({}, Rules{.slots = 3});
  EXPECT_TRUE(outcome.winners.empty());
  EXPECT_TRUE(outcome.losers.empty());
}

// A large auction against a full sort: the top-K selection must not change the result.
std::vector<Candidate> ManyAds(int n, int products) {
  std::mt19937_64 gen(3);
  std::vector<Candidate> ads;
  for (int i = 0; i < n; ++i) {
    ads.push_back(testing::MakeCandidate(
        {.candidate_id = i + 1,
         .product_id = products == 0 ? i + 1 : 1 + i % products,
         .bid_micros = absl::Uniform<int64_t>(gen, 10'000, 3'000'000),
         .quality = absl::Uniform(absl::IntervalOpenClosed, gen, 0.0, 1.0)}));
  }
  return ads;
}

std::vector<size_t> ByScore(const std::vector<Candidate>& ads) {
  std::vector<size_t> order(ads.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&ads](size_t a, size_t b) {
    return ads[a].bid_micros * ads[a].quality > ads[b].bid_micros * ads[b].quality;
  });
  return order;
}

TEST(GeneralizedSecondPrice, LargeAuctionMatchesAFullSort) {
  const auto ads = ManyAds(5'000, 0);
  const std::vector<size_t> order = ByScore(ads);
  const Outcome outcome = MustRun(ads, Rules{.slots = 5});
  ASSERT_EQ(outcome.winners.size(), 5u);
  EXPECT_EQ(outcome.losers.size(), ads.size() - 5);
  for (int k = 0; k < 5; ++k) {
    const Candidate& me = ads[order[k]];
    const Candidate& next = ads[order[k + 1]];
    EXPECT_EQ(outcome.winners[k].index, order[k]);
    EXPECT_EQ(outcome.winners[k].price_micros,
              std::min(me.bid_micros,
                       std::max<int64_t>(10'000, PerClickMicros(next.bid_micros * next.quality,
                                                                me.quality, me.bid_micros) +
                                                     10'000)));
  }
}

TEST(GeneralizedSecondPrice, LargeAuctionWithFewProductsKeepsTheBestAdOfEach) {
  // Three products among 3,000 ads: most of the top ads are duplicates, so the auction must look
  // beyond its first selection.
  const auto ads = ManyAds(3'000, 3);
  std::vector<size_t> best;
  for (size_t i : ByScore(ads)) {
    bool seen = false;
    for (size_t b : best) seen = seen || ads[b].product_id == ads[i].product_id;
    if (!seen) best.push_back(i);
  }
  const Outcome outcome = MustRun(ads, Rules{.slots = 5});
  ASSERT_EQ(outcome.winners.size(), 3u);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(outcome.winners[k].index, best[k]);
  int duplicates = 0;
  for (const Loser& l : outcome.losers) duplicates += l.reason == LossReason::kDuplicateProduct;
  EXPECT_EQ(duplicates, 3'000 - 3);
}

}  // namespace
}  // namespace auction
}  // namespace gavel
