// Integration: the auction rules admin calls (GetAuctionRules, UpdateAuctionRules) on the real
// gavel_server over a real channel: an update changes the next auction, keeps earlier admin edits,
// survives a restart on the same --catalog_state, and a bad value or a caller without the key
// changes nothing.
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace gavel {
namespace {

using ::gavel::testing::Runfile;
using ::gavel::testing::ServerProcess;

constexpr char kAdminKey[] = "rules-admin-key";

// One server per test, with its own ledger and catalog state under TEST_TMPDIR.
class AuctionRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir =
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    const std::string key_file = dir + "/admin_key";
    std::ofstream(key_file) << kAdminKey;
    args_ = {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
             absl::StrCat("--catalog_state=", dir, "/catalog_state.json"),
             absl::StrCat("--admin_api_key_file=", key_file),
             absl::StrCat("--ledger_dir=", dir, "/ledger")};
    StartServer();
  }

  void StartServer() {
    auto server = ServerProcess::Start("server/gavel_server", args_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    admin_ = gavel::v1::CampaignService::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& key = kAdminKey) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!key.empty()) ctx->AddMetadata("x-gavel-api-key", key);
    return ctx;
  }

  gavel::v1::GetAuctionRulesResponse GetRules() {
    gavel::v1::GetAuctionRulesResponse resp;
    auto ctx = Ctx();
    grpc::Status st =
        admin_->GetAuctionRules(ctx.get(), gavel::v1::GetAuctionRulesRequest(), &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  grpc::Status UpdateRules(const gavel::v1::AuctionRules& rules,
                           const std::vector<std::string>& mask,
                           gavel::v1::UpdateAuctionRulesResponse* resp,
                           const std::string& key = kAdminKey) {
    gavel::v1::UpdateAuctionRulesRequest req;
    *req.mutable_auction_rules() = rules;
    for (const std::string& f : mask) req.add_update_mask(f);
    auto ctx = Ctx(key);
    return admin_->UpdateAuctionRules(ctx.get(), req, resp);
  }

  // A dry run over caller candidates (id, advertiser, campaign, product, bid), quality 1, 2 slots.
  gavel::v1::RunAuctionResponse DryRun(
      const std::vector<std::tuple<std::string, std::string, std::string, std::string, int64_t>>&
          ads) {
    gavel::v1::RunAuctionRequest req;
    req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
    req.set_slots(2);
    req.mutable_options()->set_dry_run(true);
    for (const auto& [id, advertiser, campaign, product, bid] : ads) {
      gavel::v1::CallerCandidate* c = req.add_candidates();
      c->set_candidate_id(id);
      c->set_advertiser_id(advertiser);
      c->set_campaign_id(campaign);
      c->set_product_id(product);
      c->set_bid_micros(bid);
      c->set_quality(1.0);
    }
    gavel::v1::RunAuctionResponse resp;
    auto ctx = Ctx("");
    grpc::Status st =
        gavel::v1::AuctionService::NewStub(channel_)->RunAuction(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  // Advertiser X's $3 and $2 ads above advertiser Y's $1 (docs/auction.md, example 7): what X's
  // top ad pays, and the catalog version the auction ran on.
  std::pair<int64_t, int64_t> TopPriceWithSelfCompetition() {
    gavel::v1::RunAuctionResponse r = DryRun({{"a", "adv-x", "k-x1", "p-a", 3'000'000},
                                              {"b", "adv-x", "k-x2", "p-b", 2'000'000},
                                              {"c", "adv-y", "k-y", "p-c", 1'000'000}});
    EXPECT_EQ(r.winners_size(), 2);
    if (r.winners_size() == 0) return {0, r.catalog_version()};
    EXPECT_EQ(r.winners(0).ad_id(), "a");
    return {r.winners(0).cpc_micros(), r.catalog_version()};
  }

  // Two ads of product p-a and one of p-c, two slots: the ids of the winners.
  std::vector<std::string> WinnersWithADuplicateProduct() {
    gavel::v1::RunAuctionResponse r = DryRun({{"a", "adv-1", "k-1", "p-a", 3'000'000},
                                              {"b", "adv-2", "k-2", "p-a", 2'000'000},
                                              {"c", "adv-3", "k-3", "p-c", 1'000'000}});
    std::vector<std::string> ids;
    for (const auto& w : r.winners()) ids.push_back(w.ad_id());
    return ids;
  }

  gavel::v1::EntityState CampaignState(const std::string& id) {
    gavel::v1::ListRequest req;
    req.set_page_size(1000);
    gavel::v1::ListCampaignsResponse resp;
    auto ctx = Ctx();
    EXPECT_TRUE(admin_->ListCampaigns(ctx.get(), req, &resp).ok());
    for (const auto& c : resp.campaigns()) {
      if (c.id() == id) return c.state();
    }
    return gavel::v1::ENTITY_STATE_UNSPECIFIED;
  }

  std::vector<std::string> args_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<gavel::v1::CampaignService::Stub> admin_;
};

TEST_F(AuctionRulesTest, GetReturnsTheCatalogsRulesWithEveryDefaultExplicit) {
  const gavel::v1::GetAuctionRulesResponse got = GetRules();
  const gavel::v1::AuctionRules& r = got.auction_rules();
  EXPECT_EQ(got.catalog_version(), 1);
  EXPECT_EQ(r.mechanism(), gavel::v1::MECHANISM_GSP);
  EXPECT_EQ(r.reserve_micros(), 100'000);  // from data/demo_catalog.json
  ASSERT_EQ(r.slot_reserve_micros_size(), 1);
  EXPECT_EQ(r.slot_reserve_micros(0), 250'000);
  EXPECT_EQ(r.position_factors_size(), 8);
  EXPECT_EQ(r.self_competition(), gavel::v1::SELF_COMPETITION_ADVERTISER);  // unset in the file
  ASSERT_TRUE(r.has_one_winner_per_product());
  EXPECT_TRUE(r.one_winner_per_product());
  EXPECT_EQ(r.min_relevance(), 0.1);
}

TEST_F(AuctionRulesTest, AnUpdateChangesTheNextAuctionKeepsEarlierEditsAndSurvivesARestart) {
  // Today's rules: advertiser X does not bid against itself, one winner per product.
  EXPECT_EQ(TopPriceWithSelfCompetition().first, 1'010'000);  // C's $1 + the increment
  EXPECT_EQ(WinnersWithADuplicateProduct(), (std::vector<std::string>{"a", "c"}));

  // An admin edit first: it must outlive the rules update.
  gavel::v1::SetStateRequest pause;
  pause.set_kind(gavel::v1::ENTITY_KIND_CAMPAIGN);
  pause.set_id("c-nova-phones");
  pause.set_state(gavel::v1::ENTITY_STATE_PAUSED);
  gavel::v1::SetStateResponse paused;
  auto ctx = Ctx();
  ASSERT_TRUE(admin_->SetState(ctx.get(), pause, &paused).ok());

  gavel::v1::AuctionRules change;
  change.set_self_competition(gavel::v1::SELF_COMPETITION_OFF);
  change.set_one_winner_per_product(false);
  change.set_reserve_micros(5);  // set but not in the mask: ignored
  gavel::v1::UpdateAuctionRulesResponse updated;
  grpc::Status st = UpdateRules(change, {"self_competition", "one_winner_per_product"}, &updated);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(updated.catalog_version(), paused.catalog_version() + 1);
  EXPECT_EQ(updated.auction_rules().self_competition(), gavel::v1::SELF_COMPETITION_OFF);
  EXPECT_FALSE(updated.auction_rules().one_winner_per_product());
  EXPECT_EQ(updated.auction_rules().reserve_micros(), 100'000);

  // The next auction runs on the new version and rules: B, X's own ad, now sets A's price, and
  // both ads of product p-a win.
  const auto [price, version] = TopPriceWithSelfCompetition();
  EXPECT_EQ(price, 2'010'000);
  EXPECT_EQ(version, updated.catalog_version());
  EXPECT_EQ(WinnersWithADuplicateProduct(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(CampaignState("c-nova-phones"), gavel::v1::ENTITY_STATE_PAUSED);

  // Acknowledged, so durable: a crash and a restart on the same --catalog_state keep both.
  server_->Kill(SIGKILL);
  StartServer();
  const gavel::v1::GetAuctionRulesResponse after = GetRules();
  EXPECT_EQ(after.auction_rules().self_competition(), gavel::v1::SELF_COMPETITION_OFF);
  EXPECT_FALSE(after.auction_rules().one_winner_per_product());
  EXPECT_EQ(after.auction_rules().reserve_micros(), 100'000);
  EXPECT_EQ(TopPriceWithSelfCompetition().first, 2'010'000);
  EXPECT_EQ(WinnersWithADuplicateProduct(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(CampaignState("c-nova-phones"), gavel::v1::ENTITY_STATE_PAUSED);
}

TEST_F(AuctionRulesTest, AStarMaskReplacesTheRulesAndReloadCatalogRestoresTheFiles) {
  gavel::v1::AuctionRules rules;
  rules.set_self_competition(gavel::v1::SELF_COMPETITION_CAMPAIGN);
  gavel::v1::UpdateAuctionRulesResponse updated;
  ASSERT_TRUE(UpdateRules(rules, {"*"}, &updated).ok());
  EXPECT_EQ(updated.auction_rules().reserve_micros(), 0);  // unset: the default
  EXPECT_TRUE(updated.auction_rules().slot_reserve_micros().empty());
  EXPECT_EQ(updated.auction_rules().self_competition(), gavel::v1::SELF_COMPETITION_CAMPAIGN);
  // Under kCampaign, B (X's other campaign) may set A's price.
  EXPECT_EQ(TopPriceWithSelfCompetition().first, 2'010'000);

  gavel::v1::ReloadCatalogResponse reloaded;
  auto ctx = Ctx();
  ASSERT_TRUE(admin_->ReloadCatalog(ctx.get(), gavel::v1::ReloadCatalogRequest(), &reloaded).ok());
  const gavel::v1::GetAuctionRulesResponse after = GetRules();
  EXPECT_EQ(after.catalog_version(), reloaded.catalog_version());
  EXPECT_EQ(after.auction_rules().reserve_micros(), 100'000);
  EXPECT_EQ(after.auction_rules().self_competition(), gavel::v1::SELF_COMPETITION_ADVERTISER);
}

TEST_F(AuctionRulesTest, ABadValueIsInvalidArgumentNamingTheFieldAndChangesNothing) {
  const gavel::v1::GetAuctionRulesResponse before = GetRules();
  gavel::v1::UpdateAuctionRulesResponse resp;

  gavel::v1::AuctionRules bad;
  bad.set_squashing_exponent(2);
  bad.set_self_competition(gavel::v1::SELF_COMPETITION_OFF);
  grpc::Status st = UpdateRules(bad, {}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "auction_rules.squashing_exponent must be in [0, 1], got 2");

  bad = {};
  bad.set_self_competition(static_cast<gavel::v1::SelfCompetition>(9));
  st = UpdateRules(bad, {}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "auction_rules.self_competition has unknown value 9");

  bad = {};
  bad.add_position_factors(0.5);
  bad.add_position_factors(0.9);
  st = UpdateRules(bad, {}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "auction_rules.position_factors must be non-increasing, got position_factors[1] = 0.9 "
            "> position_factors[0] = 0.5");

  st = UpdateRules(gavel::v1::AuctionRules(), {"self_competiton"}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "update_mask: auction_rules has no field \"self_competiton\"");

  const gavel::v1::GetAuctionRulesResponse after = GetRules();
  EXPECT_EQ(after.catalog_version(), before.catalog_version());
  EXPECT_EQ(after.auction_rules().SerializeAsString(), before.auction_rules().SerializeAsString());
  EXPECT_EQ(TopPriceWithSelfCompetition().first, 1'010'000);
}

TEST_F(AuctionRulesTest, ACallerWithoutTheAdminKeyIsRefused) {
  const gavel::v1::GetAuctionRulesResponse before = GetRules();
  gavel::v1::AuctionRules change;
  change.set_self_competition(gavel::v1::SELF_COMPETITION_OFF);
  gavel::v1::UpdateAuctionRulesResponse resp;
  EXPECT_EQ(UpdateRules(change, {}, &resp, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(UpdateRules(change, {}, &resp, "not-the-key").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);  // a wrong key is no valid credential

  gavel::v1::GetAuctionRulesResponse got;
  auto no_key = Ctx("");
  EXPECT_EQ(
      admin_->GetAuctionRules(no_key.get(), gavel::v1::GetAuctionRulesRequest(), &got).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  auto wrong_key = Ctx("not-the-key");
  EXPECT_EQ(admin_->GetAuctionRules(wrong_key.get(), gavel::v1::GetAuctionRulesRequest(), &got)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  const gavel::v1::GetAuctionRulesResponse after = GetRules();
  EXPECT_EQ(after.catalog_version(), before.catalog_version());
  EXPECT_EQ(after.auction_rules().self_competition(), gavel::v1::SELF_COMPETITION_ADVERTISER);
}

}  // namespace
}  // namespace gavel
