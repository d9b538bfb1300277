// The catalog's per-entity field rules (catalog/validate.h): each names the entity, field and
// value.
#include "catalog/validate.h"

#include "absl/status/status.h"
#include "catalog/limits.h"
#include "gtest/gtest.h"

namespace gavel::catalog {
namespace {

void ExpectInvalid(const absl::Status& s, absl::string_view message) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), message);
}

Campaign GoodCampaign() {
  return Campaign{.id = "c-1", .advertiser_id = "a-1", .daily_budget_micros = 5'000'000};
}

TEST(ValidId, AcceptsTheIdAlphabetUpTo128Bytes) {
  EXPECT_TRUE(ValidId("a-Z_0.9:x"));
  EXPECT_TRUE(ValidId(std::string(128, 'a')));
  EXPECT_FALSE(ValidId(std::string(129, 'a')));
  EXPECT_FALSE(ValidId(""));
  EXPECT_FALSE(ValidId("has space"));
  ExpectInvalid(ValidateId("campaigns", 3, "a/b"),
                "campaigns[3].id must be 1-128 bytes of [A-Za-z0-9._:-], got \"a/b\"");
}

TEST(ValidateBid, RangeIsZeroToTheCatalogLimit) {
  EXPECT_TRUE(ValidateBid(0, "targets[t]", "bid_micros").ok());
  EXPECT_TRUE(ValidateBid(kMaxBidMicros, "targets[t]", "bid_micros").ok());
  ExpectInvalid(ValidateBid(kMaxBidMicros + 1, "targets[t]", "bid_micros"),
                "targets[t].bid_micros must be in [0, 1000000000], got 1000000001");
  ExpectInvalid(ValidateBid(-1, "targets[t]", "bid_micros"),
                "targets[t].bid_micros must be in [0, 1000000000], got -1");
}

TEST(ValidateCampaign, NamesTheFieldAndValue) {
  EXPECT_TRUE(ValidateCampaign(GoodCampaign()).ok());
  Campaign c = GoodCampaign();
  c.daily_budget_micros = -5;
  ExpectInvalid(ValidateCampaign(c), "campaigns[c-1].daily_budget_micros must be > 0, got -5");
  c = GoodCampaign();
  c.placement_multiplier_percent[2] = 901;
  ExpectInvalid(ValidateCampaign(c),
                "campaigns[c-1].placement_multipliers[2].percent must be in [0, 900], got 901");
  c = GoodCampaign();
  c.start_date = absl::CivilDay(2026, 12, 2);
  c.end_date = absl::CivilDay(2026, 12, 1);
  ExpectInvalid(ValidateCampaign(c),
                "campaigns[c-1].end_date must not be before start_date 2026-12-02, got 2026-12-01");
  c = GoodCampaign();
  c.negative_keywords.push_back({.text = "cheap", .match_type = MatchType::kBroad});
  ExpectInvalid(ValidateCampaign(c),
                "campaigns[c-1].negative_keywords[0].match_type must be EXACT or PHRASE, got 3");
  c = GoodCampaign();
  c.predicates.include_hours = {5, 24};
  ExpectInvalid(ValidateCampaign(c),
                "campaigns[c-1].predicates.include_hours[1] must be in [0, 23], got 24");
  c = GoodCampaign();
  c.predicates.exclude_devices = {Device::kUnspecified};
  ExpectInvalid(ValidateCampaign(c),
                "campaigns[c-1].predicates.exclude_devices[0] must be a specified device, got 0");
}

TEST(ValidateAdGroup, AutomaticGroupsMustBeSpecifiedAndListedOnce) {
  AdGroup g{.id = "g-1", .campaign_id = "c-1"};
  g.auto_targeting.push_back({.group = AutoTargetGroup::kCloseMatch, .enabled = true});
  EXPECT_TRUE(ValidateAdGroup(g).ok());
  g.auto_targeting.push_back({.group = AutoTargetGroup::kCloseMatch});
  ExpectInvalid(ValidateAdGroup(g), "ad_groups[g-1].auto_targeting[1].group 1 is listed twice");
  g.auto_targeting = {{.group = AutoTargetGroup::kUnspecified}};
  ExpectInvalid(ValidateAdGroup(g),
                "ad_groups[g-1].auto_targeting[0].group must be a specified group, got 0");
}

TEST(ValidateTarget, KeywordsNeedAMatchType) {
  Target t{.id = "t-1",
           .ad_group_id = "g-1",
           .kind = TargetKind::kKeyword,
           .keyword = {.text = "shoes"}};
  ExpectInvalid(ValidateTarget(t),
                "targets[t-1].keyword.match_type must be EXACT, PHRASE or BROAD, got 0");
  t.keyword.match_type = MatchType::kPhrase;
  EXPECT_TRUE(ValidateTarget(t).ok());
  t.state = static_cast<EntityState>(7);
  ExpectInvalid(ValidateTarget(t), "targets[t-1].state is out of range");
}

TEST(ValidateProductAndRules, RejectNonPositivePriceAndOutOfRangeRules) {
  ExpectInvalid(ValidateProduct({.id = "p-1", .price_micros = 0}),
                "products[p-1].price_micros must be > 0, got 0");
  ExpectInvalid(ValidateServingRules({.min_relevance = 1.5}),
                "rules.min_relevance must be in [0, 1], got 1.5");
  ExpectInvalid(ValidateServingRules({.max_candidates = 0}),
                "rules.max_candidates must be >= 1, got 0");
  EXPECT_TRUE(ValidateAdvertiser({.id = "a-1"}).ok());
  EXPECT_TRUE(ValidateProductAd({.id = "ad-1"}).ok());
}

}  // namespace
}  // namespace gavel::catalog
