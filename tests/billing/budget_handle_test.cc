// BudgetHandle::Read against BudgetStore::Query: the handle caches the campaign's settings and
// local day, so these check that it still gives Query's numbers across local midnights, DST
// changes, zones whose transitions fall on midnight, a clock that moves backwards, and upserts.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "billing/budget.h"
#include "gtest/gtest.h"
#include "tests/billing/billing_test_util.h"

namespace gavel::billing {
namespace {

using testing::Zone;

absl::Time At(absl::CivilSecond cs, absl::TimeZone tz) { return absl::FromCivil(cs, tz); }

// Read(now) must agree with Query(id, now) field by field.
void ExpectSameAsQuery(const BudgetStore& store, const BudgetHandle& handle, const std::string& id,
                       absl::Time now) {
  const absl::StatusOr<BudgetView> view = store.Query(id, now);
  const ServingBudget b = handle.Read(now);
  const std::string where = absl::StrCat(id, " at ", absl::FormatTime(now));
  ASSERT_EQ(b.known, view.ok()) << where;
  if (!view.ok()) return;
  const CampaignBudget& s = *view->settings;
  EXPECT_EQ(b.day, view->day) << where;
  EXPECT_EQ(b.day, DayIndex(now, s.time_zone)) << where;
  EXPECT_EQ(b.day_start, absl::FromCivil(CivilDayFromIndex(view->day), s.time_zone)) << where;
  EXPECT_EQ(b.day_end, absl::FromCivil(CivilDayFromIndex(view->day) + 1, s.time_zone)) << where;
  EXPECT_EQ(b.spent_today_micros, view->spent_today_micros) << where;
  EXPECT_EQ(b.remaining_micros, view->remaining_micros) << where;
  EXPECT_EQ(b.daily_budget_micros, s.daily_budget_micros) << where;
  EXPECT_EQ(b.pacing, s.pacing) << where;
}

// Reads every `step` over [from, to) through one handle, so the cache sees each boundary in order.
void SweepAgainstQuery(const BudgetStore& store, const std::string& id, absl::Time from,
                       absl::Time to, absl::Duration step) {
  std::shared_ptr<const BudgetHandle> h = store.Resolve(id);
  for (absl::Time t = from; t < to; t += step) {
    ExpectSameAsQuery(store, *h, id, t);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(BudgetHandle, SpendRestartsAtLocalMidnightInTheCampaignZone) {
  const absl::TimeZone ny = Zone("America/New_York");
  InMemoryBudgetStore store;
  ASSERT_TRUE(
      store.Upsert({.campaign_id = "c1", .daily_budget_micros = 10'000'000, .time_zone = ny}).ok());
  std::shared_ptr<const BudgetHandle> h = store.Resolve("c1");
  const absl::Time evening = At(absl::CivilSecond(2026, 6, 10, 23, 0, 0), ny);
  ASSERT_TRUE(store.TryCharge("c1", 4'000'000, evening)->charged);
  EXPECT_EQ(h->Read(evening).remaining_micros, 6'000'000);
  const absl::Time midnight = At(absl::CivilSecond(2026, 6, 11, 0, 0, 0), ny);
  const ServingBudget before = h->Read(midnight - absl::Nanoseconds(1));
  EXPECT_EQ(CivilDayFromIndex(before.day), absl::CivilDay(2026, 6, 10));
  EXPECT_EQ(before.spent_today_micros, 4'000'000);
  const ServingBudget after = h->Read(midnight);
  EXPECT_EQ(CivilDayFromIndex(after.day), absl::CivilDay(2026, 6, 11));
  EXPECT_EQ(after.spent_today_micros, 0);
  EXPECT_EQ(after.remaining_micros, 10'000'000);
  EXPECT_EQ(after.day_start, midnight);
  EXPECT_EQ(after.day_end, midnight + absl::Hours(24));
}

TEST(BudgetHandle, DstDaysAreTwentyThreeAndTwentyFiveHoursLong) {
  const absl::TimeZone ny = Zone("America/New_York");
  InMemoryBudgetStore store;
  ASSERT_TRUE(
      store.Upsert({.campaign_id = "c1", .daily_budget_micros = 10'000'000, .time_zone = ny}).ok());
  std::shared_ptr<const BudgetHandle> h = store.Resolve("c1");
  const ServingBudget spring = h->Read(At(absl::CivilSecond(2026, 3, 8, 12, 0, 0), ny));
  EXPECT_EQ(spring.day_end - spring.day_start, absl::Hours(23));
  const ServingBudget fall = h->Read(At(absl::CivilSecond(2026, 11, 1, 12, 0, 0), ny));
  EXPECT_EQ(fall.day_end - fall.day_start, absl::Hours(25));
  // Every minute across both changes, with spend on the way, through one handle.
  for (absl::CivilDay d : {absl::CivilDay(2026, 3, 8), absl::CivilDay(2026, 11, 1)}) {
    const absl::Time from = At(absl::CivilSecond(d - 1), ny) + absl::Hours(20);
    for (absl::Time t = from; t < from + absl::Hours(12); t += absl::Hours(1)) {
      ASSERT_TRUE(store.TryCharge("c1", 100'000, t).ok());
    }
    SweepAgainstQuery(store, "c1", from, from + absl::Hours(36), absl::Minutes(1));
  }
}

// Zones whose clocks change at local midnight, or skip a whole day: the cached day must not
// outlast the local day in either direction.
TEST(BudgetHandle, ZonesWithTransitionsAtMidnightMatchQuery) {
  struct Case {
    std::string zone;
    absl::CivilDay around;
  };
  const std::vector<Case> cases = {
      {"America/Havana", absl::CivilDay(2026, 3, 8)},       // 00:00 -> 01:00
      {"America/Havana", absl::CivilDay(2026, 11, 1)},      // 01:00 -> 00:00: midnight repeats
      {"America/Santiago", absl::CivilDay(2026, 4, 5)},     // 24:00 -> 23:00
      {"America/Santiago", absl::CivilDay(2026, 9, 6)},     // 24:00 -> 01:00
      {"Asia/Beirut", absl::CivilDay(2026, 3, 29)},         // 00:00 -> 01:00
      {"Asia/Beirut", absl::CivilDay(2026, 10, 25)},        // 00:00 -> 23:00 the day before
      {"Pacific/Apia", absl::CivilDay(2011, 12, 29)},       // 30 December 2011 never happened
      {"Australia/Lord_Howe", absl::CivilDay(2026, 4, 5)},  // a half-hour change
      // 00:01 -> 23:01 the day before: 29 October comes back after a minute of the 30th.
      {"America/Moncton", absl::CivilDay(2005, 10, 30)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.zone, " ", absl::FormatCivilTime(c.around)));
    const absl::TimeZone tz = Zone(c.zone);
    InMemoryBudgetStore store;
    ASSERT_TRUE(store
                    .Upsert({.campaign_id = "c1",
                             .daily_budget_micros = 10'000'000,
                             .policy = BudgetPolicy::kMonthlyAverage,
                             .time_zone = tz})
                    .ok());
    const absl::Time from = At(absl::CivilSecond(c.around - 1), tz);
    ASSERT_TRUE(store.TryCharge("c1", 3'000'000, from + absl::Hours(30)).ok());
    SweepAgainstQuery(store, "c1", from, from + absl::Hours(72), absl::Seconds(50));
  }
}

TEST(BudgetHandle, AClockMovingBackwardsReadsTheEarlierDaysSpend) {
  const absl::TimeZone berlin = Zone("Europe/Berlin");
  InMemoryBudgetStore store;
  ASSERT_TRUE(store
                  .Upsert({.campaign_id = "c1",
                           .daily_budget_micros = 10'000'000,
                           .policy = BudgetPolicy::kDaily2xMonthlyCap,
                           .time_zone = berlin})
                  .ok());
  std::shared_ptr<const BudgetHandle> h = store.Resolve("c1");
  const absl::Time day1 = At(absl::CivilSecond(2026, 6, 1, 22, 0, 0), berlin);
  const absl::Time day2 = day1 + absl::Hours(4);
  ASSERT_TRUE(store.TryCharge("c1", 5'000'000, day1)->charged);
  EXPECT_EQ(h->Read(day2).spent_today_micros, 0);  // caches day 2
  ASSERT_TRUE(store.TryCharge("c1", 7'000'000, day2)->charged);
  // Back to day 1, behind the latest charge: its own spend, from the history.
  const ServingBudget back = h->Read(day1 + absl::Minutes(30));
  EXPECT_EQ(CivilDayFromIndex(back.day), absl::CivilDay(2026, 6, 1));
  EXPECT_EQ(back.spent_today_micros, 5'000'000);
  EXPECT_EQ(back.remaining_micros, 15'000'000);
  ExpectSameAsQuery(store, *h, "c1", day1 + absl::Minutes(30));
  // And forward again.
  EXPECT_EQ(h->Read(day2).spent_today_micros, 7'000'000);
  ExpectSameAsQuery(store, *h, "c1", day2);
}

TEST(BudgetHandle, SeesSettingsUpsertedAfterItWasResolved) {
  InMemoryBudgetStore store;
  ASSERT_TRUE(store.Upsert({.campaign_id = "c1", .daily_budget_micros = 10'000'000}).ok());
  std::shared_ptr<const BudgetHandle> h = store.Resolve("c1");
  const absl::Time t = At(absl::CivilSecond(2026, 6, 1, 2, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(CivilDayFromIndex(h->Read(t).day), absl::CivilDay(2026, 6, 1));  // cached
  // A zone where it is still the day before, a new budget, pacing off: all seen at once.
  ASSERT_TRUE(store
                  .Upsert({.campaign_id = "c1",
                           .daily_budget_micros = 20'000'000,
                           .time_zone = Zone("America/Los_Angeles"),
                           .pacing = false})
                  .ok());
  const ServingBudget b = h->Read(t);
  EXPECT_EQ(CivilDayFromIndex(b.day), absl::CivilDay(2026, 5, 31));
  EXPECT_EQ(b.remaining_micros, 20'000'000);
  EXPECT_FALSE(b.pacing);
  ExpectSameAsQuery(store, *h, "c1", t);
}

TEST(BudgetHandle, AnUnknownCampaignIsUnknownUntilItsSettingsArrive) {
  InMemoryBudgetStore store;
  std::shared_ptr<const BudgetHandle> h = store.Resolve("later");
  const absl::Time t = absl::FromUnixSeconds(1'790'000'000);
  EXPECT_FALSE(h->Read(t).known);
  store.AddSpend("later", DayIndex(t, absl::UTCTimeZone()), 1'000'000);  // spend, no settings
  EXPECT_FALSE(h->Read(t).known);
  ASSERT_TRUE(store.Upsert({.campaign_id = "later", .daily_budget_micros = 5'000'000}).ok());
  EXPECT_EQ(h->Read(t).remaining_micros, 4'000'000);
  ExpectSameAsQuery(store, *h, "later", t);
}

// A store that implements only the interface (as a shared store would): Resolve's default reads
// through Query.
class ForwardingStore final : public BudgetStore {
 public:
  absl::Status Upsert(const CampaignBudget& b) override { return inner_.Upsert(b); }
  absl::StatusOr<BudgetView> Query(absl::string_view id, absl::Time now) const override {
    ++queries;
    return inner_.Query(id, now);
  }
  absl::StatusOr<ChargeDecision> TryCharge(absl::string_view id, int64_t amount,
                                           absl::Time now) override {
    return inner_.TryCharge(id, amount, now);
  }
  void AddSpend(absl::string_view id, int64_t day, int64_t amount) override {
    inner_.AddSpend(id, day, amount);
  }
  void ObserveSpend(absl::string_view id, int64_t day, int64_t total) override {
    inner_.ObserveSpend(id, day, total);
  }
  std::vector<SpendRow> ExportSpend() const override { return inner_.ExportSpend(); }
  mutable int queries = 0;

 private:
  InMemoryBudgetStore inner_;
};

TEST(BudgetHandle, AStoreWithoutItsOwnHandlesReadsThroughQuery) {
  ForwardingStore store;
  const absl::TimeZone ny = Zone("America/New_York");
  ASSERT_TRUE(
      store.Upsert({.campaign_id = "c1", .daily_budget_micros = 10'000'000, .time_zone = ny}).ok());
  std::shared_ptr<const BudgetHandle> h = store.Resolve("c1");
  const absl::Time t = At(absl::CivilSecond(2026, 3, 8, 12, 0, 0), ny);
  ASSERT_TRUE(store.TryCharge("c1", 2'500'000, t)->charged);
  store.queries = 0;
  const ServingBudget b = h->Read(t);
  EXPECT_EQ(store.queries, 1);
  EXPECT_EQ(b.remaining_micros, 7'500'000);
  EXPECT_EQ(b.day_end - b.day_start, absl::Hours(23));
  ExpectSameAsQuery(store, *h, "c1", t);
  EXPECT_FALSE(store.Resolve("nope")->Read(t).known);
}

// Many seeded random histories: campaigns in assorted zones and policies, charges, upserts, and a
// clock that mostly moves forwards by minutes to days and sometimes jumps back.
TEST(BudgetHandleProperty, ReadAgreesWithQueryOverRandomHistories) {
  const std::vector<absl::TimeZone> zones = {
      absl::UTCTimeZone(),         Zone("America/New_York"), Zone("Europe/Berlin"),
      Zone("Australia/Lord_Howe"), Zone("Asia/Kolkata"),     Zone("Pacific/Chatham"),
      Zone("America/Havana"),      Zone("America/Santiago"), Zone("Asia/Beirut")};
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937_64 gen(seed);
    auto uniform = [&](int64_t lo, int64_t hi) {
      return std::uniform_int_distribution<int64_t>(lo, hi)(gen);
    };
    auto random_budget = [&](const std::string& id) {
      return CampaignBudget{.campaign_id = id,
                            .daily_budget_micros = uniform(1, 50) * 1'000'000,
                            .policy = static_cast<BudgetPolicy>(1 + uniform(0, 2)),
                            .time_zone = zones[uniform(0, zones.size() - 1)],
                            .pacing = uniform(0, 1) == 1};
    };
    InMemoryBudgetStore store;
    std::vector<std::string> ids;
    std::vector<std::shared_ptr<const BudgetHandle>> handles;
    for (int i = 0; i < 6; ++i) {
      ids.push_back(absl::StrCat("c", i));
      if (i < 5) ASSERT_TRUE(store.Upsert(random_budget(ids.back())).ok());  // c5: unknown
      handles.push_back(store.Resolve(ids.back()));
    }
    // Start anywhere in 2025-2027, often near a DST change.
    absl::Time now = absl::FromUnixSeconds(uniform(1'735'689'600, 1'798'761'600));
    for (int step = 0; step < 400; ++step) {
      switch (uniform(0, 9)) {
        case 0:
          now -= absl::Minutes(uniform(1, 3 * 24 * 60));  // backwards, up to three days
          break;
        case 1:
          now += absl::Hours(uniform(1, 40 * 24));  // ahead, up to 40 days
          break;
        default:
          now += absl::Minutes(uniform(0, 240));
      }
      const size_t c = uniform(0, ids.size() - 1);
      const int64_t action = uniform(0, 19);
      if (action < 6) {
        ASSERT_TRUE(store.TryCharge(ids[c], uniform(1, 8'000'000), now).status().code() ==
                    (c < 5 ? absl::StatusCode::kOk : absl::StatusCode::kNotFound));
      } else if (action == 6 && c < 5) {
        ASSERT_TRUE(store.Upsert(random_budget(ids[c])).ok());
      }
      for (size_t i = 0; i < ids.size(); ++i) {
        ExpectSameAsQuery(store, *handles[i], ids[i], now);
        ASSERT_FALSE(::testing::Test::HasFailure()) << "step " << step;
      }
    }
  }
}

}  // namespace
}  // namespace gavel::billing
