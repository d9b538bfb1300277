#include "billing/budget.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "tests/billing/billing_test_util.h"

namespace gavel::billing {
namespace {

using testing::Zone;

CampaignBudget MakeBudget(BudgetPolicy policy, absl::TimeZone tz = absl::UTCTimeZone()) {
  return {
      .campaign_id = "c1", .daily_budget_micros = 10'000'000, .policy = policy, .time_zone = tz};
}

TEST(HardBudget, NeverExceedsDailyAndRejectsTheCrossingClick) {
  InMemoryBudgetStore store;
  ASSERT_TRUE(store.Upsert(MakeBudget(BudgetPolicy::kHard)).ok());
  const absl::Time t =
      absl::FromCivil(absl::CivilSecond(2026, 3, 10, 12, 0, 0), absl::UTCTimeZone());
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(store.TryCharge("c1", 1'000'000, t)->charged);
  EXPECT_FALSE(store.TryCharge("c1", 1'500'000, t)->charged);  // would cross: rejected whole
  EXPECT_EQ(store.Query("c1", t)->spent_today_micros, 9'000'000);
  EXPECT_TRUE(store.CanSpend("c1", t, 1'000'000));
  EXPECT_FALSE(store.CanSpend("c1", t, 1'000'001));
  EXPECT_TRUE(store.TryCharge("c1", 1'000'000, t)->charged);
  EXPECT_EQ(store.Query("c1", t)->remaining_micros, 0);
  EXPECT_FALSE(store.CanSpend("c1", t));
  // The next local day starts from zero.
  EXPECT_EQ(store.Query("c1", t + absl::Hours(12))->remaining_micros, 10'000'000);
}

TEST(HardBudget, DayFollowsTheCampaignTimeZone) {
  InMemoryBudgetStore store;
  ASSERT_TRUE(store.Upsert(MakeBudget(BudgetPolicy::kHard, Zone("America/New_York"))).ok());
  // 03:00 UTC on 11 March is still 10 March in New York (UTC-4 after the DST change).
  const absl::Time late_evening =
      absl::FromCivil(absl::CivilSecond(2026, 3, 11, 3, 0, 0), absl::UTCTimeZone());
  ASSERT_TRUE(store.TryCharge("c1", 10'000'000, late_evening)->charged);
  EXPECT_EQ(CivilDayFromIndex(store.Query("c1", late_evening)->day), absl::CivilDay(2026, 3, 10));
  EXPECT_FALSE(store.CanSpend("c1", late_evening + absl::Minutes(59)));  // 23:59 local
  EXPECT_TRUE(store.CanSpend("c1", late_evening + absl::Hours(1)));      // local midnight
}

TEST(Daily2xMonthlyCap, DayReachesTwiceDailyAndMonthStopsAt30Point4x) {
  InMemoryBudgetStore store;
  ASSERT_TRUE(store.Upsert(MakeBudget(BudgetPolicy::kDaily2xMonthlyCap)).ok());
  const absl::TimeZone utc = absl::UTCTimeZone();
  absl::Time t = absl::FromCivil(absl::CivilSecond(2026, 1, 1, 10, 0, 0), utc);
  EXPECT_TRUE(store.TryCharge("c1", 20'000'000, t)->charged);
  EXPECT_FALSE(store.TryCharge("c1", 1, t)->charged);
  // 15 days at 2x = 300M spent by 15 Jan; the month cap is 304M.
  for (int d = 1; d < 15; ++d) {
    ASSERT_TRUE(store.TryCharge("c1", 20'000'000, t + absl::Hours(24 * d))->charged) << d;
  }
  const absl::Time jan16 = t + absl::Hours(24 * 15);
  EXPECT_EQ(store.Query("c1", jan16)->spent_month_micros, 300'000'000);
  EXPECT_EQ(store.Query("c1", jan16)->remaining_micros, 4'000'000);
  EXPECT_FALSE(store.TryCharge("c1", 4'000'001, jan16)->charged);
  EXPECT_TRUE(store.TryCharge("c1", 4'000'000, jan16)->charged);
  EXPECT_FALSE(
      store.CanSpend("c1", absl::FromCivil(absl::CivilSecond(2026, 1, 31, 23, 0, 0), utc)));
  // A new calendar month resets the cap.
  const absl::Time feb1 = absl::FromCivil(absl::CivilSecond(2026, 2, 1, 0, 0, 0), utc);
  EXPECT_EQ(store.Query("c1", feb1)->remaining_micros, 20'000'000);
}

TEST(MonthlyAverage, MonthToDateStaysUnderDailyTimesDaysElapsed) {
  InMemoryBudgetStore store;
  ASSERT_TRUE(store.Upsert(MakeBudget(BudgetPolicy::kMonthlyAverage, Zone("Asia/Tokyo"))).ok());
  const absl::TimeZone tokyo = Zone("Asia/Tokyo");
  const absl::Time day1 = absl::FromCivil(absl::CivilSecond(2026, 4, 1, 9, 0, 0), tokyo);
  EXPECT_EQ(store.Query("c1", day1)->remaining_micros, 10'000'000);
  EXPECT_TRUE(store.TryCharge("c1", 4'000'000, day1)->charged);
  // Day 3 may use what days 1-2 left: 30M - 4M.
  const absl::Time day3 = day1 + absl::Hours(48);
  EXPECT_EQ(store.Query("c1", day3)->remaining_micros, 26'000'000);
  EXPECT_TRUE(store.TryCharge("c1", 26'000'000, day3)->charged);
  EXPECT_FALSE(store.CanSpend("c1", day3));
  // 30 April -> 1 May (local): the month-to-date restarts.
  const absl::Time may1 = absl::FromCivil(absl::CivilSecond(2026, 5, 1, 0, 0, 1), tokyo);
  EXPECT_EQ(store.Query("c1", may1)->spent_month_micros, 0);
  EXPECT_EQ(store.Query("c1", may1)->remaining_micros, 10'000'000);
  // ... while in UTC it is still 30 April, so a UTC reading would be wrong: the zone matters.
  EXPECT_EQ(absl::ToCivilDay(may1, absl::UTCTimeZone()), absl::CivilDay(2026, 4, 30));
}

TEST(BudgetStore, UpsertAllAddsEveryCampaignOrNoneWhenOneIsBad) {
  InMemoryBudgetStore store;
  const absl::Time now = absl::FromUnixSeconds(1'790'000'000);
  std::vector<CampaignBudget> budgets;
  for (int i = 0; i < 1000; ++i) {
    CampaignBudget b = MakeBudget(BudgetPolicy::kHard);
    b.campaign_id = absl::StrCat("c-", i);
    budgets.push_back(b);
  }
  budgets.push_back({.campaign_id = "c-bad", .daily_budget_micros = 0});
  absl::Status st = store.UpsertAll(budgets);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "campaign c-bad: daily_budget_micros must be > 0, got 0");
  EXPECT_EQ(store.Query("c-0", now).status().code(), absl::StatusCode::kNotFound);
  budgets.pop_back();
  ASSERT_TRUE(store.UpsertAll(budgets).ok());
  for (const CampaignBudget& b : budgets) EXPECT_TRUE(store.Query(b.campaign_id, now).ok());
  // Spend is kept across a second upsert of the same campaigns.
  ASSERT_TRUE(store.TryCharge("c-7", 1'000, now).ok());
  ASSERT_TRUE(store.UpsertAll(budgets).ok());
  EXPECT_EQ(store.Query("c-7", now)->spent_today_micros, 1'000);
}

TEST(BudgetStore, UnknownCampaignAndBadSettings) {
  InMemoryBudgetStore store;
  EXPECT_EQ(store.Query("nope", absl::UnixEpoch()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.TryCharge("nope", 1, absl::UnixEpoch()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(store.CanSpend("nope", absl::UnixEpoch()));
  absl::Status s = store.Upsert({.campaign_id = "c1", .daily_budget_micros = 0});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "campaign c1: daily_budget_micros must be > 0, got 0");
}

TEST(BudgetStore, RefreshingSettingsKeepsSpend) {
  InMemoryBudgetStore store;
  const absl::Time t = absl::FromUnixSeconds(1'780'000'000);
  ASSERT_TRUE(store.Upsert(MakeBudget(BudgetPolicy::kHard)).ok());
  ASSERT_TRUE(store.TryCharge("c1", 8'000'000, t)->charged);
  CampaignBudget bigger = MakeBudget(BudgetPolicy::kHard);
  bigger.daily_budget_micros = 20'000'000;
  ASSERT_TRUE(store.Upsert(bigger).ok());
  EXPECT_EQ(store.Query("c1", t)->remaining_micros, 12'000'000);
  store.AddSpend("c1", store.Query("c1", t)->day, 2'000'000);
  EXPECT_EQ(store.Query("c1", t)->remaining_micros, 10'000'000);
}

TEST(BudgetStore, ObserveSpendOnlyRaisesADaysTotalWhateverTheOrder) {
  InMemoryBudgetStore store;
  ASSERT_TRUE(store.Upsert(MakeBudget(BudgetPolicy::kHard)).ok());
  const absl::Time t =
      absl::FromCivil(absl::CivilSecond(2026, 3, 10, 12, 0, 0), absl::UTCTimeZone());
  const int64_t day = DayIndex(t, absl::UTCTimeZone());
  store.ObserveSpend("c1", day, 4'000'000);
  store.ObserveSpend("c1", day, 2'500'000);  // an older total arriving late changes nothing
  EXPECT_EQ(store.Query("c1", t)->spent_today_micros, 4'000'000);
  store.ObserveSpend("c1", day, 7'000'000);
  EXPECT_EQ(store.Query("c1", t)->spent_today_micros, 7'000'000);
  EXPECT_EQ(store.Query("c1", t)->remaining_micros, 3'000'000);
}

}  // namespace
}  // namespace gavel::billing
