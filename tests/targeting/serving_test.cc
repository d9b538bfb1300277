// Shopper predicates, schedule, entity states, bid resolution and bid adjustments.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "targeting/retrieve.h"
#include "tests/targeting/test_catalog.h"

namespace gavel::targeting {

using ::gavel::catalog::BiddingStrategy;
using ::gavel::catalog::Catalog;
using ::gavel::catalog::Device;
using ::gavel::catalog::EntityState;
using ::gavel::catalog::MatchType;
using ::gavel::catalog::Placement;
using ::gavel::catalog::Predicates;

namespace {

using testing::BaseCatalog;
using testing::KeywordTarget;
using testing::MustBuild;
using testing::MustRetrieve;
using testing::Search;

Catalog Shoes() {
  Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", "shoes", MatchType::kBroad));
  return c;
}

Request Shopper(Request::Shopper s) {
  Request r = Search("shoes");
  r.shopper = std::move(s);
  return r;
}

TEST(Predicates, IncludeSegmentRequiresOneOfTheSegments) {
  Catalog c = Shoes();
  c.campaigns[0].predicates.include_segments = {"runner", "hiker"};
  auto s = MustBuild(std::move(c));
  EXPECT_EQ(MustRetrieve(*s, Shopper({.segments = {"x", "hiker"}})).candidates.size(), 1);
  Result r = MustRetrieve(*s, Shopper({.segments = {"new-parent"}}));
  EXPECT_TRUE(r.candidates.empty());
  ASSERT_EQ(r.rejections.size(), 1);
  EXPECT_EQ(r.rejections[0].reason, RejectReason::kTargetingExcluded);
  EXPECT_EQ(r.rejections[0].detail, "campaign c-1 does not include the shopper's segments");
}

TEST(Predicates, ExcludeSegmentAtAdGroupLevel) {
  Catalog c = Shoes();
  c.ad_groups[0].predicates.exclude_segments = {"bargain"};
  auto s = MustBuild(std::move(c));
  Result r = MustRetrieve(*s, Shopper({.segments = {"bargain"}}));
  ASSERT_EQ(r.rejections.size(), 1);
  EXPECT_EQ(r.rejections[0].detail, "ad group g-1 excludes a shopper segment");
  EXPECT_EQ(MustRetrieve(*s, Shopper({})).candidates.size(), 1);
}

TEST(Predicates, DeviceIncludeAndExclude) {
  Catalog c = Shoes();
  c.campaigns[0].predicates.include_devices = {Device::kMobileApp, Device::kMobileWeb};
  c.ad_groups[0].predicates.exclude_devices = {Device::kMobileWeb};
  auto s = MustBuild(std::move(c));
  EXPECT_EQ(MustRetrieve(*s, Shopper({.device = Device::kMobileApp})).candidates.size(), 1);
  EXPECT_TRUE(MustRetrieve(*s, Shopper({.device = Device::kMobileWeb})).candidates.empty());
  EXPECT_TRUE(MustRetrieve(*s, Shopper({.device = Device::kDesktop})).candidates.empty());
  EXPECT_TRUE(MustRetrieve(*s, Shopper({})).candidates.empty());  // unknown device
}

TEST(Predicates, CountryAndRegion) {
  Catalog c = Shoes();
  c.campaigns[0].predicates.include_countries = {"US"};
  c.campaigns[0].predicates.exclude_regions = {"US-CA"};
  auto s = MustBuild(std::move(c));
  EXPECT_EQ(MustRetrieve(*s, Shopper({.country = "US", .region = "US-NY"})).candidates.size(), 1);
  Result ca = MustRetrieve(*s, Shopper({.country = "US", .region = "US-CA"}));
  ASSERT_EQ(ca.rejections.size(), 1);
  EXPECT_EQ(ca.rejections[0].detail, "campaign c-1 excludes the shopper's region");
  EXPECT_TRUE(MustRetrieve(*s, Shopper({.country = "DE"})).candidates.empty());
}

TEST(Predicates, DaypartingUsesLocalHour) {
  Catalog c = Shoes();
  c.campaigns[0].predicates.include_hours = {8, 9, 10};
  auto s = MustBuild(std::move(c));
  EXPECT_EQ(MustRetrieve(*s, Shopper({.local_hour = 9})).candidates.size(), 1);
  EXPECT_TRUE(MustRetrieve(*s, Shopper({.local_hour = 11})).candidates.empty());
  EXPECT_TRUE(MustRetrieve(*s, Shopper({.local_hour = -1})).candidates.empty());
}

TEST(Predicates, LocalHourOutOfRangeIsInvalidArgument) {
  auto s = MustBuild(Shoes());
  Result out;
  absl::Status st = Retrieve(*s, Shopper({.local_hour = 24}), testing::Now(), false, &out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "shopper.local_hour must be in [0, 23] or -1, got 24");
}

TEST(Retrieve, RejectsOutOfRangeRequestFields) {
  auto s = MustBuild(Shoes());
  Result out;
  Request r = Search("shoes");
  r.slots = 0;
  absl::Status st = Retrieve(*s, r, testing::Now(), false, &out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "slots must be in [1, 40], got 0");
  r = Search("shoes");
  r.placement = static_cast<Placement>(9);
  EXPECT_EQ(Retrieve(*s, r, testing::Now(), false, &out).message(),
            "placement is out of range, got 9");
  r = Search("shoes");
  r.shopper.device = static_cast<Device>(-1);
  EXPECT_EQ(Retrieve(*s, r, testing::Now(), false, &out).message(),
            "shopper.device is out of range, got -1");
  r = Search(std::string(600, 'x'));
  EXPECT_EQ(Retrieve(*s, r, testing::Now(), false, &out).message(),
            "query must be at most 512 bytes, got 600");
}

TEST(Retrieve, KeepsAtMostKCandidatesBestFirst) {
  Catalog c = BaseCatalog();
  for (int i = 0; i < 50; ++i) {
    const std::string n = std::to_string(i);
    c.ad_groups.push_back(
        {.id = "g-x" + n, .campaign_id = "c-1", .default_bid_micros = 100'000 + 10'000 * i});
    c.products.push_back(
        {.id = "p-x" + n, .title = "Shoe " + n, .category_id = "shoes", .price_micros = 1'000'000});
    c.product_ads.push_back({.id = "ad-x" + n, .ad_group_id = "g-x" + n, .product_id = "p-x" + n});
    c.targets.push_back(KeywordTarget("t-x" + n, "shoes", MatchType::kExact, 0, "g-x" + n));
  }
  auto s = MustBuild(std::move(c));
  Request r = Search("shoes");
  r.slots = 2;  // K = max(32, 8 x 2) = 32
  Result out = MustRetrieve(*s, r, /*explain=*/false);
  ASSERT_EQ(out.candidates.size(), 32);
  for (size_t i = 1; i < out.candidates.size(); ++i) {
    EXPECT_GE(out.candidates[i - 1].score(), out.candidates[i].score());
  }
  EXPECT_EQ(s->ad_id(out.candidates[0].ad), "ad-x49");  // highest bid, same quality
}

TEST(Schedule, ServesOnlyBetweenStartAndEndDateInCampaignTimeZone) {
  Catalog c = Shoes();
  c.campaigns[0].start_date = absl::CivilDay(2026, 6, 1);
  c.campaigns[0].end_date = absl::CivilDay(2026, 6, 15);
  c.campaigns[0].time_zone = absl::FixedTimeZone(-5 * 3600);
  auto s = MustBuild(std::move(c));
  const absl::TimeZone utc = absl::UTCTimeZone();
  // 2026-06-16 03:00 UTC is still 2026-06-15 22:00 at UTC-5: serves.
  EXPECT_EQ(MustRetrieve(*s, Search("shoes"), true,
                         absl::FromCivil(absl::CivilSecond(2026, 6, 16, 3, 0, 0), utc))
                .candidates.size(),
            1);
  Result late = MustRetrieve(*s, Search("shoes"), true,
                             absl::FromCivil(absl::CivilSecond(2026, 6, 16, 6, 0, 0), utc));
  EXPECT_TRUE(late.candidates.empty());
  ASSERT_EQ(late.rejections.size(), 1);
  EXPECT_EQ(late.rejections[0].reason, RejectReason::kOutOfSchedule);
  EXPECT_EQ(late.rejections[0].detail,
            "campaign c-1 serves 2026-06-01..2026-06-15 in Fixed/UTC-05:00:00");
  EXPECT_TRUE(MustRetrieve(*s, Search("shoes"), true,
                           absl::FromCivil(absl::CivilSecond(2026, 6, 1, 4, 59, 0), utc))
                  .candidates.empty());
}

TEST(EntityState, PausedOrArchivedEntitiesNeverServe) {
  for (int level = 0; level < 5; ++level) {
    Catalog c = Shoes();
    const EntityState st = level % 2 == 0 ? EntityState::kPaused : EntityState::kArchived;
    if (level == 0) c.advertisers[0].state = st;
    if (level == 1) c.campaigns[0].state = st;
    if (level == 2) c.ad_groups[0].state = st;
    if (level == 3) c.product_ads[0].state = st;
    if (level == 4) c.targets[0].state = st;
    auto s = MustBuild(std::move(c));
    Result r = MustRetrieve(*s, Search("shoes"));
    EXPECT_TRUE(r.candidates.empty()) << level;
    EXPECT_TRUE(r.rejections.empty()) << level;
  }
}

TEST(BidResolution, TargetThenAdGroupThenCampaignDefault) {
  Catalog c = BaseCatalog();
  c.campaigns[0].default_bid_micros = 300'000;
  c.ad_groups[0].default_bid_micros = 0;
  c.targets.push_back(KeywordTarget("t-1", "shoes", MatchType::kBroad, 0));
  c.targets.push_back(KeywordTarget("t-2", "socks", MatchType::kBroad, 900'000));
  auto s = MustBuild(c);
  EXPECT_EQ(s->ResolveTargetBid(0), 300'000);
  EXPECT_EQ(s->ResolveTargetBid(1), 900'000);
  c.ad_groups[0].default_bid_micros = 500'000;
  auto s2 = MustBuild(std::move(c));
  EXPECT_EQ(s2->ResolveTargetBid(0), 500'000);
  EXPECT_EQ(MustRetrieve(*s2, Search("shoes")).candidates[0].bid_micros, 500'000);
}

TEST(AdjustBid, PlacementMultiplierRoundsDown) {
  EXPECT_EQ(AdjustBid(1'000'001, 50, BiddingStrategy::kFixed, Placement::kTopOfSearch, 0.01, 0.02),
            1'500'001);
  EXPECT_EQ(AdjustBid(333'333, 900, BiddingStrategy::kFixed, Placement::kTopOfSearch, 0, 0.02),
            3'333'330);
  EXPECT_EQ(AdjustBid(3, 50, BiddingStrategy::kFixed, Placement::kTopOfSearch, 0, 0.02), 4);
}

TEST(AdjustBid, DynamicDownOnlyLowersByCtrRatioNeverRaises) {
  EXPECT_EQ(AdjustBid(1'000'000, 0, BiddingStrategy::kDynamicDownOnly, Placement::kTopOfSearch,
                      0.01, 0.02),
            500'000);
  EXPECT_EQ(AdjustBid(1'000'000, 0, BiddingStrategy::kDynamicDownOnly, Placement::kTopOfSearch,
                      0.08, 0.02),
            1'000'000);
  EXPECT_EQ(AdjustBid(1'000'000, 0, BiddingStrategy::kDynamicDownOnly, Placement::kTopOfSearch, 0.0,
                      0.02),
            0);
}

TEST(AdjustBid, UpAndDownCapsAtDoubleOnTopOfSearchAndHalfMoreElsewhere) {
  EXPECT_EQ(AdjustBid(1'000'000, 100, BiddingStrategy::kDynamicUpAndDown, Placement::kTopOfSearch,
                      0.5, 0.02),
            4'000'000);
  EXPECT_EQ(AdjustBid(1'000'000, 0, BiddingStrategy::kDynamicUpAndDown, Placement::kProductPage,
                      0.5, 0.02),
            1'500'000);
  EXPECT_EQ(AdjustBid(1'000'000, 0, BiddingStrategy::kDynamicUpAndDown, Placement::kRestOfSearch,
                      0.01, 0.02),
            500'000);
}

TEST(AdjustBid, RetrievalAppliesCampaignPlacementMultiplier) {
  Catalog c = Shoes();
  c.campaigns[0].placement_multiplier_percent[static_cast<int>(Placement::kTopOfSearch)] = 25;
  auto s = MustBuild(std::move(c));
  EXPECT_EQ(MustRetrieve(*s, Search("shoes")).candidates[0].bid_micros, 1'250'000);
  Request rest = Search("shoes");
  rest.placement = Placement::kRestOfSearch;
  EXPECT_EQ(MustRetrieve(*s, rest).candidates[0].bid_micros, 1'000'000);
}

TEST(Scoring, QualityAndCtrAreInRange) {
  auto s = MustBuild(Shoes());
  const Candidate c = MustRetrieve(*s, Search("shoes")).candidates.at(0);
  EXPECT_GT(c.predicted_ctr, 0);
  EXPECT_LT(c.predicted_ctr, 1);
  EXPECT_GT(c.quality, 0);
  EXPECT_LE(c.quality, 1);
  const double base = s->model().baseline_ctr();
  EXPECT_DOUBLE_EQ(c.quality, std::sqrt(c.relevance * c.predicted_ctr / (c.predicted_ctr + base)));
}

}  // namespace
}  // namespace gavel::targeting
