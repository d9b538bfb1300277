// Integration: the real gavel_server binary on a real port (127.0.0.1:0), called over a real gRPC
// channel, for every service, including bad input and admin authentication.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace gavel {
namespace {

using ::gavel::testing::Runfile;
using ::gavel::testing::ServerProcess;

constexpr char kAdminKey[] = "integration-test-admin-key";

std::string WriteFile(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << contents;
  return path;
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string tmp = std::getenv("TEST_TMPDIR");
    auto server = ServerProcess::Start(
        "server/gavel_server",
        {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
         absl::StrCat("--model=", Runfile("data/default_model.txt")),
         absl::StrCat("--admin_api_key_file=", WriteFile("admin_key", kAdminKey)),
         absl::StrCat(
             "--token_key_file=",
             WriteFile("token_keys", "k1 00112233445566778899aabbccddeeff0011223344556677\n")),
         absl::StrCat("--ledger_dir=", tmp, "/ledger")});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  }
  static void TearDownTestSuite() {
    channel_.reset();
    delete server_;
    server_ = nullptr;
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(bool admin = false) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (admin) ctx->AddMetadata("x-gavel-api-key", kAdminKey);
    return ctx;
  }

  static gavel::v1::RunAuctionRequest Search(const std::string& query, int slots) {
    gavel::v1::RunAuctionRequest r;
    r.set_request_id("it-1");
    r.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
    r.set_slots(slots);
    r.set_query(query);
    r.mutable_shopper()->set_user_id("shopper-1");
    r.mutable_shopper()->set_device(gavel::v1::DEVICE_DESKTOP);
    r.mutable_shopper()->set_country("US");
    r.mutable_shopper()->set_local_hour(12);
    return r;
  }

  static grpc::Status Auction(const gavel::v1::RunAuctionRequest& r,
                              gavel::v1::RunAuctionResponse* out) {
    auto ctx = Ctx();
    return gavel::v1::AuctionService::NewStub(channel_)->RunAuction(ctx.get(), r, out);
  }

