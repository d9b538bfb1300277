// Properties over 100,000 seeded random auctions each (every reserve mode, per-slot reserves,
// squashing, ads sharing a product or an advertiser): the minimum bids an auction reports are
// exact. Re-running with a candidate's bid at its reported minimum for slot s gets it slot s or a
// better one even when it loses every tie; one micro less does not, even then.
#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "absl/random/distributions.h"
#include "absl/types/span.h"
#include "auction/auction.h"
#include "gtest/gtest.h"
#include "tests/auction/random_instance.h"

namespace gavel {
namespace auction {
namespace {

using ::gavel::auction::testing::IdThatLosesEveryTie;
using ::gavel::auction::testing::Instance;
using ::gavel::auction::testing::RandomInstance;
using ::gavel::auction::testing::RunSeeded;

using ::gavel::auction::testing::AuctionProperty;
using ::gavel::auction::testing::kSeedQuarters;

// The slot candidate `index` gets when it bids `bid` (under `id`), everything else unchanged; -1
// for none.
int SlotWithBid(Auctioneer& auctioneer, std::vector<Candidate> ads, const Rules& rules,
                uint64_t seed, size_t index, int64_t bid, int64_t id) {
  ads[index].bid_micros = bid;
  ads[index].candidate_id = id;
  for (const Winner& w : RunSeeded(auctioneer, ads, rules, seed).winners) {
    if (w.index == index) return w.slot;
  }
  return -1;
}

// One in four instances reports against a smaller largest bid, so minimums beyond it occur.
MinBidOptions RandomOptions(uint64_t seed) {
  std::mt19937_64 gen(seed ^ 0x5EED);
  MinBidOptions options{.per_slot = true};
  if (absl::Bernoulli(gen, 0.25)) {
    options.max_bid_micros = absl::Uniform<int64_t>(absl::IntervalClosed, gen, 1, 3'000'000);
  }
  return options;
}

TEST_P(AuctionProperty, MinBidPerSlotGetsTheSlotOrBetterAndOneMicroLessDoesNot) {
  Auctioneer auctioneer;
  int64_t checked = 0, unreachable = 0, weighted = 0, slot_reserves = 0, shared_products = 0;
  for (const uint64_t seed : Seeds()) {
    const Instance in = RandomInstance(seed);
    const MinBidOptions options = RandomOptions(seed);
    const Outcome out = RunSeeded(auctioneer, in.ads, in.rules, seed, options);
    const int slots = in.rules.slots;
    ASSERT_EQ(out.min_bid_micros_per_slot.size(), in.ads.size() * slots) << "seed " << seed;
    for (const Winner& w : out.winners) {
      ASSERT_EQ(w.min_bid_micros, out.MinBidsPerSlot(w.index)[w.slot]) << "seed " << seed;
    }
    // Every candidate of a small auction; six of a large one.
    std::vector<size_t> chosen;
    std::mt19937_64 pick(seed);
    for (size_t i = 0; i < in.ads.size(); ++i) chosen.push_back(i);
    if (in.ads.size() > 12) {
      chosen.clear();
      for (int k = 0; k < 6; ++k) chosen.push_back(absl::Uniform<size_t>(pick, 0, in.ads.size()));
    }
    for (const size_t i : chosen) {
      const absl::Span<const int64_t> row = out.MinBidsPerSlot(i);
      const int64_t loser_id = IdThatLosesEveryTie(in.ads, i, seed);
      const int64_t own_id = in.ads[i].candidate_id;
      std::map<std::pair<int64_t, int64_t>, int> slot_with;  // (bid, id) -> slot: rows repeat
      for (int s = 0; s < slots; ++s) {
        const int64_t m = row[s];
        if (s > 0 && row[s - 1] != kNoMinBid) {
          ASSERT_NE(m, kNoMinBid) << "seed " << seed << " ad " << i << " slot " << s;
          ASSERT_LE(m, row[s - 1]) << "seed " << seed << " ad " << i << " slot " << s;
        }
        const auto gets = [&](int64_t bid, int64_t id) {
          auto [it, fresh] = slot_with.try_emplace({bid, id}, -1);
          if (fresh) it->second = SlotWithBid(auctioneer, in.ads, in.rules, seed, i, bid, id);
          return it->second >= 0 && it->second <= s;
        };
        if (m == kNoMinBid) {
          ++unreachable;
          ASSERT_FALSE(gets(options.max_bid_micros, loser_id))
              << "seed " << seed << " ad " << i << " slot " << s;
          continue;
        }
        ++checked;
        ASSERT_GE(m, 1) << "seed " << seed;
        ASSERT_LE(m, options.max_bid_micros) << "seed " << seed;
        ASSERT_TRUE(gets(m, loser_id)) << "seed " << seed << " ad " << i << " slot " << s;
        ASSERT_TRUE(gets(m, own_id)) << "seed " << seed << " ad " << i << " slot " << s;
        if (m > 1) {
          ASSERT_FALSE(gets(m - 1, loser_id)) << "seed " << seed << " ad " << i << " slot " << s;
        }
        weighted += in.rules.reserve_mode == ReserveMode::kQualityWeighted;
        slot_reserves += !in.rules.slot_reserve_micros.empty();
        for (size_t j = 0; j < in.ads.size(); ++j) {
          if (j != i && in.ads[j].product_id == in.ads[i].product_id &&
              in.rules.one_winner_per_product) {
            ++shared_products;
            break;
          }
        }
      }
    }
  }
  // Every kind of instance is well represented.
  EXPECT_GT(checked, 100'000);
  EXPECT_GT(unreachable, 1'000);
  EXPECT_GT(weighted, 30'000);
  EXPECT_GT(slot_reserves, 15'000);
  EXPECT_GT(shared_products, 30'000);
}

INSTANTIATE_TEST_SUITE_P(SeedQuarters, AuctionProperty, ::testing::Range(0, kSeedQuarters));

}  // namespace
}  // namespace auction
}  // namespace gavel
