#include "store/catalog_store.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace gavel::server {
namespace {

// A publisher that records what it was given and rejects campaigns with a negative budget, the way
// the real snapshot builder would.
struct FakePublisher {
  int calls = 0;
  int64_t last_version = 0;
  gavel::v1::Catalog last;
  absl::Status operator()(const gavel::v1::Catalog& c, int64_t version) {
    ++calls;
    for (const auto& campaign : c.campaigns()) {
      if (campaign.daily_budget_micros() < 0) {
        return absl::InvalidArgumentError("daily_budget_micros must be > 0");
      }
    }
    last = c;
    last_version = version;
    return absl::OkStatus();
  }
};

gavel::v1::Catalog Seed() {
  gavel::v1::Catalog c;
  auto* a = c.add_advertisers();
  a->set_id("adv-1");
  a->set_state(gavel::v1::ENTITY_STATE_ENABLED);
  auto* k = c.add_campaigns();
  k->set_id("c-1");
  k->set_advertiser_id("adv-1");
  k->set_daily_budget_micros(5'000'000);
  k->set_state(gavel::v1::ENTITY_STATE_ENABLED);
  return c;
}

class CatalogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.Init().ok()); }
  FakePublisher publisher_;
  store::CatalogStore store_{
      Seed(), [this](const gavel::v1::Catalog& c, int64_t v) { return publisher_(c, v); }};
};

TEST_F(CatalogStoreTest, InitPublishesVersionOne) {
  EXPECT_EQ(store_.version(), 1);
  EXPECT_EQ(publisher_.last_version, 1);
}

TEST_F(CatalogStoreTest, CreateAddsAnEnabledEntityAndPublishesANewVersion) {
  gavel::v1::Campaign c;
  c.set_id("c-2");
  c.set_advertiser_id("adv-1");
  c.set_daily_budget_micros(1'000'000);
  auto created = store_.Create(gavel::v1::ENTITY_KIND_CAMPAIGN, c);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(static_cast<const gavel::v1::Campaign&>(**created).state(),
            gavel::v1::ENTITY_STATE_ENABLED);
  EXPECT_EQ(store_.version(), 2);
  EXPECT_EQ(publisher_.last.campaigns_size(), 2);
}

TEST_F(CatalogStoreTest, CreateRejectsDuplicateIdsAndUnknownParents) {
  gavel::v1::Campaign c;
  c.set_id("c-1");
  c.set_advertiser_id("adv-1");
  auto dup = store_.Create(gavel::v1::ENTITY_KIND_CAMPAIGN, c);
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "campaign \"c-1\" already exists");
  c.set_id("c-9");
  c.set_advertiser_id("adv-404");
  auto orphan = store_.Create(gavel::v1::ENTITY_KIND_CAMPAIGN, c);
  EXPECT_EQ(orphan.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(orphan.status().message(), "campaign.advertiser_id: no advertiser \"adv-404\"");
  EXPECT_EQ(store_.version(), 1);
}

TEST_F(CatalogStoreTest, ARejectedWriteChangesNothing) {
  gavel::v1::Campaign bad;
  bad.set_id("c-1");
  bad.set_daily_budget_micros(-5);
  auto updated = store_.Update(gavel::v1::ENTITY_KIND_CAMPAIGN, bad, {"daily_budget_micros"});
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.version(), 1);
  EXPECT_EQ(store_.Snapshot().campaigns(0).daily_budget_micros(), 5'000'000);
}

