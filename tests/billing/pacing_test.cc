#include "billing/pacing.h"

#include <cstdio>
#include <random>

#include "absl/random/random.h"
#include "billing/budget.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace gavel::billing {
namespace {

// One simulated day: 600 auction opportunities a minute, each won by the campaign if it takes
// part, a click on 1 in 10 at 0.5 USD (30 USD a minute). Unthrottled the campaign would spend 3x
// its budget of 14,400 USD.
TEST(Pacer, SteadyTrafficSpendTracksTheUniformCurveAllDay) {
  const absl::TimeZone tz = absl::UTCTimeZone();
  const absl::Time day_start = absl::FromCivil(absl::CivilDay(2026, 6, 15), tz);
  const absl::Time day_end = day_start + absl::Hours(24);
  SimulatedClock clock(day_start);
  InMemoryBudgetStore store;
  constexpr int64_t kBudget = 14'400'000'000;  // 1,200 clicks an hour on target
  ASSERT_TRUE(store.Upsert({.campaign_id = "c1", .daily_budget_micros = kBudget}).ok());
  Pacer pacer;
  std::mt19937_64 gen(42);  // not absl::BitGen: Abseil salts its seeds per process
  constexpr int kOpportunitiesPerMinute = 600;
  for (int minute = 0; minute < 24 * 60; ++minute) {
    for (int i = 0; i < kOpportunitiesPerMinute; ++i) {
      clock.Set(day_start + absl::Minutes(minute) +
                i * (absl::Minutes(1) / kOpportunitiesPerMinute));
      const absl::Time now = clock.Now();
      auto view = store.Query("c1", now);
      if (view->remaining_micros < 500'000) continue;
      if (!pacer.Participate("c1", now, day_start, day_end, view->spent_today_micros, kBudget,
                             gen)) {
        continue;
      }
      if (absl::Bernoulli(gen, 0.1)) ASSERT_TRUE(store.TryCharge("c1", 500'000, now).ok());
    }
    clock.Set(day_start + absl::Minutes(minute + 1));
    if ((minute + 1) % 60 == 0) {
      const int hour = (minute + 1) / 60;
      const double target = kBudget * hour / 24.0;
      const int64_t spent =
          store.Query("c1", clock.Now() - absl::Nanoseconds(1))->spent_today_micros;
      EXPECT_NEAR(spent, target, 0.05 * target) << "hour " << hour;
      std::printf("hour %2d target %11.0f spent %11lld p %.4f\n", hour, target,
                  static_cast<long long>(spent), pacer.Probability("c1"));
      if (hour <= 23)
        EXPECT_GE(store.Query("c1", clock.Now() - absl::Nanoseconds(1))->remaining_micros, 500'000)
            << hour;
    }
  }
}

TEST(Pacer, TrafficShapedCurveFollowsTheHourlyWeights) {
  std::vector<double> traffic(24, 1.0);
  for (int h = 8; h < 20; ++h) traffic[h] = 3.0;  // day hours carry 3x the night's traffic
  Pacer pacer({.hourly_traffic = traffic});
  const absl::Time start = absl::FromUnixSeconds(0);
  const absl::Time end = start + absl::Hours(24);
  EXPECT_DOUBLE_EQ(pacer.TargetFraction(start, start, end), 0.0);
  EXPECT_NEAR(pacer.TargetFraction(start + absl::Hours(8), start, end), 8.0 / 48, 1e-12);
  EXPECT_NEAR(pacer.TargetFraction(start + absl::Hours(20), start, end), 44.0 / 48, 1e-12);
  EXPECT_DOUBLE_EQ(pacer.TargetFraction(end, start, end), 1.0);
  Pacer uniform;
  EXPECT_NEAR(uniform.TargetFraction(start + absl::Hours(6), start, end), 0.25, 1e-12);
}

TEST(Pacer, AheadOfTheCurveThrottlesAndBehindItOpensUp) {
  Pacer pacer;
  std::mt19937_64 gen(7);
  const absl::Time start = absl::FromUnixSeconds(0);
  const absl::Time end = start + absl::Hours(24);
  // Already at the whole budget one hour in: p falls to the floor.
  pacer.Participate("c1", start + absl::Hours(1), start, end, 1'000'000, 1'000'000, gen);
  pacer.Participate("c1", start + absl::Hours(1) + absl::Minutes(1), start, end, 1'000'000,
                    1'000'000, gen);
  EXPECT_LT(pacer.Probability("c1"), 0.01);
  // Nothing spent for hours: p climbs back (at most doubling per update).
  absl::Time t = start + absl::Hours(10);
  for (int i = 0; i < 20; ++i, t += absl::Minutes(1)) {
    pacer.Participate("c1", t, start, end, 1'000'000, 10'000'000, gen);
  }
  EXPECT_DOUBLE_EQ(pacer.Probability("c1"), 1.0);
}

}  // namespace
}  // namespace gavel::billing
