// The cart rule (docs/targeting.md, "Target kinds and relevance"): a product already in the
// shopper's cart is not advertised to them, whichever target kind matched it, and explain shows
// every ad held back for it.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "targeting/retrieve.h"
#include "tests/targeting/test_catalog.h"

namespace gavel::targeting {
namespace {

using ::gavel::catalog::AutoTargetGroup;
using ::gavel::catalog::Catalog;
using ::gavel::catalog::MatchType;
using ::gavel::catalog::Placement;
using ::gavel::catalog::Target;
using ::gavel::catalog::TargetKind;
using testing::BaseCatalog;
using testing::KeywordTarget;
using testing::MustBuild;
using testing::MustRetrieve;
using testing::Search;

Target ObjectTarget(TargetKind kind, std::string object) {
  Target t;
  t.id = "t-o";
  t.ad_group_id = "g-1";
  t.kind = kind;
  (kind == TargetKind::kProduct ? t.product_id : t.category_id) = std::move(object);
  return t;
}

Request ProductPage(std::string viewed) {
  Request r;
  r.placement = Placement::kProductPage;
  r.viewed_product_id = std::move(viewed);
  return r;
}

struct Case {
  std::string name;
  Catalog catalog;  // ad-1 advertises p-1 (shoes); ad-4 advertises p-3 (socks)
  Request request;  // matches the ad advertising `product`
  std::string product;
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  Catalog keyword = BaseCatalog();
  keyword.targets.push_back(KeywordTarget("t-1", "running shoes", MatchType::kExact));
  cases.push_back({"keyword", keyword, Search("running shoes"), "p-1"});
  Catalog product = BaseCatalog();
  product.targets.push_back(ObjectTarget(TargetKind::kProduct, "p-2"));
  cases.push_back({"product", product, ProductPage("p-2"), "p-1"});
  Catalog category = BaseCatalog();
  category.targets.push_back(ObjectTarget(TargetKind::kCategory, "shoes"));
  Request category_page = Search("");
  category_page.category_ids = {"shoes"};
  cases.push_back({"category", category, category_page, "p-1"});
  Catalog close = BaseCatalog();
  close.ad_groups[0].auto_targeting.push_back({AutoTargetGroup::kCloseMatch, true, 0});
  cases.push_back({"close match", close, Search("trail running shoes"), "p-1"});
  Catalog substitutes = BaseCatalog();
  substitutes.ad_groups[0].auto_targeting.push_back({AutoTargetGroup::kSubstitutes, true, 0});
  cases.push_back({"substitutes", substitutes, ProductPage("p-2"), "p-1"});
  Catalog complements = BaseCatalog();
  complements.ad_groups.push_back(
      {.id = "g-2", .campaign_id = "c-1", .default_bid_micros = 1'000'000});
  complements.ad_groups[1].auto_targeting.push_back({AutoTargetGroup::kComplements, true, 0});
  complements.product_ads.push_back({.id = "ad-4", .ad_group_id = "g-2", .product_id = "p-3"});
  complements.product_ads[0].state = catalog::EntityState::kPaused;  // ad-1 out of the way
  cases.push_back({"complements", complements, ProductPage("p-2"), "p-3"});
  return cases;
}

TEST(CartRule, HoldsBackCartProductsForEveryTargetKind) {
  for (Case& c : Cases()) {
    auto s = MustBuild(std::move(c.catalog));
    ASSERT_NE(s, nullptr) << c.name;
    // Without the cart the ad is a candidate...
    Result shown = MustRetrieve(*s, c.request);
    ASSERT_EQ(shown.candidates.size(), 1u) << c.name;
    EXPECT_EQ(s->product_id(shown.candidates[0].ad), c.product) << c.name;
    // ...with its product in the cart it is held back, and explain says why.
    Request with_cart = c.request;
    with_cart.cart_product_ids = {c.product};
    Result held = MustRetrieve(*s, with_cart);
    EXPECT_TRUE(held.candidates.empty()) << c.name;
    ASSERT_EQ(held.rejections.size(), 1u) << c.name;
    EXPECT_EQ(held.rejections[0].ad, shown.candidates[0].ad) << c.name;
    EXPECT_EQ(held.rejections[0].reason, RejectReason::kTargetingExcluded) << c.name;
    EXPECT_EQ(held.rejections[0].detail, "a product in the shopper's cart") << c.name;
    // What was known: the resolved bid (the ad group's default) and the match's relevance.
    EXPECT_EQ(held.rejections[0].base_bid_micros, 1'000'000) << c.name;
    EXPECT_DOUBLE_EQ(held.rejections[0].relevance, shown.candidates[0].relevance) << c.name;
    EXPECT_TRUE(MustRetrieve(*s, with_cart, /*explain=*/false).candidates.empty()) << c.name;
  }
}

TEST(CartRule, TheViewedProductIsNotItsOwnSubstituteAndExplainSaysSo) {
  Catalog c = BaseCatalog();
  c.ad_groups[0].auto_targeting.push_back({AutoTargetGroup::kSubstitutes, true, 0});
  auto s = MustBuild(std::move(c));
  Result r = MustRetrieve(*s, ProductPage("p-1"));
  EXPECT_TRUE(r.candidates.empty());
  ASSERT_EQ(r.rejections.size(), 1u);
  EXPECT_EQ(r.rejections[0].reason, RejectReason::kTargetingExcluded);
  EXPECT_EQ(r.rejections[0].detail, "the product this page shows");
  EXPECT_EQ(r.rejections[0].matched.auto_group, AutoTargetGroup::kSubstitutes);
}

}  // namespace
}  // namespace gavel::targeting
