// CatalogStore's auction rules: read, patched by mask or replaced, validated by the publisher,
// persisted like every admin write, and never at the cost of an entity edit.
#include <string>

#include "convert/rules_convert.h"
#include "gtest/gtest.h"
#include "store/catalog_store.h"

namespace gavel::store {
namespace {

// Publishes what the real server would accept: rules that RulesFromProto converts.
struct RulesPublisher {
  int64_t last_version = 0;
  gavel::v1::Catalog last;
  absl::Status operator()(const gavel::v1::Catalog& c, int64_t version) {
    absl::StatusOr<auction::Rules> rules = convert::RulesFromProto(c.auction_rules());
    if (!rules.ok()) return rules.status();
    last = c;
    last_version = version;
    return absl::OkStatus();
  }
};

gavel::v1::Catalog Seed() {
  gavel::v1::Catalog c;
  c.add_advertisers()->set_id("adv-1");
  c.mutable_auction_rules()->set_reserve_micros(50'000);
  c.mutable_auction_rules()->set_squashing_exponent(0.8);
  return c;
}

class CatalogStoreRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.Init().ok()); }

  gavel::v1::AuctionRules Rules() const { return store_.auction_rules().rules; }

  RulesPublisher publisher_;
  int persisted_ = 0;
  CatalogStore store_{Seed(),
                      [this](const gavel::v1::Catalog& c, int64_t v) { return publisher_(c, v); },
                      [this](const gavel::v1::Catalog&) {
                        ++persisted_;
                        return absl::OkStatus();
                      }};
};

TEST_F(CatalogStoreRulesTest, ReadsTheRulesAsStoredWithTheirVersion) {
  const CatalogStore::VersionedRules current = store_.auction_rules();
  EXPECT_EQ(current.version, 1);
  EXPECT_EQ(current.rules.reserve_micros(), 50'000);
  EXPECT_FALSE(current.rules.has_min_cpc_micros());  // unset stays unset: the default applies
}

TEST_F(CatalogStoreRulesTest, WithoutAMaskEveryFieldTheRequestSetsChanges) {
  gavel::v1::AuctionRules patch;
  patch.set_self_competition(gavel::v1::SELF_COMPETITION_OFF);
  patch.set_one_winner_per_product(false);
  absl::StatusOr<CatalogStore::VersionedRules> updated = store_.UpdateAuctionRules(patch, {});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->rules.self_competition(), gavel::v1::SELF_COMPETITION_OFF);
  EXPECT_FALSE(updated->rules.one_winner_per_product());
  EXPECT_EQ(updated->rules.reserve_micros(), 50'000);  // not set in the patch: kept
  EXPECT_EQ(publisher_.last.auction_rules().self_competition(), gavel::v1::SELF_COMPETITION_OFF);
  EXPECT_EQ(publisher_.last_version, 2);
  EXPECT_EQ(persisted_, 1);
}

TEST_F(CatalogStoreRulesTest, AMaskedFieldTheRequestLeavesUnsetGoesBackToItsDefault) {
  gavel::v1::AuctionRules patch;
  patch.set_squashing_exponent(0.2);  // not in the mask: ignored
  absl::StatusOr<CatalogStore::VersionedRules> updated =
      store_.UpdateAuctionRules(patch, {"reserve_micros"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(Rules().reserve_micros(), 0);
  EXPECT_EQ(Rules().squashing_exponent(), 0.8);
}

TEST_F(CatalogStoreRulesTest, AStarMaskReplacesTheRules) {
  gavel::v1::AuctionRules rules;
  rules.set_mechanism(gavel::v1::MECHANISM_VCG);
  ASSERT_TRUE(store_.UpdateAuctionRules(rules, {"*"}).ok());
  EXPECT_EQ(Rules().mechanism(), gavel::v1::MECHANISM_VCG);
  EXPECT_EQ(Rules().reserve_micros(), 0);
  EXPECT_FALSE(Rules().has_squashing_exponent());
}

TEST_F(CatalogStoreRulesTest, EntityEditsMadeBeforeARulesUpdateAreKept) {
  gavel::v1::Advertiser added;
  added.set_id("adv-2");
  ASSERT_TRUE(store_.Create(gavel::v1::ENTITY_KIND_ADVERTISER, added).ok());
  ASSERT_TRUE(
      store_.SetState(gavel::v1::ENTITY_KIND_ADVERTISER, "adv-1", gavel::v1::ENTITY_STATE_PAUSED)
          .ok());
  gavel::v1::AuctionRules patch;
  patch.set_mechanism(gavel::v1::MECHANISM_FIRST_PRICE);
  ASSERT_TRUE(store_.UpdateAuctionRules(patch, {}).ok());
  const gavel::v1::Catalog served = publisher_.last;
  ASSERT_EQ(served.advertisers_size(), 2);
  EXPECT_EQ(served.advertisers(0).state(), gavel::v1::ENTITY_STATE_PAUSED);
  EXPECT_EQ(served.advertisers(1).id(), "adv-2");
  EXPECT_EQ(served.auction_rules().mechanism(), gavel::v1::MECHANISM_FIRST_PRICE);
  EXPECT_EQ(store_.version(), 4);
}

TEST_F(CatalogStoreRulesTest, RejectedRulesChangeNothing) {
  gavel::v1::AuctionRules bad;
  bad.set_squashing_exponent(2);
  bad.set_reserve_micros(7);
  absl::StatusOr<CatalogStore::VersionedRules> updated = store_.UpdateAuctionRules(bad, {});
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(updated.status().message(),
            "auction_rules.squashing_exponent must be in [0, 1], got 2");
  EXPECT_EQ(store_.version(), 1);
  EXPECT_EQ(Rules().reserve_micros(), 50'000);
  EXPECT_EQ(publisher_.last_version, 1);
  EXPECT_EQ(persisted_, 0);
}

TEST_F(CatalogStoreRulesTest, AMaskNamingNoFieldIsInvalidArgument) {
  absl::StatusOr<CatalogStore::VersionedRules> updated =
      store_.UpdateAuctionRules(gavel::v1::AuctionRules(), {"reserve_micros", "reserve"});
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(updated.status().message(), "update_mask: auction_rules has no field \"reserve\"");
  EXPECT_EQ(store_.version(), 1);
}

TEST(CatalogStoreRulesPersistence, AFailedPersistUndoesTheRulesUpdate) {
  RulesPublisher publisher;
  CatalogStore store(
      Seed(), [&](const gavel::v1::Catalog& c, int64_t v) { return publisher(c, v); },
      [](const gavel::v1::Catalog&) { return absl::InternalError("cannot fsync x.tmp"); });
  ASSERT_TRUE(store.Init().ok());
  gavel::v1::AuctionRules patch;
  patch.set_reserve_micros(90'000);
  EXPECT_EQ(store.UpdateAuctionRules(patch, {}).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(store.auction_rules().rules.reserve_micros(), 50'000);
  EXPECT_EQ(publisher.last.auction_rules().reserve_micros(), 50'000);  // the old rules serve again
}

}  // namespace
}  // namespace gavel::store