TEST_F(CatalogStoreTest, UpdateChangesOnlyTheMaskedFields) {
  gavel::v1::Campaign patch;
  patch.set_id("c-1");
  patch.set_name("renamed");
  patch.set_daily_budget_micros(9);  // Not in the mask: ignored.
  auto updated = store_.Update(gavel::v1::ENTITY_KIND_CAMPAIGN, patch, {"name"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  const gavel::v1::Campaign c = store_.Snapshot().campaigns(0);
  EXPECT_EQ(c.name(), "renamed");
  EXPECT_EQ(c.daily_budget_micros(), 5'000'000);
}

TEST_F(CatalogStoreTest, UpdateRefusesToMoveAnEntityToAnotherParent) {
  gavel::v1::Campaign patch;
  patch.set_id("c-1");
  patch.set_advertiser_id("adv-2");
  auto updated = store_.Update(gavel::v1::ENTITY_KIND_CAMPAIGN, patch, {});
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(updated.status().message(), "update_mask: campaign.advertiser_id cannot change");
}

TEST_F(CatalogStoreTest, ArchivedEntitiesCannotBeReEnabled) {
  ASSERT_TRUE(
      store_.SetState(gavel::v1::ENTITY_KIND_CAMPAIGN, "c-1", gavel::v1::ENTITY_STATE_ARCHIVED)
          .ok());
  auto st =
      store_.SetState(gavel::v1::ENTITY_KIND_CAMPAIGN, "c-1", gavel::v1::ENTITY_STATE_ENABLED);
  EXPECT_EQ(st.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CatalogStoreTest, ListPagesInIdOrderUnderAParent) {
  for (const char* id : {"c-5", "c-3", "c-4", "c-2"}) {
    gavel::v1::Campaign c;
    c.set_id(id);
    c.set_advertiser_id("adv-1");
    c.set_daily_budget_micros(1);
    ASSERT_TRUE(store_.Create(gavel::v1::ENTITY_KIND_CAMPAIGN, c).ok());
  }
  gavel::v1::ListRequest req;
  req.set_parent_id("adv-1");
  req.set_page_size(2);
  std::vector<std::string> seen;
  while (true) {
    gavel::v1::ListCampaignsResponse resp;
    ASSERT_TRUE(store_.List(gavel::v1::ENTITY_KIND_CAMPAIGN, req, &resp).ok());
    for (const auto& c : resp.campaigns()) seen.push_back(c.id());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"c-1", "c-2", "c-3", "c-4", "c-5"}));
  req.set_page_size(0);
  req.clear_page_token();
  req.set_parent_id("adv-2");
  gavel::v1::ListCampaignsResponse none;
  ASSERT_TRUE(store_.List(gavel::v1::ENTITY_KIND_CAMPAIGN, req, &none).ok());
  EXPECT_EQ(none.campaigns_size(), 0);
  req.set_page_size(1001);
  EXPECT_EQ(store_.List(gavel::v1::ENTITY_KIND_CAMPAIGN, req, &none).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CatalogStoreTest, ConcurrentCreatesAllLandWithDistinctVersions) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 25; ++i) {
        gavel::v1::Advertiser a;
        a.set_id("adv-t" + std::to_string(t) + "-" + std::to_string(i));
        ASSERT_TRUE(store_.Create(gavel::v1::ENTITY_KIND_ADVERTISER, a).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store_.version(), 101);
  EXPECT_EQ(store_.Snapshot().advertisers_size(), 101);
}

TEST(CatalogStorePersistence, AFailedPersistUndoesTheWriteInMemoryAndRepublishesTheOldCatalog) {
  FakePublisher publisher;
  bool fail = false;
  int persisted = 0;
  store::CatalogStore store(
      Seed(), [&](const gavel::v1::Catalog& c, int64_t v) { return publisher(c, v); },
      [&](const gavel::v1::Catalog&) {
        if (fail) return absl::InternalError("cannot fsync /x/catalog.json.tmp: No space left");
        ++persisted;
        return absl::OkStatus();
      });
  ASSERT_TRUE(store.Init().ok());
  EXPECT_EQ(persisted, 0);  // The initial catalog came from a file already.
  ASSERT_TRUE(
      store.SetState(gavel::v1::ENTITY_KIND_CAMPAIGN, "c-1", gavel::v1::ENTITY_STATE_PAUSED).ok());
  EXPECT_EQ(persisted, 1);

  fail = true;
  auto st = store.SetState(gavel::v1::ENTITY_KIND_CAMPAIGN, "c-1", gavel::v1::ENTITY_STATE_ENABLED);
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(store.Snapshot().campaigns(0).state(), gavel::v1::ENTITY_STATE_PAUSED);
  // What serves is the old (paused) catalog again, under a version newer than the failed one.
  EXPECT_EQ(publisher.last.campaigns(0).state(), gavel::v1::ENTITY_STATE_PAUSED);
  EXPECT_GT(publisher.last_version, 3);
  EXPECT_EQ(store.version(), publisher.last_version);
}

}  // namespace
}  // namespace gavel::server