  static gavel::v1::ReportEventsResponse Report(gavel::v1::EventType type, const std::string& id,
                                                const std::string& token) {
    gavel::v1::ReportEventsRequest req;
    auto* e = req.add_events();
    e->set_client_event_id(id);
    e->set_type(type);
    e->set_token(token);
    gavel::v1::ReportEventsResponse resp;
    auto ctx = Ctx();
    grpc::Status st =
        gavel::v1::EventService::NewStub(channel_)->ReportEvents(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  static ServerProcess* server_;
  static std::shared_ptr<grpc::Channel> channel_;
};

ServerProcess* ServerTest::server_ = nullptr;
std::shared_ptr<grpc::Channel> ServerTest::channel_;

// Calls a unary method with raw bytes (so the test needs no copy of grpc's health.proto).
grpc::Status RawUnary(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::string& request, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1), resp;
  grpc::CompletionQueue cq;
  auto call = stub.PrepareUnaryCall(&ctx, method, req, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&resp, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  std::vector<grpc::Slice> slices;
  (void)resp.Dump(&slices);
  response->clear();
  for (const auto& s : slices) response->append(reinterpret_cast<const char*>(s.begin()), s.size());
  return status;
}

TEST_F(ServerTest, HealthCheckReportsServing) {
  std::string response;
  grpc::Status st = RawUnary(channel_, "/grpc.health.v1.Health/Check", "", &response);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(response, std::string("\x08\x01", 2));  // HealthCheckResponse{status: SERVING}
}

TEST_F(ServerTest, HealthCheckReportsServingPerServiceName) {
  for (const std::string name :
       {"gavel.v1.AuctionService", "gavel.v1.EventService", "gavel.v1.CampaignService"}) {
    // HealthCheckRequest{service: name}: field 1, length-delimited.
    const std::string request = std::string("\x0a", 1) + static_cast<char>(name.size()) + name;
    std::string response;
    grpc::Status st = RawUnary(channel_, "/grpc.health.v1.Health/Check", request, &response);
    ASSERT_TRUE(st.ok()) << name << ": " << st.error_message();
    EXPECT_EQ(response, std::string("\x08\x01", 2)) << name;
  }
  std::string response;
  grpc::Status st = RawUnary(channel_, "/grpc.health.v1.Health/Check",
                             std::string("\x0a\x07gavel.x", 9), &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);  // an unknown name, as gRPC defines
}

TEST_F(ServerTest, ReflectionListsTheGavelServices) {
  grpc::GenericStub stub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue cq;
  auto call =
      stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  ASSERT_TRUE(ok);
  grpc::Slice list_services(
      std::string("\x3a\x00", 2));  // ServerReflectionRequest{list_services: ""}
  grpc::ByteBuffer req(&list_services, 1);
  call->Write(req, reinterpret_cast<void*>(2));
  cq.Next(&tag, &ok);
  ASSERT_TRUE(ok);
  grpc::ByteBuffer resp;
  call->Read(&resp, reinterpret_cast<void*>(3));
  cq.Next(&tag, &ok);
  ASSERT_TRUE(ok);
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(resp.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_NE(bytes.find("gavel.v1.AuctionService"), std::string::npos);
  EXPECT_NE(bytes.find("gavel.v1.EventService"), std::string::npos);
  EXPECT_NE(bytes.find("gavel.v1.CampaignService"), std::string::npos);
  ctx.TryCancel();
  call->Finish(nullptr, reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
}

TEST_F(ServerTest, SearchAuctionReturnsPricedWinnersInSlotOrder) {
  gavel::v1::RunAuctionResponse resp;
  grpc::Status st = Auction(Search("wireless headphones", 3), &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.request_id(), "it-1");
  EXPECT_FALSE(resp.auction_id().empty());
  EXPECT_EQ(resp.mechanism(), gavel::v1::MECHANISM_GSP);
  ASSERT_GE(resp.winners_size(), 2);
  for (int i = 0; i < resp.winners_size(); ++i) {
    const auto& w = resp.winners(i);
    EXPECT_EQ(w.slot(), i + 1);
    // Demo rules: 0.25 reserve for slot 1, 0.10 below it.
    EXPECT_GE(w.cpc_micros(), i == 0 ? 250'000 : 100'000) << w.ad_id();
    EXPECT_LE(w.cpc_micros(), w.bid_micros()) << w.ad_id();
    EXPECT_GT(w.quality(), 0.0);
    EXPECT_LE(w.quality(), 1.0);
    EXPECT_FALSE(w.click_token().empty());
    EXPECT_FALSE(w.impression_token().empty());
    EXPECT_FALSE(w.campaign_id().empty());
    if (i > 0) EXPECT_LE(w.rank_score(), resp.winners(i - 1).rank_score());
  }
  EXPECT_EQ(resp.explanations_size(), 0);
}

TEST_F(ServerTest, ExplainShowsANegativeKeywordLoss) {
  auto req = Search("cheap wireless headphones", 3);
  req.mutable_options()->set_explain(true);
  gavel::v1::RunAuctionResponse resp;
  grpc::Status st = Auction(req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  bool negative = false;
  for (const auto& e : resp.explanations()) {
    if (e.campaign_id() == "c-sonic-search") {
      EXPECT_EQ(e.loss_reason(), gavel::v1::LOSS_REASON_NEGATIVE_KEYWORD) << e.detail();
      negative = true;
    }
    if (e.slot() == 0) {
      EXPECT_NE(e.loss_reason(), gavel::v1::LOSS_REASON_UNSPECIFIED) << e.ad_id();
    }
  }
  EXPECT_TRUE(negative) << "the Sonic search campaign has the negative phrase \"cheap\"";
}

TEST_F(ServerTest, MechanismOverrideIsHonoured) {
  auto req = Search("running shoes", 2);
  req.mutable_options()->set_mechanism(gavel::v1::MECHANISM_FIRST_PRICE);
  gavel::v1::RunAuctionResponse resp;
  ASSERT_TRUE(Auction(req, &resp).ok());
  EXPECT_EQ(resp.mechanism(), gavel::v1::MECHANISM_FIRST_PRICE);
  for (const auto& w : resp.winners()) EXPECT_EQ(w.cpc_micros(), w.bid_micros());
}

TEST_F(ServerTest, BadAuctionRequestsAreInvalidArgumentNamingTheField) {
  gavel::v1::RunAuctionResponse resp;
  grpc::Status st = Auction(gavel::v1::RunAuctionRequest(), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "placement is required");

  st = Auction(Search("headphones", 41), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "slots must be in [1, 40], got 41");

  auto unknown = Search("headphones", 2);
  unknown.set_placement(static_cast<gavel::v1::Placement>(77));
  st = Auction(unknown, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "placement has unknown value 77");

  auto bad_zone = Search("headphones", 2);
  bad_zone.mutable_shopper()->clear_local_hour();
  bad_zone.mutable_shopper()->set_time_zone("Mars/Olympus_Mons");
  st = Auction(bad_zone, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "shopper.time_zone: unknown IANA time zone \"Mars/Olympus_Mons\"");

  auto too_big = Search(std::string(5 << 20, 'a'), 2);
  st = Auction(too_big, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();

  auto bad_utf8 = Search(std::string("head\xff\xfephones"), 2);
  st = Auction(bad_utf8, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_EQ(st.error_message(), "gavel.v1.RunAuctionRequest.query must be valid UTF-8");
}

TEST_F(ServerTest, BytesThatAreNotARequestAreInvalidArgumentOnEveryService) {
  // RunAuction parses its own bytes; the other services go through the parse-error interceptor.
  std::string response;
  grpc::Status st = RawUnary(channel_, "/gavel.v1.AuctionService/RunAuction",
                             std::string("\xff\xff\xff\xff", 4), &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_EQ(st.error_message(),
            "the request is not a valid protobuf message of the method's request type");

  gavel::v1::ReportEventsRequest events;
  gavel::v1::Event* e = events.add_events();
  e->set_client_event_id(std::string("id-\xff", 4));
  e->set_type(gavel::v1::EVENT_TYPE_CLICK);
  e->set_token("t");
  st = RawUnary(channel_, "/gavel.v1.EventService/ReportEvents", events.SerializeAsString(),
                &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_EQ(st.error_message(), "gavel.v1.Event.client_event_id must be valid UTF-8");

  // The server goes on answering well-formed auctions on the same threads.
  gavel::v1::RunAuctionResponse resp;
  EXPECT_TRUE(Auction(Search("headphones", 2), &resp).ok());
}

TEST_F(ServerTest, ExplainedAndPlainAuctionsInterleaveOnTheSameThreads) {
  // An explained auction's response can outgrow the handler thread's first arena block; the
  // arena is reset after every call, so plain auctions after it answer the same as before it.
  gavel::v1::RunAuctionResponse before, explained, after;
  ASSERT_TRUE(Auction(Search("wireless headphones", 4), &before).ok());
  for (int i = 0; i < 20; ++i) {
    auto req = Search("wireless headphones", 40);
    req.mutable_options()->set_explain(true);
    const grpc::Status st = Auction(req, &explained);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_TRUE(Auction(Search("wireless headphones", 4), &after).ok());
    ASSERT_EQ(after.winners_size(), before.winners_size());
    for (int w = 0; w < after.winners_size(); ++w) {
      EXPECT_EQ(after.winners(w).ad_id(), before.winners(w).ad_id());
      EXPECT_EQ(after.winners(w).cpc_micros(), before.winners(w).cpc_micros());
    }
  }
  EXPECT_GT(explained.explanations_size(), 0);
}

TEST_F(ServerTest, AnExpiredDeadlineIsDeadlineExceeded) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
  gavel::v1::RunAuctionResponse resp;
  grpc::Status st = gavel::v1::AuctionService::NewStub(channel_)->RunAuction(
      &ctx, Search("headphones", 2), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(ServerTest, AClickIsChargedOnceAtItsCpc) {
  gavel::v1::RunAuctionResponse auction;
  ASSERT_TRUE(Auction(Search("espresso machine", 1), &auction).ok());
  ASSERT_EQ(auction.winners_size(), 1);
  const auto& w = auction.winners(0);

  auto imp = Report(gavel::v1::EVENT_TYPE_IMPRESSION, "imp-1", w.impression_token());
  ASSERT_EQ(imp.results_size(), 1);
  EXPECT_EQ(imp.results(0).outcome(), gavel::v1::EVENT_OUTCOME_RECORDED);

  auto first = Report(gavel::v1::EVENT_TYPE_CLICK, "click-1", w.click_token());
  ASSERT_EQ(first.results_size(), 1);
  EXPECT_EQ(first.results(0).outcome(), gavel::v1::EVENT_OUTCOME_CHARGED);
  EXPECT_EQ(first.results(0).charged_micros(), w.cpc_micros());

  // Same token under a new event id: still one charge.
  auto again = Report(gavel::v1::EVENT_TYPE_CLICK, "click-2", w.click_token());
  EXPECT_EQ(again.results(0).outcome(), gavel::v1::EVENT_OUTCOME_DUPLICATE);
  EXPECT_EQ(again.results(0).charged_micros(), 0);

  std::string forged = w.click_token();
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  auto bad = Report(gavel::v1::EVENT_TYPE_CLICK, "click-3", forged);
  EXPECT_EQ(bad.results(0).outcome(), gavel::v1::EVENT_OUTCOME_INVALID);
  EXPECT_EQ(bad.results(0).invalid_reason(), gavel::v1::INVALID_REASON_FORGED);

  gavel::v1::GetCampaignStatsRequest req;
  req.set_campaign_id(w.campaign_id());
  gavel::v1::GetCampaignStatsResponse stats;
  auto ctx = Ctx(true);
  grpc::Status st =
      gavel::v1::CampaignService::NewStub(channel_)->GetCampaignStats(ctx.get(), req, &stats);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(stats.total().clicks(), 1);
  EXPECT_EQ(stats.total().impressions(), 1);
  EXPECT_EQ(stats.total().spend_micros(), w.cpc_micros());
}

TEST_F(ServerTest, BadEventBatchesAreInvalidArgument) {
  gavel::v1::ReportEventsRequest req;
  gavel::v1::ReportEventsResponse resp;
  auto ctx = Ctx();
  grpc::Status st = gavel::v1::EventService::NewStub(channel_)->ReportEvents(ctx.get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "events must not be empty");
}

TEST_F(ServerTest, AdminCallsNeedTheApiKey) {
  auto stub = gavel::v1::CampaignService::NewStub(channel_);
  gavel::v1::ListCampaignsResponse resp;
  {
    auto ctx = Ctx();
    grpc::Status st = stub->ListCampaigns(ctx.get(), gavel::v1::ListRequest(), &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    auto ctx = Ctx();
    ctx->AddMetadata("x-gavel-api-key", "wrong");
    grpc::Status st = stub->ListCampaigns(ctx.get(), gavel::v1::ListRequest(), &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);  // no valid credential
  }
  auto ctx = Ctx(true);
  grpc::Status st = stub->ListCampaigns(ctx.get(), gavel::v1::ListRequest(), &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.campaigns_size(), 7);
}

TEST_F(ServerTest, PausingACampaignStopsItsAdsWinning) {
  auto stub = gavel::v1::CampaignService::NewStub(channel_);
  auto has_nova = [] {
    gavel::v1::RunAuctionResponse resp;
    EXPECT_TRUE(Auction(Search("nova x", 3), &resp).ok());
    for (const auto& w : resp.winners()) {
      if (w.campaign_id() == "c-nova-phones") return true;
    }
    return false;
  };
  ASSERT_TRUE(has_nova());
  gavel::v1::SetStateRequest pause;
  pause.set_kind(gavel::v1::ENTITY_KIND_CAMPAIGN);
  pause.set_id("c-nova-phones");
  pause.set_state(gavel::v1::ENTITY_STATE_PAUSED);
  gavel::v1::SetStateResponse resp;
  {
    auto ctx = Ctx(true);
    ASSERT_TRUE(stub->SetState(ctx.get(), pause, &resp).ok());
  }
  EXPECT_FALSE(has_nova());
  pause.set_state(gavel::v1::ENTITY_STATE_ENABLED);
  {
    auto ctx = Ctx(true);
    ASSERT_TRUE(stub->SetState(ctx.get(), pause, &resp).ok());
  }
  EXPECT_TRUE(has_nova());
}

TEST_F(ServerTest, CreateAndListAnAdvertiser) {
  auto stub = gavel::v1::CampaignService::NewStub(channel_);
  gavel::v1::CreateAdvertiserRequest create;
  create.mutable_advertiser()->set_id("adv-it");
  create.mutable_advertiser()->set_name("Integration");
  gavel::v1::Advertiser created;
  {
    auto ctx = Ctx(true);
    grpc::Status st = stub->CreateAdvertiser(ctx.get(), create, &created);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  EXPECT_EQ(created.state(), gavel::v1::ENTITY_STATE_ENABLED);
  {
    auto ctx = Ctx(true);
    grpc::Status st = stub->CreateAdvertiser(ctx.get(), create, &created);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  }
  gavel::v1::CreateCampaignRequest bad;
  bad.mutable_campaign()->set_id("c-it");
  bad.mutable_campaign()->set_advertiser_id("adv-it");
  bad.mutable_campaign()->set_daily_budget_micros(-1);
  gavel::v1::Campaign campaign;
  auto ctx = Ctx(true);
  grpc::Status st = stub->CreateCampaign(ctx.get(), bad, &campaign);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("daily_budget_micros"), std::string::npos)
      << st.error_message();
}

TEST_F(ServerTest, ReloadCatalogSwapsInANewVersion) {
  gavel::v1::ReloadCatalogResponse resp;
  auto ctx = Ctx(true);
  grpc::Status st = gavel::v1::CampaignService::NewStub(channel_)->ReloadCatalog(
      ctx.get(), gavel::v1::ReloadCatalogRequest(), &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_GT(resp.catalog_version(), 1);
  EXPECT_EQ(resp.ads(), 16);
  gavel::v1::RunAuctionResponse auction;
  ASSERT_TRUE(Auction(Search("wireless headphones", 2), &auction).ok());
  EXPECT_EQ(auction.catalog_version(), resp.catalog_version());
}

std::vector<std::string> LimitArgs(const std::string& streams) {
  return {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
          absl::StrCat("--ledger_dir=", std::getenv("TEST_TMPDIR"), "/ledger_", streams),
          absl::StrCat("--max_streams_per_connection=", streams)};
}

TEST(ServerLimits, OneStreamPerConnectionStillAnswersManyConcurrentCalls) {
  auto server = ServerProcess::Start("server/gavel_server", LimitArgs("1"));
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  auto stub = gavel::v1::AuctionService::NewStub(channel);
  // 32 calls started at once on one connection: the server lets one stream in at a time and the
  // rest wait in the client's channel; none fails.
  constexpr int kCalls = 32;
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
  std::vector<gavel::v1::RunAuctionResponse> responses(kCalls);
  std::vector<grpc::Status> statuses(kCalls);
  std::vector<std::unique_ptr<grpc::ClientAsyncResponseReader<gavel::v1::RunAuctionResponse>>>
      calls;
  gavel::v1::RunAuctionRequest req;
  req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
  req.set_slots(2);
  req.set_query("wireless headphones");
  req.mutable_shopper()->set_local_hour(12);
  for (int i = 0; i < kCalls; ++i) {
    ctxs.push_back(std::make_unique<grpc::ClientContext>());
    ctxs.back()->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    calls.push_back(stub->AsyncRunAuction(ctxs.back().get(), req, &cq));
    calls.back()->Finish(&responses[i], &statuses[i],
                         reinterpret_cast<void*>(static_cast<intptr_t>(i)));
  }
  for (int done = 0; done < kCalls; ++done) {
    void* tag;
    bool ok;
    ASSERT_TRUE(cq.Next(&tag, &ok));
    ASSERT_TRUE(ok);
  }
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_TRUE(statuses[i].ok()) << i << ": " << statuses[i].error_message();
    EXPECT_GT(responses[i].winners_size(), 0) << i;
  }
}

TEST(ServerLimits, AZeroStreamLimitStopsStartUpNamingTheFlag) {
  auto server = ServerProcess::Start("server/gavel_server", LimitArgs("0"));
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()),
              ::testing::HasSubstr("--max_streams_per_connection must be >= 1"));
}

std::vector<std::string> WindowArgs(const std::string& ledger, std::vector<std::string> flags) {
  std::vector<std::string> args = {
      absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
      absl::StrCat("--ledger_dir=", std::getenv("TEST_TMPDIR"), "/ledger_", ledger)};
  args.insert(args.end(), flags.begin(), flags.end());
  return args;
}

gavel::v1::EventResult ReportOne(const std::shared_ptr<grpc::Channel>& channel,
                                 gavel::v1::EventType type, const std::string& id,
                                 const std::string& token) {
  gavel::v1::ReportEventsRequest req;
  auto* e = req.add_events();
  e->set_client_event_id(id);
  e->set_type(type);
  e->set_token(token);
  gavel::v1::ReportEventsResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status st = gavel::v1::EventService::NewStub(channel)->ReportEvents(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp.results_size() == 1 ? resp.results(0) : gavel::v1::EventResult();
}

TEST(ServerWindows, AnImpressionTokenLivesForImpressionTokenTtlAndAClickTokenForItsOwn) {
  auto server = ServerProcess::Start(
      "server/gavel_server",
      WindowArgs("ttl", {"--impression_token_ttl=1s", "--impression_event_id_retention=1s"}));
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  gavel::v1::RunAuctionRequest req;
  req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
  req.set_slots(2);
  req.set_query("wireless headphones");
  req.mutable_shopper()->set_local_hour(12);
  gavel::v1::RunAuctionResponse auction;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ASSERT_TRUE(gavel::v1::AuctionService::NewStub(channel)->RunAuction(&ctx, req, &auction).ok());
  ASSERT_EQ(auction.winners_size(), 2);
  const auto& first = auction.winners(0);
  const auto& second = auction.winners(1);
  EXPECT_EQ(ReportOne(channel, gavel::v1::EVENT_TYPE_IMPRESSION, "imp-0", first.impression_token())
                .outcome(),
            gavel::v1::EVENT_OUTCOME_RECORDED);

  // Real time is the server's clock: wait until the impression tokens have expired.
  absl::SleepFor(absl::Milliseconds(1100));
  const gavel::v1::EventResult late =
      ReportOne(channel, gavel::v1::EVENT_TYPE_IMPRESSION, "imp-1", second.impression_token());
  EXPECT_EQ(late.outcome(), gavel::v1::EVENT_OUTCOME_INVALID);
  EXPECT_EQ(late.invalid_reason(), gavel::v1::INVALID_REASON_EXPIRED);
  // The click token keeps the default 24 hours.
  const gavel::v1::EventResult click =
      ReportOne(channel, gavel::v1::EVENT_TYPE_CLICK, "click-1", second.click_token());
  EXPECT_EQ(click.outcome(), gavel::v1::EVENT_OUTCOME_CHARGED);
}

TEST(ServerWindows, AnEventIdRetentionShorterThanItsTokenStopsStartUpNamingBothFlags) {
  auto click = ServerProcess::Start(
      "server/gavel_server",
      WindowArgs("short_click", {"--click_token_ttl=2h", "--event_id_retention=1h"}));
  ASSERT_FALSE(click.ok());
  EXPECT_THAT(
      std::string(click.status().message()),
      ::testing::HasSubstr("--event_id_retention must be >= --click_token_ttl, got 1h < 2h"));
  auto impression = ServerProcess::Start(
      "server/gavel_server",
      WindowArgs("short_imp", {"--impression_token_ttl=2m", "--impression_event_id_retention=1m"}));
  ASSERT_FALSE(impression.ok());
  EXPECT_THAT(std::string(impression.status().message()),
              ::testing::HasSubstr("--impression_event_id_retention must be >= "
                                   "--impression_token_ttl, got 1m < 2m"));
}

TEST(ServerWindows, AZeroWindowStopsStartUpNamingTheFlag) {
  auto server =
      ServerProcess::Start("server/gavel_server", WindowArgs("zero", {"--repeat_click_window=0"}));
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()),
              ::testing::HasSubstr("--repeat_click_window must be positive and finite, got 0"));
}

}  // namespace
}  // namespace gavel
