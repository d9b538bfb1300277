// Several gavel_server replicas sharing one PostgreSQL (docs/billing.md, "PostgreSQL store"): a
// click is charged once whichever replica receives it, statistics agree on every replica, and a
// store that cannot be reached is a clear one-line error at start-up. Starts its own throwaway
// PostgreSQL (tests/pg/pg_server.h) and the real server binaries.
#include <stdio.h>
#include <sys/wait.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/pg/pg_server.h"

namespace gavel {
namespace {

using ::gavel::testing::PgServer;
using ::gavel::testing::Runfile;
using ::gavel::testing::ServerProcess;

constexpr char kAdminKey[] = "replicas-test-admin-key";

std::string TmpFile(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(contents.c_str(), f);
  std::fclose(f);
  return path;
}

std::vector<std::string> ReplicaArgs(const std::string& store) {
  return {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
          absl::StrCat("--admin_api_key_file=", TmpFile("admin_key", kAdminKey)),
          // Every replica verifies the tokens any of them signed: one key file.
          absl::StrCat("--token_key_file=",
                       TmpFile("token_keys", "k1 0123456789abcdef0123456789abcdef\n")),
          absl::StrCat("--store=", store), "--nohuge_pages"};
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  ctx->AddMetadata("x-gavel-api-key", kAdminKey);
  return ctx;
}

class Replicas : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg = PgServer::Create();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = pg->release();
    for (int i = 0; i < 3; ++i) {
      auto r = ServerProcess::Start("server/gavel_server", ReplicaArgs(pg_->conninfo()));
      ASSERT_TRUE(r.ok()) << r.status();
      replicas_.push_back(r->release());
    }
  }
  static void TearDownTestSuite() {
    for (ServerProcess* r : replicas_) delete r;
    replicas_.clear();
    delete pg_;
  }
  void SetUp() override {
    for (ServerProcess* r : replicas_) {
      channels_.push_back(grpc::CreateChannel(r->address(), grpc::InsecureChannelCredentials()));
    }
  }

