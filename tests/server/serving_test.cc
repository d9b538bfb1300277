// The serving path's guarantees, on a real gRPC server in this process (port 0, real channel):
// an expired request has no side effects, and overload is shed with RESOURCE_EXHAUSTED. A server
// interceptor holds requests past their deadline; a blocking serving gate holds auctions in flight.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "billing/billing.h"
#include "common/clock.h"
#include "common/sync.h"
#include "convert/catalog_convert.h"
#include "convert/proto_convert.h"
#include "engine/billing_gate.h"
#include "engine/engine.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/server_interceptor.h"
#include "gtest/gtest.h"
#include "server/auction_service.h"
#include "server/event_service.h"
#include "store/catalog_file.h"

namespace gavel::server {
namespace {

// Holds every request for `hold` after it is read, and counts finished calls.
struct Hold {
  std::atomic<int> hold_ms{0};
  std::atomic<int> finished{0};
};

class HoldInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit HoldInterceptor(Hold* hold) : hold_(hold) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(hold_->hold_ms.load()));
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      hold_->finished.fetch_add(1);
    }
    methods->Proceed();
  }

 private:
  Hold* const hold_;
};

class HoldFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit HoldFactory(Hold* hold) : hold_(hold) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new HoldInterceptor(hold_);
  }

 private:
  Hold* const hold_;
};

// A gate that blocks auctions until released, so they stay in flight.
class LatchGate final : public engine::ServingGate {
 public:
  engine::ServeVerdict Check(absl::string_view, int64_t, absl::Time, absl::BitGenRef) override {
    MutexLock lock(&mu_);
    ++waiting_;
    cv_.SignalAll();
    while (!open_) cv_.Wait(&mu_);
    return engine::ServeVerdict::kServe;
  }
  void WaitForWaiters(int n) {
    MutexLock lock(&mu_);
    while (waiting_ < n) cv_.Wait(&mu_);
  }
  void Open() {
    MutexLock lock(&mu_);
    open_ = true;
    cv_.SignalAll();
  }

 private:
  Mutex mu_;
  CondVar cv_;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
};

