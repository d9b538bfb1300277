// ExpiringSet: exact deadline semantics against an unpruned reference, and its memory per entry.
#include "billing/expiring_set.h"

#include <cstdio>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"

namespace gavel::billing {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'767'225'600);  // 2026-01-01

ExpiringSet::Key K(uint64_t i) { return ExpiringSet::KeyOf(std::to_string(i)); }

TEST(ExpiringSet, RemembersAKeyUntilItsDeadlineRoundedUpToTheMillisecond) {
  ExpiringSet s;
  const absl::Time deadline = kStart + absl::Microseconds(1500);
  s.Insert(K(1), deadline);
  EXPECT_TRUE(s.Contains(K(1), kStart));
  EXPECT_TRUE(s.Contains(K(1), kStart + absl::Microseconds(1999)));
  EXPECT_FALSE(s.Contains(K(1), kStart + absl::Milliseconds(2)));
  EXPECT_FALSE(s.Contains(K(2), kStart));
}

TEST(ExpiringSet, PruneForgetsOnlyWhatHasExpired) {
  ExpiringSet s;
  s.Insert(K(1), kStart + absl::Seconds(10));
  s.Insert(K(2), kStart + absl::Hours(10));
  s.Prune(kStart + absl::Seconds(11));
  EXPECT_TRUE(s.Contains(K(2), kStart + absl::Seconds(11)));
  EXPECT_EQ(s.size(), 2u);  // one generation holds both until the later deadline
  s.Prune(kStart + absl::Hours(10));
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.Contains(K(2), kStart));
}

TEST(ExpiringSet, AgreesWithTheUnprunedRuleOverSeededHistories) {
  // The rule: a key is present while its latest deadline, rounded up to the millisecond, is after
  // now. The reference never forgets anything.
  auto ceil_ms = [](absl::Time t) {
    const int64_t ms = absl::ToUnixMillis(t);
    return absl::FromUnixMillis(absl::FromUnixMillis(ms) < t ? ms + 1 : ms);
  };
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    ExpiringSet s;
    absl::flat_hash_map<uint64_t, absl::Time> latest;  // key index -> latest rounded deadline
    absl::Time now = kStart;
    for (int step = 0; step < 20'000; ++step) {
      now += absl::Microseconds(rng() % 5'000'000);
      const uint64_t i = rng() % 3'000;
      auto it = latest.find(i);
      const bool expected = it != latest.end() && it->second > now;
      ASSERT_EQ(s.Contains(K(i), now), expected) << "seed " << seed << " step " << step;
      if (rng() % 2 == 0) {
        const absl::Time deadline = now + absl::Microseconds(rng() % 3'600'000'000);
        s.Insert(K(i), deadline);
        absl::Time& l = latest.try_emplace(i, absl::InfinitePast()).first->second;
        l = std::max(l, ceil_ms(deadline));
      }
      if (rng() % 50 == 0) s.Prune(now);
    }
  }
}

TEST(ExpiringSet, StaysBoundedByItsWindowAndCompact) {
  ExpiringSet s;
  absl::Time now = kStart;
  const absl::Duration window = absl::Minutes(10);
  size_t peak = 0;
  for (uint64_t i = 0; i < 2'000'000; ++i) {
    now += absl::Microseconds(1000);  // 1,000 inserts per second
    s.Insert(K(i), now + window);
    if (i % 1000 == 0) s.Prune(now);
    peak = std::max(peak, s.size());
  }
  // A 10-minute window at 1,000 per second retains 600,000 entries, plus at most one generation.
  EXPECT_LE(peak, 600'000u + 200'000u);
  EXPECT_GE(s.size(), 600'000u);
  const double per_entry = static_cast<double>(s.bytes()) / s.size();
  EXPECT_LE(per_entry, 32.0) << s.bytes() << " bytes for " << s.size() << " entries";
  std::printf("ExpiringSet: %zu entries, %.1f bytes per entry\n", s.size(), per_entry);
}

}  // namespace
}  // namespace gavel::billing
