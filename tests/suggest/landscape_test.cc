#include "suggest/landscape.h"

#include <vector>

#include "absl/time/time.h"
#include "engine/engine.h"
#include "gtest/gtest.h"

namespace gavel::suggest {
namespace {

using engine::AuctionSample;
using engine::CampaignSample;
using engine::TargetSample;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);  // 2027-01-15 08:00 UTC

void RecordTargets(LandscapeRecorder& r, absl::Time at, std::vector<TargetSample> targets) {
  r.Record(AuctionSample{.at = at, .targets = targets, .campaigns = {}});
}

TEST(LandscapeRecorder, OneObservationPerTargetPerAuctionWithItsAdsMerged) {
  LandscapeRecorder r;
  RecordTargets(r, kT0,
                {{.campaign_id = "c1", .target_id = "t1", .min_bid_micros = {900, 0, 300}},
                 {.campaign_id = "c1",
                  .target_id = "t1",
                  .won = true,
                  .cpc_micros = 400,
                  .min_bid_micros = {0, 500, 200}},
                 {.campaign_id = "c1", .target_id = "t2", .min_bid_micros = {7, 6, 5}},
                 {.campaign_id = "c2", .target_id = "t9", .min_bid_micros = {1, 1, 1}}});
  const auto c1 = r.Targets("c1", kT0);
  ASSERT_EQ(c1.size(), 2u);
  ASSERT_EQ(c1.at("t1").size(), 1u);
  const TargetObservation& o = c1.at("t1")[0];
  EXPECT_TRUE(o.won);
  EXPECT_EQ(o.cpc_micros, 400);
  EXPECT_EQ(o.min_bid_micros, (std::array<int64_t, kSlots>{900, 500, 200}));
  EXPECT_FALSE(c1.at("t2")[0].won);
  EXPECT_EQ(r.Targets("c2", kT0).size(), 1u);
  EXPECT_TRUE(r.Targets("nobody", kT0).empty());
}

TEST(LandscapeRecorder, KeepsTheNewestKObservationsOfTheWindow) {
  LandscapeRecorder r({.max_observations_per_target = 3, .window = absl::Hours(1)});
  for (int i = 0; i < 5; ++i) {
    RecordTargets(r, kT0 + absl::Minutes(i),
                  {{.campaign_id = "c", .target_id = "t", .won = true, .cpc_micros = 100 + i}});
  }
  std::vector<TargetObservation> h = r.Targets("c", kT0 + absl::Minutes(4)).at("t");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].cpc_micros, 102);
  EXPECT_EQ(h[2].cpc_micros, 104);
  // An hour after the third, only the last two are in the window.
  h = r.Targets("c", kT0 + absl::Minutes(62) + absl::Seconds(1)).at("t");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].cpc_micros, 103);
  EXPECT_TRUE(r.Targets("c", kT0 + absl::Hours(2)).empty());
}

TEST(LandscapeRecorder, RecordsNoNewTargetBeyondMaxTargets) {
  LandscapeRecorder r({.max_targets = 2});
  RecordTargets(r, kT0,
                {{.campaign_id = "c", .target_id = "a"}, {.campaign_id = "c", .target_id = "b"}});
  RecordTargets(r, kT0,
                {{.campaign_id = "c", .target_id = "d"}, {.campaign_id = "c", .target_id = "a"}});
  const auto targets = r.Targets("c", kT0);
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets.at("a").size(), 2u);  // known targets still record
  EXPECT_EQ(targets.at("b").size(), 1u);
  EXPECT_EQ(targets.count("d"), 0u);
}

TEST(LandscapeRecorder, CountsBudgetAuctionsPerLocalDay) {
  LandscapeRecorder r({.budget_days = 2});
  const absl::TimeZone utc = absl::UTCTimeZone();
  absl::TimeZone tokyo;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Tokyo", &tokyo));
  auto record = [&](absl::Time at, absl::TimeZone tz, bool out) {
    std::vector<CampaignSample> c = {{.campaign_id = "c", .time_zone = tz, .out_of_budget = out}};
    r.Record(AuctionSample{.at = at, .targets = {}, .campaigns = c});
  };
  record(kT0, utc, false);
  record(kT0 + absl::Hours(2), utc, true);
  record(kT0 + absl::Hours(1), utc, true);  // out of order: the earliest is kept
  record(kT0 + absl::Hours(3), utc, false);
  auto days = r.BudgetDays("c");
  ASSERT_EQ(days.size(), 1u);
  const int64_t day = absl::ToCivilDay(kT0, utc) - absl::CivilDay(1970, 1, 1);
  EXPECT_EQ(days.at(day).in_budget_auctions, 2);
  EXPECT_EQ(days.at(day).out_of_budget_auctions, 2);
  EXPECT_EQ(*days.at(day).out_at, kT0 + absl::Hours(1));
  // 16 hours later is 00:00 UTC, 09:00 in Tokyo (UTC+9), on the next day; then two days later.
  record(kT0 + absl::Hours(16), tokyo, false);
  record(kT0 + absl::Hours(48), utc, false);
  days = r.BudgetDays("c");
  ASSERT_EQ(days.size(), 2u);  // the oldest day dropped
  EXPECT_EQ(days.begin()->first, day + 1);
}

}  // namespace
}  // namespace gavel::suggest