  gavel::v1::RunAuctionResponse Auction(int replica, const std::string& user) {
    auto stub = gavel::v1::AuctionService::NewStub(channels_[replica]);
    gavel::v1::RunAuctionRequest req;
    req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
    req.set_slots(3);
    req.set_query("wireless headphones");
    req.mutable_shopper()->set_user_id(user);
    req.mutable_shopper()->set_local_hour(12);
    gavel::v1::RunAuctionResponse resp;
    auto ctx = Ctx();
    grpc::Status st = stub->RunAuction(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  gavel::v1::GetCampaignStatsResponse Stats(int replica, const std::string& campaign) {
    auto stub = gavel::v1::CampaignService::NewStub(channels_[replica]);
    gavel::v1::GetCampaignStatsRequest req;
    req.set_campaign_id(campaign);
    gavel::v1::GetCampaignStatsResponse resp;
    auto ctx = Ctx();
    grpc::Status st = stub->GetCampaignStats(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  static PgServer* pg_;
  static std::vector<ServerProcess*> replicas_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

PgServer* Replicas::pg_ = nullptr;
std::vector<ServerProcess*> Replicas::replicas_;

TEST_F(Replicas, OneClickSentToEveryReplicaFrom64ThreadsIsChargedOnce) {
  const gavel::v1::RunAuctionResponse auction = Auction(0, "shopper-once");
  ASSERT_GT(auction.winners_size(), 0);
  const auto& winner = auction.winners(0);
  const int64_t spend_before = Stats(1, winner.campaign_id()).total().spend_micros();
  std::atomic<int> charged{0}, duplicate{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&, t] {
      auto stub = gavel::v1::EventService::NewStub(channels_[t % 3]);
      gavel::v1::ReportEventsRequest req;
      auto* e = req.add_events();
      e->set_client_event_id(absl::StrCat("once-", t));  // distinct ids: only the token repeats
      e->set_type(gavel::v1::EVENT_TYPE_CLICK);
      e->set_token(winner.click_token());
      gavel::v1::ReportEventsResponse resp;
      auto ctx = Ctx();
      grpc::Status st = stub->ReportEvents(ctx.get(), req, &resp);
      ASSERT_TRUE(st.ok()) << st.error_message();
      switch (resp.results(0).outcome()) {
        case gavel::v1::EVENT_OUTCOME_CHARGED:
          charged.fetch_add(1);
          EXPECT_EQ(resp.results(0).charged_micros(), winner.cpc_micros());
          break;
        case gavel::v1::EVENT_OUTCOME_DUPLICATE:
          duplicate.fetch_add(1);
          break;
        default:
          other.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(charged.load(), 1);
  EXPECT_EQ(duplicate.load(), 63);
  EXPECT_EQ(other.load(), 0);
  // Every replica reports the same statistics: they come from the database.
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(Stats(r, winner.campaign_id()).total().spend_micros(),
              spend_before + winner.cpc_micros())
        << "replica " << r;
  }
}

TEST_F(Replicas, ARetriedEventIdIsADuplicateOnAnotherReplica) {
  const gavel::v1::RunAuctionResponse auction = Auction(2, "shopper-retry");
  ASSERT_GT(auction.winners_size(), 0);
  auto report = [&](int replica) {
    auto stub = gavel::v1::EventService::NewStub(channels_[replica]);
    gavel::v1::ReportEventsRequest req;
    auto* e = req.add_events();
    e->set_client_event_id("retry-1");
    e->set_type(gavel::v1::EVENT_TYPE_IMPRESSION);
    e->set_token(auction.winners(0).impression_token());
    gavel::v1::ReportEventsResponse resp;
    auto ctx = Ctx();
    EXPECT_TRUE(stub->ReportEvents(ctx.get(), req, &resp).ok());
    return resp.results(0);
  };
  EXPECT_EQ(report(0).outcome(), gavel::v1::EVENT_OUTCOME_RECORDED);
  const gavel::v1::EventResult again = report(1);
  EXPECT_EQ(again.outcome(), gavel::v1::EVENT_OUTCOME_DUPLICATE);
  EXPECT_EQ(again.detail(), "client_event_id already processed");
}

// An admin write on one replica changes auctions on every replica within a second (they poll the
// catalog version every 250 ms); writes on two replicas in quick succession both take effect (a
// write against a catalog another replica just changed is ABORTED, never silently undone, and a
// retry succeeds).
TEST_F(Replicas, AnAdminWriteOnOneReplicaReachesTheOthersWithinASecond) {
  const gavel::v1::RunAuctionResponse before = Auction(2, "shopper-admin");
  ASSERT_GT(before.winners_size(), 1);
  const std::string first = before.winners(0).campaign_id();
  const std::string second = before.winners(1).campaign_id();
  auto set_state = [&](int replica, const std::string& campaign, gavel::v1::EntityState state) {
    auto stub = gavel::v1::CampaignService::NewStub(channels_[replica]);
    gavel::v1::SetStateRequest req;
    req.set_kind(gavel::v1::ENTITY_KIND_CAMPAIGN);
    req.set_id(campaign);
    req.set_state(state);
    for (int attempt = 0; attempt < 50; ++attempt) {
      gavel::v1::SetStateResponse resp;
      auto ctx = Ctx();
      grpc::Status st = stub->SetState(ctx.get(), req, &resp);
      if (st.ok()) return;
      EXPECT_EQ(st.error_code(), grpc::StatusCode::ABORTED) << st.error_message();
      absl::SleepFor(absl::Milliseconds(100));
    }
    ADD_FAILURE() << "SetState kept failing";
  };
  auto wins = [&](int replica, const std::string& campaign) {
    const gavel::v1::RunAuctionResponse resp = Auction(replica, "shopper-admin");
    for (const auto& w : resp.winners()) {
      if (w.campaign_id() == campaign) return true;
    }
    return false;
  };
  const absl::Time written = absl::Now();
  set_state(0, first, gavel::v1::ENTITY_STATE_PAUSED);
  while (wins(2, first) && absl::Now() - written < absl::Seconds(5)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const absl::Duration seen_after = absl::Now() - written;
  EXPECT_FALSE(wins(2, first));
  EXPECT_LE(seen_after, absl::Seconds(1));
  // A second write right after, on another replica: both writes hold everywhere.
  set_state(1, second, gavel::v1::ENTITY_STATE_PAUSED);
  const absl::Time second_written = absl::Now();
  bool both = false;
  while (!both && absl::Now() - second_written < absl::Seconds(5)) {
    both = true;
    for (int r = 0; r < 3; ++r) both &= !wins(r, first) && !wins(r, second);
    if (!both) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(both);
  set_state(2, first, gavel::v1::ENTITY_STATE_ENABLED);
  set_state(0, second, gavel::v1::ENTITY_STATE_ENABLED);
  absl::SleepFor(absl::Seconds(1));
}

// grpc.health.v1.Health/Check for "gavel.v1.EventService", over the generic stub (no copy of
// health.proto here): "SERVING", "NOT_SERVING", or the call's error.
std::string EventServiceHealth(const std::shared_ptr<grpc::Channel>& channel) {
  const std::string service = "gavel.v1.EventService";
  // HealthCheckRequest { string service = 1; }
  const std::string request_bytes = absl::StrCat(
      std::string(1, '\x0a'), std::string(1, static_cast<char>(service.size())), service);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  if (!status.ok()) return status.error_message();
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse { ServingStatus status = 1; }: SERVING = 1, NOT_SERVING = 2.
  if (bytes == std::string("\x08\x01", 2)) return "SERVING";
  if (bytes == std::string("\x08\x02", 2)) return "NOT_SERVING";
  return absl::StrCat("unexpected response of ", bytes.size(), " bytes");
}

// PostgreSQL crashes under a replica: events are refused with UNAVAILABLE (nothing acknowledged,
// so nothing is lost or doubled by a retry), health reports the event service NOT_SERVING,
// campaigns sit out of auctions (SPEND_UNKNOWN) once --max_spend_staleness passes, and all of it
// recovers by itself when the database is back; every charge acknowledged before the crash is
// still there.
TEST(StoreOutage, EventsAreRefusedAuctionsFailClosedAndEverythingRecovers) {
  auto pg = PgServer::Create();
  ASSERT_TRUE(pg.ok()) << pg.status();
  std::vector<std::string> args = ReplicaArgs((*pg)->conninfo());
  args.push_back("--max_spend_staleness=2s");
  auto replica = ServerProcess::Start("server/gavel_server", args);
  ASSERT_TRUE(replica.ok()) << replica.status();
  auto channel = grpc::CreateChannel((*replica)->address(), grpc::InsecureChannelCredentials());
  auto auctions = gavel::v1::AuctionService::NewStub(channel);
  auto events = gavel::v1::EventService::NewStub(channel);
  auto auction = [&](const std::string& user, bool explain) {
    gavel::v1::RunAuctionRequest req;
    req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
    req.set_slots(3);
    req.set_query("wireless headphones");
    req.mutable_shopper()->set_user_id(user);
    req.mutable_shopper()->set_local_hour(12);
    req.mutable_options()->set_explain(explain);
    gavel::v1::RunAuctionResponse resp;
    auto ctx = Ctx();
    EXPECT_TRUE(auctions->RunAuction(ctx.get(), req, &resp).ok());
    return resp;
  };
  auto click = [&](const std::string& id, const std::string& token,
                   gavel::v1::ReportEventsResponse* resp) {
    gavel::v1::ReportEventsRequest req;
    auto* e = req.add_events();
    e->set_client_event_id(id);
    e->set_type(gavel::v1::EVENT_TYPE_CLICK);
    e->set_token(token);
    auto ctx = Ctx();
    return events->ReportEvents(ctx.get(), req, resp);
  };
  auto health = [&] { return EventServiceHealth(channel); };
  const gavel::v1::RunAuctionResponse before = auction("outage-1", false);
  ASSERT_GT(before.winners_size(), 0);
  gavel::v1::ReportEventsResponse charged;
  ASSERT_TRUE(click("before-crash", before.winners(0).click_token(), &charged).ok());
  ASSERT_EQ(charged.results(0).outcome(), gavel::v1::EVENT_OUTCOME_CHARGED);

  ASSERT_TRUE((*pg)->Crash().ok());
  const gavel::v1::RunAuctionResponse during = auction("outage-2", false);
  ASSERT_GT(during.winners_size(), 0);  // still serving from the cached snapshot and spend view
  gavel::v1::ReportEventsResponse refused;
  grpc::Status st = click("during-crash", during.winners(0).click_token(), &refused);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  // After the staleness limit, campaigns sit out with a reason; health says why events fail.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  gavel::v1::RunAuctionResponse stale;
  do {
    absl::SleepFor(absl::Milliseconds(200));
    stale = auction("outage-3", true);
  } while (stale.winners_size() > 0 && absl::Now() < deadline);
  EXPECT_EQ(stale.winners_size(), 0);
  bool spend_unknown = false;
  for (const auto& c : stale.explanations()) {
    spend_unknown |= c.loss_reason() == gavel::v1::LOSS_REASON_SPEND_UNKNOWN;
  }
  EXPECT_TRUE(spend_unknown) << stale.DebugString();
  while (health() != "NOT_SERVING" && absl::Now() < deadline)
    absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(health(), "NOT_SERVING");

  ASSERT_TRUE((*pg)->Start().ok());
  gavel::v1::ReportEventsResponse retried;
  const absl::Time recover_by = absl::Now() + absl::Seconds(30);
  while (!click("during-crash", during.winners(0).click_token(), &retried).ok() &&
         absl::Now() < recover_by) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(retried.results(0).outcome(), gavel::v1::EVENT_OUTCOME_CHARGED);
  gavel::v1::ReportEventsResponse again;
  ASSERT_TRUE(click("before-crash", before.winners(0).click_token(), &again).ok());
  EXPECT_EQ(again.results(0).outcome(), gavel::v1::EVENT_OUTCOME_DUPLICATE);  // survived the crash
  gavel::v1::RunAuctionResponse after;
  do {
    absl::SleepFor(absl::Milliseconds(200));
    after = auction("outage-4", false);
  } while (after.winners_size() == 0 && absl::Now() < recover_by);
  EXPECT_GT(after.winners_size(), 0);
  while (health() != "SERVING" && absl::Now() < recover_by) absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(health(), "SERVING");
}

// Runs gavel_server (on 127.0.0.1 without client keys, as ServerProcess does) and returns its exit
// status and everything it printed.
std::pair<int, std::string> RunServer(const std::vector<std::string>& args) {
  std::string cmd = Runfile("server/gavel_server") + " --insecure_no_client_auth";
  for (const std::string& a : args) absl::StrAppend(&cmd, " '", a, "'");
  absl::StrAppend(&cmd, " 2>&1");
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(ReplicasStartUp, AnUnreachableStoreIsAOneLineErrorNamingTheFlag) {
  auto [code, out] =
      RunServer(ReplicaArgs("postgresql://gavel:s3cret@127.0.0.1:1/gavel?connect_timeout=2"));
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("gavel_server: --store: cannot connect to PostgreSQL"), std::string::npos)
      << out;
  EXPECT_EQ(out.find("s3cret"), std::string::npos) << "the password leaked: " << out;
  auto [code2, out2] = RunServer(ReplicaArgs("mysql://x"));
  EXPECT_EQ(code2, 1) << out2;
  EXPECT_NE(out2.find("--store must be a PostgreSQL connection string"), std::string::npos) << out2;
}

}  // namespace
}  // namespace gavel
