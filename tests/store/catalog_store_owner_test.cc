// Who owns what in the admin catalog: what an advertiser's admin key is scoped by
// (server/campaign_service.h).
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "store/catalog_store.h"

namespace gavel::store {
namespace {

// Two advertisers, each with a campaign, an ad group, a product ad and a target.
gavel::v1::Catalog TwoAdvertisers() {
  gavel::v1::Catalog c;
  for (const std::string n : {"a", "b"}) {
    c.add_advertisers()->set_id("adv-" + n);
    auto* k = c.add_campaigns();
    k->set_id("c-" + n);
    k->set_advertiser_id("adv-" + n);
    auto* g = c.add_ad_groups();
    g->set_id("g-" + n);
    g->set_campaign_id("c-" + n);
    auto* ad = c.add_product_ads();
    ad->set_id("ad-" + n);
    ad->set_ad_group_id("g-" + n);
    auto* t = c.add_targets();
    t->set_id("t-" + n);
    t->set_ad_group_id("g-" + n);
  }
  return c;
}

class CatalogStoreOwnerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.Init().ok()); }
  CatalogStore store_{TwoAdvertisers(),
                      [](const gavel::v1::Catalog&, int64_t) { return absl::OkStatus(); }};
};

TEST_F(CatalogStoreOwnerTest, EveryEntityIsOwnedByTheAdvertiserAboveIt) {
  const std::pair<gavel::v1::EntityKind, const char*> kinds[] = {
      {gavel::v1::ENTITY_KIND_ADVERTISER, "adv-"},
      {gavel::v1::ENTITY_KIND_CAMPAIGN, "c-"},
      {gavel::v1::ENTITY_KIND_AD_GROUP, "g-"},
      {gavel::v1::ENTITY_KIND_PRODUCT_AD, "ad-"},
      {gavel::v1::ENTITY_KIND_TARGET, "t-"}};
  for (const auto& [kind, prefix] : kinds) {
    absl::StatusOr<std::string> owner = store_.OwnerOf(kind, std::string(prefix) + "b");
    ASSERT_TRUE(owner.ok()) << prefix << ": " << owner.status();
    EXPECT_EQ(*owner, "adv-b") << prefix;
  }
}

TEST_F(CatalogStoreOwnerTest, AnUnknownEntityHasNoOwner) {
  absl::StatusOr<std::string> owner = store_.OwnerOf(gavel::v1::ENTITY_KIND_AD_GROUP, "g-z");
  EXPECT_EQ(owner.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(owner.status().message(), "ad group \"g-z\" not found");
}

TEST_F(CatalogStoreOwnerTest, ANewEntityIsOwnedByItsParentsOwner) {
  gavel::v1::Target t;
  t.set_id("t-new");
  t.set_ad_group_id("g-a");
  absl::StatusOr<std::string> owner = store_.OwnerOfNew(gavel::v1::ENTITY_KIND_TARGET, t);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(*owner, "adv-a");
  gavel::v1::Campaign k;
  k.set_id("c-new");
  k.set_advertiser_id("adv-b");
  EXPECT_EQ(*store_.OwnerOfNew(gavel::v1::ENTITY_KIND_CAMPAIGN, k), "adv-b");
  t.set_ad_group_id("g-missing");
  EXPECT_EQ(store_.OwnerOfNew(gavel::v1::ENTITY_KIND_TARGET, t).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CatalogStoreOwnerTest, AScopedListShowsOnlyTheAdvertisersOwn) {
  gavel::v1::ListRequest all;
  gavel::v1::ListTargetsResponse targets;
  ASSERT_TRUE(store_.List(gavel::v1::ENTITY_KIND_TARGET, all, &targets, "adv-b").ok());
  ASSERT_EQ(targets.targets_size(), 1);
  EXPECT_EQ(targets.targets(0).id(), "t-b");
  gavel::v1::ListAdvertisersResponse advertisers;
  ASSERT_TRUE(store_.List(gavel::v1::ENTITY_KIND_ADVERTISER, all, &advertisers, "adv-a").ok());
  ASSERT_EQ(advertisers.advertisers_size(), 1);
  EXPECT_EQ(advertisers.advertisers(0).id(), "adv-a");
  gavel::v1::ListCampaignsResponse unscoped;
  ASSERT_TRUE(store_.List(gavel::v1::ENTITY_KIND_CAMPAIGN, all, &unscoped).ok());
  EXPECT_EQ(unscoped.campaigns_size(), 2);
  // A parent filter of another advertiser's entity finds nothing.
  gavel::v1::ListRequest other;
  other.set_parent_id("g-a");
  gavel::v1::ListProductAdsResponse ads;
  ASSERT_TRUE(store_.List(gavel::v1::ENTITY_KIND_PRODUCT_AD, other, &ads, "adv-b").ok());
  EXPECT_EQ(ads.product_ads_size(), 0);
}

}  // namespace
}  // namespace gavel::store
