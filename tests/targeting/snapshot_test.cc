// CatalogSnapshot::Build validation and accessors.
#include "targeting/snapshot.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/targeting/test_catalog.h"

namespace gavel::targeting {

using ::gavel::catalog::AutoTargetGroup;
using ::gavel::catalog::Catalog;
using ::gavel::catalog::MatchType;

namespace {

using testing::BaseCatalog;
using testing::KeywordTarget;

absl::Status BuildError(Catalog c) { return CatalogSnapshot::Build(std::move(c), 1).status(); }

void ExpectInvalid(Catalog c, absl::string_view message) {
  absl::Status s = BuildError(std::move(c));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), message);
}

TEST(CatalogBuild, InternsIdsAndResolvesParents) {
  Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", "shoes", MatchType::kBroad));
  auto s = CatalogSnapshot::Build(std::move(c), 42);
  ASSERT_TRUE(s.ok()) << s.status();
  const CatalogSnapshot& snap = **s;
  EXPECT_EQ(snap.version(), 42);
  const int32_t ad = snap.FindAd("ad-1");
  ASSERT_EQ(ad, 0);
  EXPECT_EQ(snap.ad_group_id(ad), "g-1");
  EXPECT_EQ(snap.campaign_id(ad), "c-1");
  EXPECT_EQ(snap.advertiser_id(ad), "a-1");
  EXPECT_EQ(snap.product_id(ad), "p-1");
  EXPECT_EQ(snap.ad_campaign(ad), 0);
  EXPECT_EQ(snap.ad_advertiser(ad), 0);
  EXPECT_EQ(snap.FindAd("nope"), -1);
  EXPECT_EQ(snap.category_parent(snap.FindCategory("shoes")), snap.FindCategory("apparel"));
  EXPECT_TRUE(snap.AdEnabled(ad));
}

TEST(CatalogBuild, RejectsNonPositiveBudgetNamingCampaign) {
  Catalog c = BaseCatalog();
  c.campaigns[0].id = "c-7";
  c.ad_groups[0].campaign_id = "c-7";
  c.campaigns[0].daily_budget_micros = -5;
  ExpectInvalid(std::move(c), "campaigns[c-7].daily_budget_micros must be > 0, got -5");
}

TEST(CatalogBuild, RejectsDuplicateIds) {
  Catalog c = BaseCatalog();
  c.products.push_back(c.products[0]);
  ExpectInvalid(std::move(c), "products[p-1].id is a duplicate");
}

TEST(CatalogBuild, RejectsBadIdCharacters) {
  Catalog c = BaseCatalog();
  c.advertisers[0].id = "a 1";
  ExpectInvalid(std::move(c),
                "advertisers[0].id must be 1-128 bytes of [A-Za-z0-9._:-], got \"a 1\"");
}

TEST(CatalogBuild, RejectsUnknownParents) {
  Catalog c = BaseCatalog();
  c.ad_groups[0].campaign_id = "c-9";
  ExpectInvalid(c, "ad_groups[g-1].campaign_id names unknown campaign \"c-9\"");
  c = BaseCatalog();
  c.product_ads[0].product_id = "p-9";
  ExpectInvalid(c, "product_ads[ad-1].product_id names unknown product \"p-9\"");
  c = BaseCatalog();
  c.categories[1].parent_id = "nope";
  ExpectInvalid(c, "categories[shoes].parent_id names unknown category \"nope\"");
  c = BaseCatalog();
  c.categories[2].complement_category_ids = {"x"};
  ExpectInvalid(c, "categories[socks].complement_category_ids[0] names unknown category \"x\"");
}

TEST(CatalogBuild, RejectsCategoryCycle) {
  Catalog c = BaseCatalog();
  c.categories[0].parent_id = "shoes";
  ExpectInvalid(std::move(c), "categories[apparel].parent_id forms a cycle");
}

TEST(CatalogBuild, RejectsBadValues) {
  Catalog c = BaseCatalog();
  c.campaigns[0].placement_multiplier_percent[1] = 901;
  ExpectInvalid(c, "campaigns[c-1].placement_multipliers[1].percent must be in [0, 900], got 901");
  c = BaseCatalog();
  c.ad_groups[0].default_bid_micros = -1;
  ExpectInvalid(c, "ad_groups[g-1].default_bid_micros must be in [0, 1000000000], got -1");
  c = BaseCatalog();
  c.products[0].price_micros = 0;
  ExpectInvalid(c, "products[p-1].price_micros must be > 0, got 0");
  c = BaseCatalog();
  c.campaigns[0].start_date = absl::CivilDay(2026, 2, 1);
  c.campaigns[0].end_date = absl::CivilDay(2026, 1, 1);
  ExpectInvalid(c,
                "campaigns[c-1].end_date must not be before start_date 2026-02-01, got 2026-01-01");
  c = BaseCatalog();
  c.campaigns[0].predicates.include_hours = {24};
  ExpectInvalid(c, "campaigns[c-1].predicates.include_hours[0] must be in [0, 23], got 24");
  c = BaseCatalog();
  c.products[0].title = "bad \xff title";
  ExpectInvalid(c, "products[p-1].title: invalid UTF-8 at byte 4");
}

TEST(CatalogBuild, RejectsBadKeywords) {
  Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", "  !! ", MatchType::kExact));
  ExpectInvalid(c, "targets[t-1].keyword.text must have at least one token, got none");
  c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", "a b c d e f g h i j k", MatchType::kExact));
  ExpectInvalid(c, "targets[t-1].keyword.text must have at most 10 tokens, got 11");
  c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", "shoes", MatchType::kUnspecified));
  ExpectInvalid(c, "targets[t-1].keyword.match_type must be EXACT, PHRASE or BROAD, got 0");
  c = BaseCatalog();
  c.campaigns[0].negative_keywords.push_back({"used", MatchType::kBroad});
  ExpectInvalid(c, "campaigns[c-1].negative_keywords[0].match_type must be EXACT or PHRASE, got 3");
}

TEST(CatalogBuild, RejectsTargetWithNoBidAnywhere) {
  Catalog c = BaseCatalog();
  c.ad_groups[0].default_bid_micros = 0;
  c.targets.push_back(KeywordTarget("t-1", "shoes", MatchType::kBroad));
  ExpectInvalid(c, "targets[t-1].bid_micros: no bid on the target, its ad group or its campaign");
}

TEST(CatalogBuild, RejectsDuplicateAutoGroup) {
  Catalog c = BaseCatalog();
  c.ad_groups[0].auto_targeting = {{AutoTargetGroup::kCloseMatch, true, 0},
                                   {AutoTargetGroup::kCloseMatch, false, 0}};
  ExpectInvalid(c, "ad_groups[g-1].auto_targeting[1].group 1 is listed twice");
}

TEST(CatalogBuild, RejectsMinRelevanceOutOfRange) {
  Catalog c = BaseCatalog();
  c.rules.min_relevance = 1.5;
  ExpectInvalid(c, "rules.min_relevance must be in [0, 1], got 1.5");
}

}  // namespace
}  // namespace gavel::targeting
