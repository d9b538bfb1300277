// Product, category and automatic targets.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "targeting/retrieve.h"
#include "tests/targeting/test_catalog.h"

namespace gavel::targeting {

using ::gavel::catalog::AutoTargetGroup;
using ::gavel::catalog::Catalog;
using ::gavel::catalog::Placement;
using ::gavel::catalog::Target;
using ::gavel::catalog::TargetKind;

namespace {

using testing::BaseCatalog;
using testing::MustBuild;
using testing::MustRetrieve;
using testing::Search;

Request ProductPage(std::string viewed) {
  Request r;
  r.placement = Placement::kProductPage;
  r.viewed_product_id = std::move(viewed);
  return r;
}

Target ProductTarget(std::string product, int64_t bid = 0) {
  Target t;
  t.id = "t-p";
  t.ad_group_id = "g-1";
  t.kind = TargetKind::kProduct;
  t.product_id = std::move(product);
  t.bid_micros = bid;
  return t;
}

Target CategoryTarget(std::string category) {
  Target t;
  t.id = "t-c";
  t.ad_group_id = "g-1";
  t.kind = TargetKind::kCategory;
  t.category_id = std::move(category);
  return t;
}

Catalog WithAuto(AutoTargetGroup g, int64_t bid = 0) {
  Catalog c = BaseCatalog();
  c.ad_groups[0].auto_targeting.push_back({g, true, bid});
  return c;
}

TEST(ProductTarget, MatchesTheViewedProductPage) {
  Catalog c = BaseCatalog();
  c.targets.push_back(ProductTarget("p-2", 2'000'000));
  auto s = MustBuild(std::move(c));
  Result r = MustRetrieve(*s, ProductPage("p-2"));
  ASSERT_EQ(r.candidates.size(), 1);
  EXPECT_EQ(r.candidates[0].matched.kind, MatchKind::kProduct);
  EXPECT_EQ(r.candidates[0].matched.target, 0);
  EXPECT_DOUBLE_EQ(r.candidates[0].relevance, 1.0);
  EXPECT_TRUE(MustRetrieve(*s, ProductPage("p-3")).candidates.empty());
  EXPECT_TRUE(MustRetrieve(*s, ProductPage("unknown")).candidates.empty());
}

TEST(CategoryTarget, MatchesRequestCategoryAndDescendants) {
  Catalog c = BaseCatalog();
  c.targets.push_back(CategoryTarget("apparel"));
  auto s = MustBuild(std::move(c));
  Request r = Search("anything");
  r.category_ids = {"apparel"};
  Result same = MustRetrieve(*s, r);
  ASSERT_EQ(same.candidates.size(), 1);
  EXPECT_EQ(same.candidates[0].matched.kind, MatchKind::kCategory);
  EXPECT_DOUBLE_EQ(same.candidates[0].relevance, 0.5);
  r.category_ids = {"shoes"};  // a child of apparel: one step up
  Result child = MustRetrieve(*s, r);
  ASSERT_EQ(child.candidates.size(), 1);
  EXPECT_DOUBLE_EQ(child.candidates[0].relevance, 0.4);
}

TEST(CategoryTarget, DoesNotMatchSiblingOrParentOfTarget) {
  Catalog c = BaseCatalog();
  c.targets.push_back(CategoryTarget("shoes"));
  auto s = MustBuild(std::move(c));
  Request r = Search("");
  r.category_ids = {"socks"};
  EXPECT_TRUE(MustRetrieve(*s, r).candidates.empty());
  r.category_ids = {"apparel"};
  EXPECT_TRUE(MustRetrieve(*s, r).candidates.empty());
}

TEST(CategoryTarget, MatchesViewedProductCategory) {
  Catalog c = BaseCatalog();
  c.targets.push_back(CategoryTarget("shoes"));
  auto s = MustBuild(std::move(c));
  EXPECT_EQ(MustRetrieve(*s, ProductPage("p-2")).candidates.size(), 1);
}

TEST(CloseMatch, MatchesStrongTitleOverlap) {
  auto s = MustBuild(WithAuto(AutoTargetGroup::kCloseMatch, 700'000));
  Result r = MustRetrieve(*s, Search("trail running shoe"));
  ASSERT_EQ(r.candidates.size(), 1);
  EXPECT_EQ(r.candidates[0].matched.kind, MatchKind::kAuto);
  EXPECT_EQ(r.candidates[0].matched.auto_group, AutoTargetGroup::kCloseMatch);
  EXPECT_EQ(r.candidates[0].matched.target, -1);
  EXPECT_DOUBLE_EQ(r.candidates[0].relevance, 1.0);
  EXPECT_EQ(r.candidates[0].bid_micros, 700'000);
  // 3 of 4 tokens = 0.75: still close.
  EXPECT_EQ(MustRetrieve(*s, Search("trail running shoes waterproof")).candidates.size(), 1);
}

TEST(CloseMatch, IgnoresWeakOverlap) {
  auto s = MustBuild(WithAuto(AutoTargetGroup::kCloseMatch));
  EXPECT_TRUE(MustRetrieve(*s, Search("blue shoes")).candidates.empty());
}

TEST(LooseMatch, MatchesWeakButNotStrongOverlap) {
  auto s = MustBuild(WithAuto(AutoTargetGroup::kLooseMatch, 300'000));
  Result r = MustRetrieve(*s, Search("blue shoes"));
  ASSERT_EQ(r.candidates.size(), 1);
  EXPECT_EQ(r.candidates[0].matched.auto_group, AutoTargetGroup::kLooseMatch);
  EXPECT_DOUBLE_EQ(r.candidates[0].relevance, 0.6 * 0.5);
  EXPECT_TRUE(MustRetrieve(*s, Search("trail running shoes")).candidates.empty());
  EXPECT_TRUE(MustRetrieve(*s, Search("a b c d e shoes")).candidates.empty());  // 1/6 < 0.25
}

TEST(AutoTargeting, DisabledGroupDoesNotServe) {
  Catalog c = BaseCatalog();
  c.ad_groups[0].auto_targeting.push_back({AutoTargetGroup::kCloseMatch, false, 500'000});
  auto s = MustBuild(std::move(c));
  EXPECT_TRUE(MustRetrieve(*s, Search("trail running shoes")).candidates.empty());
}

TEST(Substitutes, MatchesProductPagesInTheSameCategory) {
  auto s = MustBuild(WithAuto(AutoTargetGroup::kSubstitutes, 400'000));
  Result r = MustRetrieve(*s, ProductPage("p-2"));  // road shoes: same category as p-1
  ASSERT_EQ(r.candidates.size(), 1);
  EXPECT_EQ(r.candidates[0].matched.auto_group, AutoTargetGroup::kSubstitutes);
  EXPECT_DOUBLE_EQ(r.candidates[0].relevance, 0.6);
  EXPECT_TRUE(MustRetrieve(*s, ProductPage("p-3")).candidates.empty());
  // Never on its own product's page.
  EXPECT_TRUE(MustRetrieve(*s, ProductPage("p-1")).candidates.empty());
}

TEST(Complements, MatchesPagesOfCategoriesTheAdvertisedCategoryComplements) {
  // ad-4 advertises socks; socks lists shoes as a complement, so it shows on shoe pages and
  // carts with shoes, not on sock pages.
  Catalog c = BaseCatalog();
  c.ad_groups.push_back({.id = "g-2", .campaign_id = "c-1", .default_bid_micros = 1'000'000});
  c.ad_groups[1].auto_targeting.push_back({AutoTargetGroup::kComplements, true, 0});
  c.product_ads.push_back({.id = "ad-4", .ad_group_id = "g-2", .product_id = "p-3"});
  auto s = MustBuild(std::move(c));
  Result r = MustRetrieve(*s, ProductPage("p-2"));
  ASSERT_EQ(r.candidates.size(), 1);
  EXPECT_EQ(s->ad_id(r.candidates[0].ad), "ad-4");
  EXPECT_EQ(r.candidates[0].matched.auto_group, AutoTargetGroup::kComplements);
  EXPECT_DOUBLE_EQ(r.candidates[0].relevance, 0.4);
  Request checkout;
  checkout.placement = Placement::kCheckout;
  checkout.cart_product_ids = {"p-1"};
  EXPECT_EQ(MustRetrieve(*s, checkout).candidates.size(), 1);
  EXPECT_TRUE(MustRetrieve(*s, ProductPage("p-3")).candidates.empty());
}

TEST(Relevance, BelowMinimumIsRejectedAsLowRelevance) {
  Catalog c = BaseCatalog();
  c.targets.push_back(CategoryTarget("apparel"));
  c.rules.min_relevance = 0.45;
  auto s = MustBuild(std::move(c));
  Request r = Search("");
  r.category_ids = {"shoes"};  // relevance 0.4
  Result out = MustRetrieve(*s, r);
  EXPECT_TRUE(out.candidates.empty());
  ASSERT_EQ(out.rejections.size(), 1);
  EXPECT_EQ(out.rejections[0].reason, RejectReason::kLowRelevance);
  EXPECT_EQ(out.rejections[0].detail, "relevance 0.4 is below the minimum 0.45");
}

TEST(Retrieve, RejectionsAreOnlyFilledWithExplain) {
  Catalog c = BaseCatalog();
  c.targets.push_back(CategoryTarget("apparel"));
  c.rules.min_relevance = 0.9;
  auto s = MustBuild(std::move(c));
  Request r = Search("");
  r.category_ids = {"apparel"};
  EXPECT_TRUE(MustRetrieve(*s, r, /*explain=*/false).rejections.empty());
  EXPECT_EQ(MustRetrieve(*s, r, /*explain=*/true).rejections.size(), 1);
}

}  // namespace
}  // namespace gavel::targeting