class ServingTest : public ::testing::Test {
 protected:
  void Start(engine::ServingGate* gate, int max_in_flight) {
    auto billing = billing::Billing::Open(
        billing::BillingConfig{
            .keyring = billing::Keyring::InsecureDevDefault(),
            .ledger = {.dir = absl::StrCat(
                           std::getenv("TEST_TMPDIR"), "/ledger-",
                           ::testing::UnitTest::GetInstance()->current_test_info()->name())}},
        &clock_);
    ASSERT_TRUE(billing.ok()) << billing.status();
    billing_ = *std::move(billing);
    billing_gate_ = std::make_unique<engine::BillingGate>(billing_.get());
    engine_ = std::make_unique<engine::Engine>(gate != nullptr ? gate : billing_gate_.get(),
                                               &billing_->issuer(), &clock_);
    auto catalog = store::ReadCatalogFile(absl::StrCat(
        std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"), "/data/demo_catalog.json"));
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    auto snapshot = convert::CatalogFromProto(*catalog, 1);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    auto rules = convert::RulesFromProto(catalog->auction_rules());
    ASSERT_TRUE(rules.ok()) << rules.status();
    for (const auto& b : engine::BudgetsFromCatalog((*snapshot)->catalog())) {
      ASSERT_TRUE(billing_->UpsertCampaign(b).ok());
    }
    engine_->Publish(std::make_shared<const engine::Serving>(
        engine::Serving{.catalog = *snapshot, .rules = *rules}));
    auction_ = std::make_unique<AuctionServiceImpl>(engine_.get(), callers_.get(), max_in_flight);
    events_ = std::make_unique<EventServiceImpl>(billing_.get(), callers_.get());

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(auction_.get());
    builder.RegisterService(events_.get());
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
    f.push_back(std::make_unique<HoldFactory>(&hold_));
    builder.experimental().SetInterceptorCreators(std::move(f));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }

  static gavel::v1::RunAuctionRequest Search() {
    gavel::v1::RunAuctionRequest r;
    r.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
    r.set_slots(1);
    r.set_query("espresso machine");
    r.mutable_shopper()->set_user_id("u-1");
    r.mutable_shopper()->set_local_hour(12);
    return r;
  }

  grpc::Status Click(const std::string& token, int deadline_ms,
                     gavel::v1::ReportEventsResponse* resp) {
    gavel::v1::ReportEventsRequest req;
    auto* e = req.add_events();
    e->set_client_event_id("click-1");
    e->set_type(gavel::v1::EVENT_TYPE_CLICK);
    e->set_token(token);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
    return gavel::v1::EventService::NewStub(channel_)->ReportEvents(&ctx, req, resp);
  }

  gavel::RealClock clock_;
  std::unique_ptr<billing::Billing> billing_;
  std::unique_ptr<engine::BillingGate> billing_gate_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<CallerAuth> callers_ = CallerAuth::Insecure();
  std::unique_ptr<AuctionServiceImpl> auction_;
  std::unique_ptr<EventServiceImpl> events_;
  Hold hold_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ServingTest, AClickWhoseDeadlinePassedIsNeitherChargedNorRemembered) {
  Start(nullptr, 64);
  gavel::v1::RunAuctionResponse auction;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(
        gavel::v1::AuctionService::NewStub(channel_)->RunAuction(&ctx, Search(), &auction).ok());
  }
  ASSERT_EQ(auction.winners_size(), 1);
  const std::string token = auction.winners(0).click_token();
  const int finished_before = hold_.finished.load();

  // The server reads the click 200 ms after a 50 ms deadline.
  hold_.hold_ms = 200;
  gavel::v1::ReportEventsResponse resp;
  EXPECT_EQ(Click(token, 50, &resp).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  while (hold_.finished.load() == finished_before) std::this_thread::yield();
  hold_.hold_ms = 0;

  auto stats = billing_->Stats(auction.winners(0).campaign_id(), billing_->Today("c-crema-coffee"),
                               billing_->Today("c-crema-coffee"));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->total.counters.clicks, 0);
  EXPECT_EQ(stats->total.counters.invalid_clicks, 0);
  // The same event id and token charge normally afterwards: the expired call left no trace.
  ASSERT_TRUE(Click(token, 5000, &resp).ok());
  EXPECT_EQ(resp.results(0).outcome(), gavel::v1::EVENT_OUTCOME_CHARGED);
  EXPECT_EQ(resp.results(0).charged_micros(), auction.winners(0).cpc_micros());
}

TEST_F(ServingTest, AnAuctionWhoseDeadlinePassedIsDeadlineExceeded) {
  Start(nullptr, 64);
  hold_.hold_ms = 150;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(30));
  gavel::v1::RunAuctionResponse resp;
  grpc::Status st = gavel::v1::AuctionService::NewStub(channel_)->RunAuction(&ctx, Search(), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(resp.winners_size(), 0);
}

TEST_F(ServingTest, AuctionsBeyondTheInFlightLimitAreShed) {
  LatchGate latch;
  // One auction held in flight (gRPC's callback executor has few threads: holding more would starve
  // the server itself, which is why the engine never blocks).
  Start(&latch, 1);
  std::vector<std::thread> held;
  std::vector<grpc::Status> held_status(1);
  for (int i = 0; i < 1; ++i) {
    held.emplace_back([&, i] {
      grpc::ClientContext ctx;
      gavel::v1::RunAuctionResponse resp;
      held_status[i] =
          gavel::v1::AuctionService::NewStub(channel_)->RunAuction(&ctx, Search(), &resp);
    });
  }
  latch.WaitForWaiters(1);  // An auction is now in flight, blocked in the gate.
  grpc::ClientContext ctx;
  gavel::v1::RunAuctionResponse resp;
  grpc::Status st = gavel::v1::AuctionService::NewStub(channel_)->RunAuction(&ctx, Search(), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(st.error_message(),
            "overloaded: the limit of 1 auctions in flight is reached; retry with backoff");
  latch.Open();
  for (auto& t : held) t.join();
  for (const auto& s : held_status) EXPECT_TRUE(s.ok()) << s.error_message();
}

// Calls waiting together are ingested as one batch (EventServiceImpl); each still gets exactly
// the results of its own events, in its own order.
TEST_F(ServingTest, ConcurrentEventCallsEachGetTheirOwnResults) {
  Start(nullptr, 64);
  constexpr int kCalls = 24;
  std::vector<gavel::v1::RunAuctionResponse> auctions(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    grpc::ClientContext ctx;
    gavel::v1::RunAuctionRequest r = Search();
    r.mutable_shopper()->set_user_id(absl::StrCat("u-", i));
    ASSERT_TRUE(
        gavel::v1::AuctionService::NewStub(channel_)->RunAuction(&ctx, r, &auctions[i]).ok());
    ASSERT_EQ(auctions[i].winners_size(), 1);
  }
  std::vector<gavel::v1::ReportEventsResponse> responses(kCalls);
  std::vector<grpc::Status> statuses(kCalls);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&, i] {
      gavel::v1::ReportEventsRequest req;
      auto add = [&](const std::string& id, gavel::v1::EventType type, const std::string& token) {
        auto* e = req.add_events();
        e->set_client_event_id(id);
        e->set_type(type);
        e->set_token(token);
      };
      const auto& w = auctions[i].winners(0);
      add(absl::StrCat("imp-", i), gavel::v1::EVENT_TYPE_IMPRESSION, w.impression_token());
      add(absl::StrCat("click-", i), gavel::v1::EVENT_TYPE_CLICK, w.click_token());
      add(absl::StrCat("click-", i), gavel::v1::EVENT_TYPE_CLICK, w.click_token());  // a retry
      grpc::ClientContext ctx;
      statuses[i] =
          gavel::v1::EventService::NewStub(channel_)->ReportEvents(&ctx, req, &responses[i]);
    });
  }
  for (std::thread& t : callers) t.join();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    ASSERT_EQ(responses[i].results_size(), 3);
    EXPECT_EQ(responses[i].results(0).client_event_id(), absl::StrCat("imp-", i));
    EXPECT_EQ(responses[i].results(0).outcome(), gavel::v1::EVENT_OUTCOME_RECORDED);
    EXPECT_EQ(responses[i].results(1).outcome(), gavel::v1::EVENT_OUTCOME_CHARGED);
    EXPECT_EQ(responses[i].results(1).charged_micros(), auctions[i].winners(0).cpc_micros());
    EXPECT_EQ(responses[i].results(2).outcome(), gavel::v1::EVENT_OUTCOME_DUPLICATE);
  }
}

}  // namespace
}  // namespace gavel::server
