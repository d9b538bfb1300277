// Invariants of SuggestBid over seeded random histories: low <= median <= high, everything within
// the limits, min bids non-increasing in the slot (0 = unattainable counting as above every bid),
// and a suggestion exactly when the history is large enough.
#include <random>
#include <vector>

#include "absl/random/random.h"
#include "gtest/gtest.h"
#include "suggest/suggest.h"

namespace gavel::suggest {
namespace {

// 0 counts as above every bid.
bool NotAbove(int64_t a, int64_t b) { return b == 0 || (a != 0 && a <= b); }

TEST(SuggestBidProperty, OrderedAndWithinTheLimits) {
  std::mt19937_64 gen(20261202);
  for (int round = 0; round < 2000; ++round) {
    const int64_t floor = absl::Uniform<int64_t>(gen, 1, 50'000);
    const BidLimits limits{.floor_micros = floor,
                           .cap_micros = absl::Uniform<int64_t>(gen, floor, 5'000'000)};
    const int n = absl::Uniform<int>(gen, 0, 40);
    std::vector<TargetObservation> h;
    int wins = 0;
    for (int i = 0; i < n; ++i) {
      TargetObservation o;
      o.won = absl::Bernoulli(gen, 0.5);
      wins += o.won ? 1 : 0;
      if (o.won) o.cpc_micros = absl::Uniform<int64_t>(gen, 1, 6'000'000);
      // Per auction the minimum bids are non-increasing in the slot, as the auction makes them.
      int64_t m = absl::Bernoulli(gen, 0.2) ? 0 : absl::Uniform<int64_t>(gen, 1, 6'000'000);
      for (int s = 0; s < kSlots; ++s) {
        o.min_bid_micros[s] = m;
        if (m > 0) m = absl::Uniform<int64_t>(gen, 1, m + 1);
        if (m == 0 && absl::Bernoulli(gen, 0.5)) m = absl::Uniform<int64_t>(gen, 1, 6'000'000);
      }
      h.push_back(o);
    }
    const BidSuggestion s = SuggestBid(h, limits);
    ASSERT_EQ(s.auctions, n);
    ASSERT_EQ(s.wins, wins);
    ASSERT_EQ(s.has_range, wins >= kMinObservations);
    ASSERT_EQ(s.has_min_bids, n >= kMinObservations);
    if (s.has_range) {
      EXPECT_LE(limits.floor_micros, s.low_micros);
      EXPECT_LE(s.low_micros, s.median_micros);
      EXPECT_LE(s.median_micros, s.high_micros);
      EXPECT_LE(s.high_micros, limits.cap_micros);
    }
    if (s.has_min_bids) {
      for (int slot = 0; slot < kSlots; ++slot) {
        const int64_t m = s.min_bid_micros[slot];
        if (m != 0) {
          EXPECT_GE(m, limits.floor_micros);
          EXPECT_LE(m, limits.cap_micros);
        }
        if (slot > 0) EXPECT_TRUE(NotAbove(m, s.min_bid_micros[slot - 1])) << round;
      }
    }
  }
}

}  // namespace
}  // namespace gavel::suggest
