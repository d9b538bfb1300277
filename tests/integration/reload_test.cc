// Hot reload under traffic: while clients run auctions without pause, the catalog is swapped again
// and again (ReloadCatalog, SIGHUP, admin writes, auction rules updates). No auction fails, and
// new versions become visible to new requests.
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
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

TEST(HotReload, AuctionsNeverFailWhileTheCatalogIsSwapped) {
  const std::string tmp = std::getenv("TEST_TMPDIR");
  const std::string key_file = tmp + "/admin_key";
  std::ofstream(key_file) << "reload-key";
  auto server = ServerProcess::Start("server/gavel_server",
                                     {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
                                      absl::StrCat("--admin_api_key_file=", key_file),
                                      absl::StrCat("--ledger_dir=", tmp, "/ledger")});
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::atomic<int64_t> max_version{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      auto stub = gavel::v1::AuctionService::NewStub(channel);
      for (int i = 0; !stop.load(); ++i) {
        gavel::v1::RunAuctionRequest req;
        req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
        req.set_slots(3);
        req.set_query(i % 2 ? "wireless headphones" : "running shoes");
        req.mutable_shopper()->set_user_id(absl::StrCat("u", t, "-", i));
        req.mutable_shopper()->set_local_hour(12);  // Inside the demo's dayparting windows.
        gavel::v1::RunAuctionResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        grpc::Status st = stub->RunAuction(&ctx, req, &resp);
        if (!st.ok() || resp.winners_size() == 0) {
          ++failed;
          ADD_FAILURE() << st.error_code() << " " << st.error_message();
          continue;
        }
        ++ok;
        int64_t seen = max_version.load();
        while (resp.catalog_version() > seen &&
               !max_version.compare_exchange_weak(seen, resp.catalog_version())) {
        }
      }
    });
  }

  auto admin = gavel::v1::CampaignService::NewStub(channel);
  int64_t last_version = 0;
  for (int round = 0; round < 10; ++round) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-gavel-api-key", "reload-key");
    gavel::v1::ReloadCatalogResponse resp;
    ASSERT_TRUE(admin->ReloadCatalog(&ctx, gavel::v1::ReloadCatalogRequest(), &resp).ok());
    last_version = resp.catalog_version();
    kill((*server)->pid(), SIGHUP);
    grpc::ClientContext pause_ctx;
    pause_ctx.AddMetadata("x-gavel-api-key", "reload-key");
    gavel::v1::SetStateRequest pause;
    pause.set_kind(gavel::v1::ENTITY_KIND_TARGET);
    pause.set_id("t-001");
    pause.set_state(round % 2 ? gavel::v1::ENTITY_STATE_ENABLED : gavel::v1::ENTITY_STATE_PAUSED);
    gavel::v1::SetStateResponse set;
    ASSERT_TRUE(admin->SetState(&pause_ctx, pause, &set).ok());
    grpc::ClientContext rules_ctx;
    rules_ctx.AddMetadata("x-gavel-api-key", "reload-key");
    gavel::v1::UpdateAuctionRulesRequest rules;
    rules.mutable_auction_rules()->set_self_competition(
        round % 2 ? gavel::v1::SELF_COMPETITION_ADVERTISER : gavel::v1::SELF_COMPETITION_OFF);
    gavel::v1::UpdateAuctionRulesResponse updated;
    ASSERT_TRUE(admin->UpdateAuctionRules(&rules_ctx, rules, &updated).ok());
    EXPECT_GT(updated.catalog_version(), set.catalog_version());  // a SIGHUP reload may interleave
    last_version = updated.catalog_version();
  }
  // Keep traffic going until some auction has seen the last version.
  while (max_version.load() < last_version) std::this_thread::yield();
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_GE(last_version, 31);
}

TEST(AdminWrites, SurviveASigkillAndAReloadReplacesThem) {
  const std::string tmp = std::getenv("TEST_TMPDIR");
  const std::string key_file = tmp + "/admin_key2";
  std::ofstream(key_file) << "state-key";
  const std::vector<std::string> args = {
      absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
      absl::StrCat("--catalog_state=", tmp, "/catalog_state.json"),
      absl::StrCat("--admin_api_key_file=", key_file),
      absl::StrCat("--ledger_dir=", tmp, "/ledger2")};
  auto admin_call = [](const std::shared_ptr<grpc::Channel>& ch) {
    return gavel::v1::CampaignService::NewStub(ch);
  };
  auto ctx = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("x-gavel-api-key", "state-key");
    return c;
  };
  auto campaign_state = [&](const std::shared_ptr<grpc::Channel>& ch) {
    gavel::v1::ListRequest req;
    req.set_parent_id("adv-nova");
    gavel::v1::ListCampaignsResponse resp;
    auto c = ctx();
    EXPECT_TRUE(admin_call(ch)->ListCampaigns(c.get(), req, &resp).ok());
    return resp.campaigns_size() == 1 ? resp.campaigns(0).state()
                                      : gavel::v1::ENTITY_STATE_UNSPECIFIED;
  };
  {
    auto server = ServerProcess::Start("server/gavel_server", args);
    ASSERT_TRUE(server.ok()) << server.status();
    auto ch = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
    gavel::v1::SetStateRequest pause;
    pause.set_kind(gavel::v1::ENTITY_KIND_CAMPAIGN);
    pause.set_id("c-nova-phones");
    pause.set_state(gavel::v1::ENTITY_STATE_PAUSED);
    gavel::v1::SetStateResponse resp;
    auto c = ctx();
    ASSERT_TRUE(admin_call(ch)->SetState(c.get(), pause, &resp).ok());
    (*server)->Kill(SIGKILL);  // Acknowledged, so it must survive.
  }
  auto server = ServerProcess::Start("server/gavel_server", args);
  ASSERT_TRUE(server.ok()) << server.status();
  auto ch = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(campaign_state(ch), gavel::v1::ENTITY_STATE_PAUSED);
  gavel::v1::ReloadCatalogResponse reloaded;
  auto c = ctx();
  ASSERT_TRUE(
      admin_call(ch)->ReloadCatalog(c.get(), gavel::v1::ReloadCatalogRequest(), &reloaded).ok());
  EXPECT_EQ(campaign_state(ch), gavel::v1::ENTITY_STATE_ENABLED);
}

}  // namespace
}  // namespace gavel
