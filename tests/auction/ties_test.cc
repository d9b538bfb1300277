// Equal scores: settled at random by the injected generator, independently of input order.
#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "absl/random/distributions.h"
#include "auction/auction.h"
#include "gtest/gtest.h"
#include "tests/auction/random_instance.h"
#include "tests/auction/test_util.h"

namespace gavel {
namespace auction {
namespace {

using ::gavel::auction::testing::Ads;
using ::gavel::auction::testing::DocumentedTieKey;
using ::gavel::auction::testing::MustRun;
using ::gavel::auction::testing::TieDraw;

std::vector<Candidate> FourTiedAds() {
  return Ads({{.bid_micros = 1'000'000},
              {.bid_micros = 1'000'000},
              {.bid_micros = 1'000'000},
              {.bid_micros = 1'000'000}});
}

TEST(Ties, SameSeedGivesTheSameWinner) {
  const auto ads = FourTiedAds();
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const Outcome a = MustRun(ads, Rules{.slots = 2}, seed);
    const Outcome b = MustRun(ads, Rules{.slots = 2}, seed);
    ASSERT_EQ(a.winners.size(), 2u);
    EXPECT_EQ(a.winners[0].index, b.winners[0].index);
    EXPECT_EQ(a.winners[1].index, b.winners[1].index);
  }
}

TEST(Ties, EveryTiedAdWinsAboutEquallyOften) {
  const auto ads = FourTiedAds();
  std::vector<int> wins(ads.size(), 0);
  constexpr int kSeeds = 8000;
  for (uint64_t seed = 0; seed < kSeeds; ++seed)
    ++wins[MustRun(ads, Rules{}, seed).winners[0].index];
  for (int w : wins) {
    EXPECT_GT(w, kSeeds / 4 - 300);
    EXPECT_LT(w, kSeeds / 4 + 300);
  }
}

TEST(Ties, InputOrderDoesNotChangeWhoWins) {
  auto ads = FourTiedAds();
  std::mt19937_64 shuffle(7);
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const Outcome before = MustRun(ads, Rules{}, seed);
    const int64_t winner_id = ads[before.winners[0].index].candidate_id;
    std::shuffle(ads.begin(), ads.end(), shuffle);
    const Outcome after = MustRun(ads, Rules{}, seed);
    EXPECT_EQ(ads[after.winners[0].index].candidate_id, winner_id);
  }
}

TEST(Ties, TheAdWithTheHigherDocumentedKeyRanksFirst) {
  const auto ads = FourTiedAds();
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const uint64_t draw = TieDraw(seed);
    size_t expected = 0;
    for (size_t i = 1; i < ads.size(); ++i) {
      if (DocumentedTieKey(draw, ads[i].candidate_id) >
          DocumentedTieKey(draw, ads[expected].candidate_id)) {
        expected = i;
      }
    }
    EXPECT_EQ(MustRun(ads, Rules{}, seed).winners[0].index, expected) << "seed " << seed;
  }
}

TEST(Ties, TiedWinnerPaysItsOwnBid) {
  const Outcome outcome = MustRun(FourTiedAds(), Rules{});
  EXPECT_EQ(outcome.winners[0].price_micros, 1'000'000);
}

TEST(Ties, TiedWinnerMinBidIsOneMicroAboveItsBid) {
  // It holds the slot by the draw; only a bid that outranks the others holds it whatever the draw.
  const Outcome outcome = MustRun(FourTiedAds(), Rules{});
  EXPECT_EQ(outcome.winners[0].min_bid_micros, 1'000'001);
}

TEST(Ties, AGeneratorRunIsTheSeededRunWithTheGeneratorsFirstDraw) {
  const auto ads = FourTiedAds();
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::mt19937_64 gen(seed);
    std::mt19937_64 same(seed);
    const uint64_t tie_break_seed = absl::Uniform<uint64_t>(same);
    absl::StatusOr<Outcome> drawn = RunAuction(ads, Rules{.slots = 3}, gen);
    absl::StatusOr<Outcome> given = RunAuction(ads, Rules{.slots = 3}, tie_break_seed);
    ASSERT_TRUE(drawn.ok() && given.ok());
    ASSERT_EQ(drawn->winners.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(drawn->winners[i].index, given->winners[i].index);
      EXPECT_EQ(drawn->winners[i].price_micros, given->winners[i].price_micros);
    }
    EXPECT_EQ(gen, same);  // exactly one draw
  }
}

TEST(Ties, ASeededRunDrawsNothingAndARejectedRunDrawsNothing) {
  Auctioneer auctioneer;
  Outcome outcome;
  std::mt19937_64 gen(3);
  const std::mt19937_64 untouched(3);
  ASSERT_TRUE(auctioneer.Run(FourTiedAds(), Rules{}, uint64_t{42}, &outcome).ok());
  EXPECT_EQ(auctioneer.Run(FourTiedAds(), Rules{.slots = 0}, gen, &outcome).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(gen, untouched);
  EXPECT_TRUE(outcome.winners.empty());
}

TEST(Ties, DifferentSeedsPickDifferentWinners) {
  const auto ads = FourTiedAds();
  std::set<size_t> winners;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    absl::StatusOr<Outcome> o = RunAuction(ads, Rules{}, seed);
    ASSERT_TRUE(o.ok());
    winners.insert(o->winners[0].index);
  }
  EXPECT_EQ(winners.size(), ads.size());
}

}  // namespace
}  // namespace auction
}  // namespace gavel
