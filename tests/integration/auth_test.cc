// Integration: callers' identities on the real gavel_server over a real channel (docs/api.md,
// "Callers and grants"). Client keys and grants from --clients_file for AuctionService and
// EventService; per-advertiser admin keys next to the operator's for CampaignService; keys
// rotated and revoked by editing the file and sending SIGUSR1 (or SIGHUP); and no key ever in the
// log.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace gavel {
namespace {

using ::gavel::testing::Runfile;
using ::gavel::testing::ServerProcess;

// Keys as run.sh and the README make them: random, URL-safe. The file holds only their digests.
constexpr char kWebKey[] = "web-7Hk2pQ9xLm4vR8sT1wZ3";
constexpr char kWebRotatedKey[] = "web-next-Yb6Nc0Dd5Ee2Ff9Gg";
constexpr char kDspKey[] = "dsp-Qq1Ww2Ee3Rr4Tt5Yy6Uu7";
constexpr char kSonicAdminKey[] = "sonic-admin-Zz9Xx8Cc7Vv6Bb";
constexpr char kOperatorKey[] = "operator-Aa1Ss2Dd3Ff4Gg5Hh";
constexpr char kUnknownKey[] = "nobody-Jj6Kk7Ll8Mm9Nn0Oo1";

// The SHA-256 of `key` as the clients file wants it, from sha256sum as the README says.
std::string Sha256Hex(const std::string& key) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  const std::string in = dir + "/key.txt", out = dir + "/key.sha";
  { std::ofstream(in, std::ios::binary) << key; }
  EXPECT_EQ(std::system(("sha256sum " + in + " > " + out).c_str()), 0);
  std::string hex;
  std::ifstream(out) >> hex;
  return "sha256:" + hex;
}

