#include "tools/loadgen/schedule.h"

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace gavel::loadgen {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(OpenLoopSchedule, RejectsRatesThatAreNotPositive) {
  for (double rate : {0.0, -5.0, std::numeric_limits<double>::infinity()}) {
    absl::StatusOr<OpenLoopSchedule> schedule = OpenLoopSchedule::Create(rate, kStart);
    EXPECT_EQ(schedule.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(schedule.status().message().find("rate must be"), absl::string_view::npos);
  }
}

TEST(OpenLoopSchedule, IntendedTimesAreEvenlySpacedAtOneOverRate) {
  OpenLoopSchedule schedule = *OpenLoopSchedule::Create(1'000, kStart);
  EXPECT_EQ(schedule.IntendedTime(0), kStart);
  EXPECT_EQ(schedule.IntendedTime(1), kStart + absl::Milliseconds(1));
  EXPECT_EQ(schedule.IntendedTime(2'500), kStart + absl::Milliseconds(2'500));
}

TEST(OpenLoopSchedule, DoesNotDriftOverMillionsOfRequestsAtAnAwkwardRate) {
  // 1/3000 s is not a whole number of nanoseconds; summing intervals would drift by ~1ms here.
  OpenLoopSchedule schedule = *OpenLoopSchedule::Create(3'000, kStart);
  EXPECT_EQ(schedule.IntendedTime(3'000'000), kStart + absl::Seconds(1'000));
  EXPECT_EQ(schedule.IntendedTime(1), kStart + absl::Nanoseconds(333'333));
}

TEST(OpenLoopSchedule, DueByCountsRequestsIntendedAtOrBeforeNow) {
  OpenLoopSchedule schedule = *OpenLoopSchedule::Create(1'000, kStart);
  EXPECT_EQ(schedule.DueBy(kStart - absl::Seconds(1)), 0);
  EXPECT_EQ(schedule.DueBy(kStart), 1);
  EXPECT_EQ(schedule.DueBy(kStart + absl::Microseconds(999)), 1);
  EXPECT_EQ(schedule.DueBy(kStart + absl::Milliseconds(1)), 2);
  EXPECT_EQ(schedule.DueBy(kStart + absl::Seconds(10)), 10'001);
}

TEST(OpenLoopSchedule, DueByAgreesWithIntendedTimeEverywhere) {
  OpenLoopSchedule schedule = *OpenLoopSchedule::Create(7'777.7, kStart);
  for (int64_t i = 0; i < 20'000; ++i) {
    const absl::Time t = schedule.IntendedTime(i);
    ASSERT_EQ(schedule.DueBy(t), i + 1) << i;
    ASSERT_EQ(schedule.DueBy(t - absl::Nanoseconds(1)), i) << i;
  }
}

TEST(RunWindow, MeasuresOnlyBetweenWarmupAndEnd) {
  const RunWindow window{
      .start = kStart, .warmup = absl::Seconds(2), .duration = absl::Seconds(10)};
  EXPECT_EQ(window.measure_start(), kStart + absl::Seconds(2));
  EXPECT_EQ(window.end(), kStart + absl::Seconds(12));
  EXPECT_FALSE(window.Measured(kStart + absl::Seconds(1)));
  EXPECT_TRUE(window.Measured(kStart + absl::Seconds(2)));
  EXPECT_TRUE(window.Measured(kStart + absl::Seconds(11)));
  EXPECT_FALSE(window.Measured(kStart + absl::Seconds(12)));
}

}  // namespace
}  // namespace gavel::loadgen
