// Properties over 100,000 seeded random auctions each: prices within [floor, bid], every candidate
// accounted for once, and the input order irrelevant.
#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "auction/auction.h"
#include "gtest/gtest.h"
#include "tests/auction/random_instance.h"

namespace gavel {
namespace auction {
namespace {

using ::gavel::auction::testing::FatesById;
using ::gavel::auction::testing::FloorOf;
using ::gavel::auction::testing::Instance;
using ::gavel::auction::testing::RandomInstance;
using ::gavel::auction::testing::RunSeeded;

using ::gavel::auction::testing::AuctionProperty;
using ::gavel::auction::testing::kSeedQuarters;

TEST_P(AuctionProperty, PriceIsBetweenReserveAndBid) {
  Auctioneer auctioneer;
  for (const uint64_t seed : Seeds()) {
    const Instance in = RandomInstance(seed);
    const Outcome out = RunSeeded(auctioneer, in.ads, in.rules, seed);
    for (const Winner& w : out.winners) {
      const Candidate& ad = in.ads[w.index];
      const int64_t floor = FloorOf(in.rules, w.slot, ad);
      ASSERT_GE(floor, SlotReserveMicros(in.rules, w.slot)) << "seed " << seed;
      ASSERT_GE(w.price_micros, floor) << "seed " << seed;
      ASSERT_LE(w.price_micros, ad.bid_micros) << "seed " << seed;
      // A minimum bid outranks: it exceeds the bid only for a winner that won a tie.
      ASSERT_GE(w.min_bid_micros, floor) << "seed " << seed;
      ASSERT_LE(w.min_bid_micros, ad.bid_micros + 1) << "seed " << seed;
      if (in.rules.mechanism == Mechanism::kFirstPrice) {
        ASSERT_EQ(w.price_micros, ad.bid_micros) << "seed " << seed;
      }
    }
  }
}

TEST_P(AuctionProperty, EveryCandidateIsAWinnerOrALoserExactlyOnce) {
  Auctioneer auctioneer;
  for (const uint64_t seed : Seeds()) {
    const Instance in = RandomInstance(seed);
    const Outcome out = RunSeeded(auctioneer, in.ads, in.rules, seed);
    std::set<size_t> seen;
    std::set<int64_t> products;
    int last_slot = -1;
    for (const Winner& w : out.winners) {
      ASSERT_TRUE(seen.insert(w.index).second) << "seed " << seed;
      ASSERT_GT(w.slot, last_slot) << "seed " << seed;
      ASSERT_LT(w.slot, in.rules.slots) << "seed " << seed;
      last_slot = w.slot;
      if (in.rules.one_winner_per_product) {
        ASSERT_TRUE(products.insert(in.ads[w.index].product_id).second) << "seed " << seed;
      }
    }
    size_t last_loser = 0;
    for (size_t i = 0; i < out.losers.size(); ++i) {
      ASSERT_TRUE(seen.insert(out.losers[i].index).second) << "seed " << seed;
      if (i > 0) ASSERT_GT(out.losers[i].index, last_loser) << "seed " << seed;
      last_loser = out.losers[i].index;
    }
    ASSERT_EQ(seen.size(), in.ads.size()) << "seed " << seed;
  }
}

TEST_P(AuctionProperty, PermutingTheInputChangesNothing) {
  Auctioneer auctioneer;
  for (const uint64_t seed : Seeds()) {
    Instance in = RandomInstance(seed);
    const auto before = FatesById(in.ads, RunSeeded(auctioneer, in.ads, in.rules, seed));
    std::mt19937_64 shuffle(seed);
    std::shuffle(in.ads.begin(), in.ads.end(), shuffle);
    const auto after = FatesById(in.ads, RunSeeded(auctioneer, in.ads, in.rules, seed));
    ASSERT_TRUE(before == after) << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(SeedQuarters, AuctionProperty, ::testing::Range(0, kSeedQuarters));

}  // namespace
}  // namespace auction
}  // namespace gavel