std::string ClientsFile(bool with_first_web_key) {
  return absl::StrCat("# storefront: catalog auctions on search and product pages only\n",
                      "client web placements=top_of_search,rest_of_search,product_page\n",
                      with_first_web_key ? absl::StrCat("key web ", Sha256Hex(kWebKey), "\n") : "",
                      "key web ", Sha256Hex(kWebRotatedKey), "\n",
                      "# a partner bringing its own candidates, for adv-sonic only\n",
                      "client dsp placements=* candidates=yes advertisers=adv-sonic\n", "key dsp ",
                      Sha256Hex(kDspKey), "\n", "admin adv-sonic ", Sha256Hex(kSonicAdminKey),
                      "\n");
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::getenv("TEST_TMPDIR");
    WriteFile(dir_ + "/clients.txt", ClientsFile(true));
    WriteFile(dir_ + "/admin_key", kOperatorKey);
    auto server = ServerProcess::Start(
        "server/gavel_server",
        {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
         "--ledger_dir=" + dir_ + "/ledger", "--clients_file=" + dir_ + "/clients.txt",
         "--admin_api_key_file=" + dir_ + "/admin_key"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    auctions_ = gavel::v1::AuctionService::NewStub(channel);
    events_ = gavel::v1::EventService::NewStub(channel);
    admin_ = gavel::v1::CampaignService::NewStub(channel);
  }
  static void TearDownTestSuite() {
    auctions_.reset();
    events_.reset();
    admin_.reset();
    delete server_;
    server_ = nullptr;
  }

  static std::unique_ptr<grpc::ClientContext> ClientCtx(const std::string& key) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!key.empty()) ctx->AddMetadata("authorization", "Bearer " + key);
    return ctx;
  }
  static std::unique_ptr<grpc::ClientContext> AdminCtx(const std::string& key) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-gavel-api-key", key);
    return ctx;
  }

  static gavel::v1::RunAuctionRequest Search(gavel::v1::Placement placement) {
    gavel::v1::RunAuctionRequest req;
    req.set_placement(placement);
    req.set_slots(3);
    req.set_query("wireless headphones");
    req.mutable_shopper()->set_user_id("shopper-1");
    req.mutable_shopper()->set_local_hour(12);
    return req;
  }
  // A request with caller candidates (advertiser, campaign, bid).
  static gavel::v1::RunAuctionRequest WithCandidates(
      const std::vector<std::tuple<std::string, std::string, int64_t>>& candidates) {
    gavel::v1::RunAuctionRequest req;
    req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
    req.set_slots(2);
    req.mutable_shopper()->set_user_id("shopper-2");
    int i = 0;
    for (const auto& [advertiser, campaign, bid] : candidates) {
      gavel::v1::CallerCandidate* c = req.add_candidates();
      c->set_candidate_id(absl::StrCat("cand-", i));
      c->set_advertiser_id(advertiser);
      c->set_campaign_id(campaign);
      c->set_product_id(absl::StrCat("prod-", i++));
      c->set_bid_micros(bid);
      c->set_quality(1.0);
    }
    return req;
  }

  static grpc::Status Auction(const std::string& key, const gavel::v1::RunAuctionRequest& req,
                              gavel::v1::RunAuctionResponse* resp = nullptr) {
    gavel::v1::RunAuctionResponse ignored;
    return auctions_->RunAuction(ClientCtx(key).get(), req, resp != nullptr ? resp : &ignored);
  }
  static grpc::Status Click(const std::string& key, const std::string& token,
                            const std::string& event_id, gavel::v1::ReportEventsResponse* resp) {
    gavel::v1::ReportEventsRequest req;
    gavel::v1::Event* e = req.add_events();
    e->set_client_event_id(event_id);
    e->set_type(gavel::v1::EVENT_TYPE_CLICK);
    e->set_token(token);
    return events_->ReportEvents(ClientCtx(key).get(), req, resp);
  }
  static int64_t Spend(const std::string& campaign) {
    gavel::v1::GetCampaignStatsRequest req;
    req.set_campaign_id(campaign);
    gavel::v1::GetCampaignStatsResponse resp;
    grpc::Status st = admin_->GetCampaignStats(AdminCtx(kOperatorKey).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.total().spend_micros();
  }
  static std::vector<std::string> CampaignIds(const std::string& admin_key) {
    gavel::v1::ListRequest req;
    req.set_page_size(1000);
    gavel::v1::ListCampaignsResponse resp;
    grpc::Status st = admin_->ListCampaigns(AdminCtx(admin_key).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::vector<std::string> ids;
    for (const auto& c : resp.campaigns()) ids.push_back(c.id());
    return ids;
  }
  // Sends `signal` and waits for the server to say it re-read the clients file (or failed to).
  static void ReloadClients(int signal, const std::string& expect_line) {
    const size_t before = server_->Output().size();
    ASSERT_EQ(kill(server_->pid(), signal), 0);
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (server_->Output().find(expect_line, before) == std::string::npos) {
      ASSERT_LT(absl::Now(), deadline) << "no \"" << expect_line << "\" in:\n" << server_->Output();
      absl::SleepFor(absl::Milliseconds(20));  // polls the log for the reload, not for start-up
    }
  }

  static std::string dir_;
  static ServerProcess* server_;
  static std::unique_ptr<gavel::v1::AuctionService::Stub> auctions_;
  static std::unique_ptr<gavel::v1::EventService::Stub> events_;
  static std::unique_ptr<gavel::v1::CampaignService::Stub> admin_;
};

std::string AuthTest::dir_;
ServerProcess* AuthTest::server_ = nullptr;
std::unique_ptr<gavel::v1::AuctionService::Stub> AuthTest::auctions_;
std::unique_ptr<gavel::v1::EventService::Stub> AuthTest::events_;
std::unique_ptr<gavel::v1::CampaignService::Stub> AuthTest::admin_;

TEST_F(AuthTest, NoKeyIsUnauthenticated) {
  grpc::Status st = Auction("", Search(gavel::v1::PLACEMENT_TOP_OF_SEARCH));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(st.error_message(),
            "missing client key: send the metadata entry `authorization: Bearer <key>` "
            "(docs/api.md, \"Callers and grants\")");
  gavel::v1::ReportEventsResponse resp;
  EXPECT_EQ(Click("", "any-token", "e-1", &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, AnUnknownKeyIsUnauthenticated) {
  grpc::Status st = Auction(kUnknownKey, Search(gavel::v1::PLACEMENT_TOP_OF_SEARCH));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(st.error_message(), "unknown client key");
  // An advertiser's admin key is no client key, and the operator's admin key is none either.
  EXPECT_EQ(Auction(kSonicAdminKey, Search(gavel::v1::PLACEMENT_TOP_OF_SEARCH)).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Auction(kOperatorKey, Search(gavel::v1::PLACEMENT_TOP_OF_SEARCH)).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  gavel::v1::ReportEventsResponse resp;
  EXPECT_EQ(Click(kUnknownKey, "any-token", "e-2", &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, AGrantedPlacementRunsWithEitherOfTheClientsKeys) {
  for (const char* key : {kWebKey, kWebRotatedKey}) {
    gavel::v1::RunAuctionResponse resp;
    grpc::Status st = Auction(key, Search(gavel::v1::PLACEMENT_TOP_OF_SEARCH), &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_GT(resp.winners_size(), 0);
  }
}

TEST_F(AuthTest, APlacementNotGrantedIsPermissionDenied) {
  grpc::Status st = Auction(kWebKey, Search(gavel::v1::PLACEMENT_CHECKOUT));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(st.error_message(), "client web is not granted placement checkout");
}

TEST_F(AuthTest, CallerCandidatesNeedTheirGrantAndTheAdvertisers) {
  const int64_t aurel_spend = Spend("c-aurel-search");
  grpc::Status st = Auction(kWebKey, WithCandidates({{"adv-sonic", "c-sonic-search", 1'000'000}}));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(st.error_message(), "client web is not granted caller candidates (candidates=yes)");

  gavel::v1::RunAuctionResponse resp;
  st = Auction(kDspKey,
               WithCandidates({{"adv-sonic", "c-sonic-search", 1'000'000},
                               {"adv-aurel", "c-aurel-search", 900'000'000}}),
               &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(st.error_message(),
            "candidates[1].advertiser_id \"adv-aurel\" is not granted to client dsp");
  EXPECT_EQ(resp.winners_size(), 0);  // no token: nothing can be charged to adv-aurel
  EXPECT_EQ(Spend("c-aurel-search"), aurel_spend);
}

TEST_F(AuthTest, ACampaignOfAnotherAdvertiserOrNoneIsInvalidArgumentNamingTheCandidate) {
  grpc::Status st = Auction(kDspKey, WithCandidates({{"adv-sonic", "c-sonic-search", 1'000'000},
                                                     {"adv-sonic", "c-nope", 1'000'000}}));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "candidates[1].campaign_id \"c-nope\" is not in the catalog");
  // The granted advertiser's name on another advertiser's campaign.
  st = Auction(kDspKey, WithCandidates({{"adv-sonic", "c-aurel-search", 1'000'000}}));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "candidates[0].campaign_id \"c-aurel-search\" belongs to advertiser \"adv-aurel\", "
            "not \"adv-sonic\"");
}

TEST_F(AuthTest, ABidAboveTheCampaignsMaximumIsCappedAndChargedAtMostThat) {
  // data/demo_catalog.json: c-sonic-search takes caller bids up to 3 units.
  gavel::v1::RunAuctionResponse resp;
  grpc::Status st = Auction(kDspKey,
                            WithCandidates({{"adv-sonic", "c-sonic-search", 900'000'000},
                                            {"adv-sonic", "c-sonic-auto", 2'000'000}}),
                            &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(resp.winners_size(), 2);
  EXPECT_EQ(resp.winners(0).campaign_id(), "c-sonic-search");
  EXPECT_EQ(resp.winners(0).bid_micros(), 3'000'000);
  EXPECT_LE(resp.winners(0).cpc_micros(), 3'000'000);

  const int64_t before = Spend("c-sonic-search");
  gavel::v1::ReportEventsResponse clicked;
  // Without a key, or with an unknown one, the real token charges nothing.
  EXPECT_EQ(Click("", resp.winners(0).click_token(), "capped-click", &clicked).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      Click(kUnknownKey, resp.winners(0).click_token(), "capped-click", &clicked).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Spend("c-sonic-search"), before);
  // Any known client may report the click: the signed token says what is charged.
  st = Click(kWebKey, resp.winners(0).click_token(), "capped-click", &clicked);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(clicked.results_size(), 1);
  EXPECT_EQ(clicked.results(0).outcome(), gavel::v1::EVENT_OUTCOME_CHARGED);
  EXPECT_EQ(clicked.results(0).charged_micros(), resp.winners(0).cpc_micros());
  EXPECT_EQ(Spend("c-sonic-search") - before, resp.winners(0).cpc_micros());
}

TEST_F(AuthTest, AnAdvertisersAdminKeySeesAndEditsOnlyItsOwn) {
  EXPECT_EQ(CampaignIds(kSonicAdminKey),
            (std::vector<std::string>{"c-sonic-auto", "c-sonic-search"}));
  EXPECT_EQ(CampaignIds(kOperatorKey).size(), 7u);

  gavel::v1::ListAdvertisersResponse advertisers;
  ASSERT_TRUE(
      admin_
          ->ListAdvertisers(AdminCtx(kSonicAdminKey).get(), gavel::v1::ListRequest(), &advertisers)
          .ok());
  ASSERT_EQ(advertisers.advertisers_size(), 1);
  EXPECT_EQ(advertisers.advertisers(0).id(), "adv-sonic");

  gavel::v1::GetCampaignStatsRequest stats;
  gavel::v1::GetCampaignStatsResponse stats_resp;
  stats.set_campaign_id("c-sonic-search");
  EXPECT_TRUE(admin_->GetCampaignStats(AdminCtx(kSonicAdminKey).get(), stats, &stats_resp).ok());
  for (const char* other : {"c-aurel-search", "c-does-not-exist"}) {
    stats.set_campaign_id(other);
    grpc::Status st = admin_->GetCampaignStats(AdminCtx(kSonicAdminKey).get(), stats, &stats_resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << other;
    EXPECT_EQ(st.error_message(),
              absl::StrCat("the admin key of advertiser adv-sonic may not access campaign \"",
                           other, "\""));
  }

  // Suggestions are owner-scoped as the statistics are.
  gavel::v1::GetBidSuggestionsRequest bids;
  gavel::v1::GetBidSuggestionsResponse bids_resp;
  gavel::v1::GetBudgetSuggestionRequest budget;
  gavel::v1::GetBudgetSuggestionResponse budget_resp;
  bids.set_campaign_id("c-sonic-search");
  budget.set_campaign_id("c-sonic-search");
  EXPECT_TRUE(admin_->GetBidSuggestions(AdminCtx(kSonicAdminKey).get(), bids, &bids_resp).ok());
  EXPECT_TRUE(
      admin_->GetBudgetSuggestion(AdminCtx(kSonicAdminKey).get(), budget, &budget_resp).ok());
  for (const char* other : {"c-aurel-search", "c-does-not-exist"}) {
    bids.set_campaign_id(other);
    budget.set_campaign_id(other);
    const std::string denied = absl::StrCat(
        "the admin key of advertiser adv-sonic may not access campaign \"", other, "\"");
    grpc::Status st = admin_->GetBidSuggestions(AdminCtx(kSonicAdminKey).get(), bids, &bids_resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << other;
    EXPECT_EQ(st.error_message(), denied);
    st = admin_->GetBudgetSuggestion(AdminCtx(kSonicAdminKey).get(), budget, &budget_resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << other;
    EXPECT_EQ(st.error_message(), denied);
  }

  gavel::v1::SetStateRequest pause;
  pause.set_kind(gavel::v1::ENTITY_KIND_CAMPAIGN);
  pause.set_id("c-aurel-search");
  pause.set_state(gavel::v1::ENTITY_STATE_PAUSED);
  gavel::v1::SetStateResponse paused;
  EXPECT_EQ(admin_->SetState(AdminCtx(kSonicAdminKey).get(), pause, &paused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  gavel::v1::UpdateCampaignRequest update;
  update.mutable_campaign()->set_id("c-aurel-search");
  update.mutable_campaign()->set_daily_budget_micros(1);
  update.add_update_mask("daily_budget_micros");
  gavel::v1::Campaign updated;
  EXPECT_EQ(admin_->UpdateCampaign(AdminCtx(kSonicAdminKey).get(), update, &updated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  gavel::v1::CreateCampaignRequest create;
  create.mutable_campaign()->set_id("c-sneaky");
  create.mutable_campaign()->set_advertiser_id("adv-aurel");
  create.mutable_campaign()->set_daily_budget_micros(1'000'000);
  gavel::v1::Campaign created;
  EXPECT_EQ(admin_->CreateCampaign(AdminCtx(kSonicAdminKey).get(), create, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  gavel::v1::UpdateAuctionRulesRequest rules;
  rules.mutable_auction_rules()->set_self_competition(gavel::v1::SELF_COMPETITION_OFF);
  gavel::v1::UpdateAuctionRulesResponse rules_resp;
  grpc::Status st = admin_->UpdateAuctionRules(AdminCtx(kSonicAdminKey).get(), rules, &rules_resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(st.error_message(),
            "UpdateAuctionRules needs the operator's admin key, not advertiser adv-sonic's");

  // Nothing of adv-aurel changed; the operator sees it all.
  gavel::v1::ListRequest list;
  list.set_parent_id("adv-aurel");
  gavel::v1::ListCampaignsResponse aurel;
  ASSERT_TRUE(admin_->ListCampaigns(AdminCtx(kOperatorKey).get(), list, &aurel).ok());
  ASSERT_EQ(aurel.campaigns_size(), 1);
  EXPECT_EQ(aurel.campaigns(0).state(), gavel::v1::ENTITY_STATE_ENABLED);
  EXPECT_EQ(aurel.campaigns(0).daily_budget_micros(), 40'000'000);

  // Its own campaign it may edit.
  update.mutable_campaign()->set_id("c-sonic-auto");
  update.mutable_campaign()->set_daily_budget_micros(21'000'000);
  st = admin_->UpdateCampaign(AdminCtx(kSonicAdminKey).get(), update, &updated);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(updated.daily_budget_micros(), 21'000'000);
}

// Runs last in this file's order (gtest runs tests in the order they are defined): it rewrites
// the clients file.
TEST_F(AuthTest, ZRevokedKeyIsUnauthenticatedAfterReloadAndNoKeyIsEverLogged) {
  // An admin write that SIGUSR1 must keep (SIGHUP's catalog reload would discard it).
  gavel::v1::UpdateCampaignRequest update;
  update.mutable_campaign()->set_id("c-crema-coffee");
  update.mutable_campaign()->set_daily_budget_micros(31'000'000);
  update.add_update_mask("daily_budget_micros");
  gavel::v1::Campaign updated;
  ASSERT_TRUE(admin_->UpdateCampaign(AdminCtx(kOperatorKey).get(), update, &updated).ok());

  WriteFile(dir_ + "/clients.txt", ClientsFile(/*with_first_web_key=*/false));
  ReloadClients(SIGUSR1, "gavel_server: reloaded " + dir_ + "/clients.txt (3 keys)");
  EXPECT_EQ(Auction(kWebKey, Search(gavel::v1::PLACEMENT_TOP_OF_SEARCH)).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Auction(kWebRotatedKey, Search(gavel::v1::PLACEMENT_TOP_OF_SEARCH)).ok());
  gavel::v1::ListRequest list;
  list.set_parent_id("adv-crema");
  gavel::v1::ListCampaignsResponse crema;
  ASSERT_TRUE(admin_->ListCampaigns(AdminCtx(kOperatorKey).get(), list, &crema).ok());
  ASSERT_EQ(crema.campaigns_size(), 1);
  EXPECT_EQ(crema.campaigns(0).daily_budget_micros(), 31'000'000);

  // A broken file (a key written in the clear) is refused and the old one keeps serving.
  WriteFile(dir_ + "/clients.txt", absl::StrCat("client web\nkey web ", kWebKey, "\n"));
  ReloadClients(SIGHUP, "clients reload failed");  // SIGHUP re-reads the clients file too
  EXPECT_TRUE(Auction(kWebRotatedKey, Search(gavel::v1::PLACEMENT_TOP_OF_SEARCH)).ok());

  const std::string log = server_->Output();
  for (const char* key :
       {kWebKey, kWebRotatedKey, kDspKey, kSonicAdminKey, kOperatorKey, kUnknownKey}) {
    EXPECT_EQ(log.find(key), std::string::npos) << key << " is in the log:\n" << log;
  }
}

TEST(AuthStartTest, WithoutClientsFileOrInsecureFlagTheServerRefusesToStart) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  // An absolute path: ServerProcess adds --insecure_no_client_auth only to "server/gavel_server".
  auto server = ServerProcess::Start(Runfile("server/gavel_server"),
                                     {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
                                      "--ledger_dir=" + dir + "/refused-ledger"});
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find(
                "gavel_server: AuctionService and EventService need to know their callers: give "
                "--clients_file"),
            std::string::npos)
      << server.status();
}

TEST(AuthStartTest, TheInsecureFlagIsAnnouncedAtStart) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  auto server = ServerProcess::Start("server/gavel_server",
                                     {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
                                      "--ledger_dir=" + dir + "/insecure-ledger"});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_NE((*server)->Output().find("gavel_server: WARNING: --insecure_no_client_auth"),
            std::string::npos)
      << (*server)->Output();
}

}  // namespace
}  // namespace gavel
