// Properties over 100,000 seeded random auctions each: a winner's own bid sets its rank, never its
// price, and a higher bid never loses a slot.
#include <random>
#include <vector>

#include "absl/random/distributions.h"
#include "auction/auction.h"
#include "auction/money.h"
#include "gtest/gtest.h"
#include "tests/auction/random_instance.h"

namespace gavel {
namespace auction {
namespace {

using ::gavel::auction::testing::Instance;
using ::gavel::auction::testing::RandomInstance;
using ::gavel::auction::testing::RunSeeded;

using ::gavel::auction::testing::AuctionProperty;
using ::gavel::auction::testing::kSeedQuarters;

int SlotOf(const Outcome& out, size_t index) {
  for (const Winner& w : out.winners) {
    if (w.index == index) return w.slot;
  }
  return -1;
}

bool SameAllocation(const Outcome& a, const Outcome& b) {
  if (a.winners.size() != b.winners.size()) return false;
  for (size_t i = 0; i < a.winners.size(); ++i) {
    if (a.winners[i].index != b.winners[i].index || a.winners[i].slot != b.winners[i].slot) {
      return false;
    }
  }
  return true;
}

double Score(const Candidate& ad, const Rules& rules) {
  return static_cast<double>(ad.bid_micros) * QualityFactor(ad.quality, rules.squashing);
}

TEST_P(AuctionProperty, RaisingOwnBidWithoutChangingTheRankingKeepsThePrice) {
  Auctioneer auctioneer;
  int checked = 0;
  for (const uint64_t seed : Seeds()) {
    Instance in = RandomInstance(seed);
    if (in.rules.mechanism == Mechanism::kFirstPrice) continue;
    const Outcome before = RunSeeded(auctioneer, in.ads, in.rules, seed);
    if (before.winners.empty()) continue;
    std::mt19937_64 gen(seed);
    const Winner w = before.winners[absl::Uniform<size_t>(gen, 0, before.winners.size())];
    const double old_score = Score(in.ads[w.index], in.rules);
    const int64_t bid_before = in.ads[w.index].bid_micros;
    in.ads[w.index].bid_micros += absl::Uniform<int64_t>(absl::IntervalClosed, gen, 1, 500'000);
    const double new_score = Score(in.ads[w.index], in.rules);
    bool rank_kept = true;
    for (size_t j = 0; j < in.ads.size(); ++j) {
      const double s = Score(in.ads[j], in.rules);
      if (j != w.index && s >= old_score && s <= new_score) rank_kept = false;
    }
    const Outcome after = RunSeeded(auctioneer, in.ads, in.rules, seed);
    if (!rank_kept || !SameAllocation(before, after)) continue;
    ++checked;
    // A price or minimum bid capped at the old bid (e.g. by the increment) may rise with the bid,
    // never above what the uncapped rule gives; one below the old bid must not move at all.
    for (const Winner& v : after.winners) {
      if (v.index != w.index) continue;
      if (w.price_micros < bid_before) {
        ASSERT_EQ(v.price_micros, w.price_micros) << "seed " << seed;
      } else {
        ASSERT_GE(v.price_micros, w.price_micros) << "seed " << seed;
      }
      if (w.min_bid_micros < bid_before) {
        ASSERT_EQ(v.min_bid_micros, w.min_bid_micros) << "seed " << seed;
      }
    }
  }
  EXPECT_GT(checked, 2'500);
}

TEST_P(AuctionProperty, SlotIsMonotoneInBid) {
  Auctioneer auctioneer;
  for (const uint64_t seed : Seeds()) {
    Instance in = RandomInstance(seed);
    if (in.ads.empty()) continue;
    std::mt19937_64 gen(seed);
    const size_t i = absl::Uniform<size_t>(gen, 0, in.ads.size());
    const int slot_before = SlotOf(RunSeeded(auctioneer, in.ads, in.rules, seed), i);
    in.ads[i].bid_micros += absl::Uniform<int64_t>(absl::IntervalClosed, gen, 1, 1'000'000);
    const int slot_after = SlotOf(RunSeeded(auctioneer, in.ads, in.rules, seed), i);
    if (slot_before >= 0) {
      ASSERT_GE(slot_after, 0) << "seed " << seed;
      ASSERT_LE(slot_after, slot_before) << "seed " << seed;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(SeedQuarters, AuctionProperty, ::testing::Range(0, kSeedQuarters));

}  // namespace
}  // namespace auction
}  // namespace gavel
