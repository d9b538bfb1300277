#include "tools/loadgen/runner.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/sync.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace gavel::loadgen {
namespace {

// What the fake server saw; checked after the run.
struct ServerLog {
  Mutex mu;
  int64_t auctions ABSL_GUARDED_BY(mu) = 0;
  int64_t events ABSL_GUARDED_BY(mu) = 0;
  absl::flat_hash_set<std::string> event_ids ABSL_GUARDED_BY(mu);
  int64_t duplicate_ids ABSL_GUARDED_BY(mu) = 0;
  // Tokens not issued by this server or sent as the wrong event type.
  int64_t bad_tokens ABSL_GUARDED_BY(mu) = 0;
  int64_t user_mismatches ABSL_GUARDED_BY(mu) = 0;
};

struct FakeBehaviour {
  // Every call fails with this code when not OK.
  grpc::StatusCode fail_with = grpc::StatusCode::OK;
  absl::Duration delay = absl::ZeroDuration();
};

// Two winners per auction, with tokens that name the request, the slot, the user and the type.
class FakeAuctionService final : public gavel::v1::AuctionService::Service {
 public:
  FakeAuctionService(ServerLog* log, FakeBehaviour behaviour) : log_(log), behaviour_(behaviour) {}

  grpc::Status RunAuction(grpc::ServerContext*, const gavel::v1::RunAuctionRequest* request,
                          gavel::v1::RunAuctionResponse* response) override {
    {
      MutexLock lock(&log_->mu);
      ++log_->auctions;
    }
    if (behaviour_.delay > absl::ZeroDuration()) absl::SleepFor(behaviour_.delay);
    if (behaviour_.fail_with != grpc::StatusCode::OK) {
      return grpc::Status(behaviour_.fail_with, "configured to fail");
    }
    for (int slot = 1; slot <= 2; ++slot) {
      gavel::v1::Winner* winner = response->add_winners();
      winner->set_slot(slot);
      const std::string id =
          absl::StrCat(request->request_id(), "/", slot, "/", request->shopper().user_id());
      winner->set_click_token(absl::StrCat("click:", id));
      winner->set_impression_token(absl::StrCat("impression:", id));
    }
    return grpc::Status::OK;
  }

 private:
  ServerLog* const log_;
  const FakeBehaviour behaviour_;
};

class FakeEventService final : public gavel::v1::EventService::Service {
 public:
  explicit FakeEventService(ServerLog* log) : log_(log) {}

  grpc::Status ReportEvents(grpc::ServerContext*, const gavel::v1::ReportEventsRequest* request,
                            gavel::v1::ReportEventsResponse* response) override {
    MutexLock lock(&log_->mu);
    for (const gavel::v1::Event& event : request->events()) {
      ++log_->events;
      if (!log_->event_ids.insert(event.client_event_id()).second) ++log_->duplicate_ids;
      const bool click = event.type() == gavel::v1::EVENT_TYPE_CLICK;
      if (!absl::StartsWith(event.token(), click ? "click:" : "impression:")) ++log_->bad_tokens;
      if (!absl::EndsWith(event.token(), absl::StrCat("/", event.user_id()))) {
        ++log_->user_mismatches;
      }
      gavel::v1::EventResult* result = response->add_results();
      result->set_client_event_id(event.client_event_id());
      result->set_outcome(click ? gavel::v1::EVENT_OUTCOME_CHARGED
                                : gavel::v1::EVENT_OUTCOME_RECORDED);
    }
    return grpc::Status::OK;
  }

 private:
  ServerLog* const log_;
};

// A fake Gavel on a free loopback port, for the duration of a test.
class FakeServer {
 public:
  explicit FakeServer(FakeBehaviour behaviour = {}) : auctions_(&log_, behaviour), events_(&log_) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&auctions_);
    builder.RegisterService(&events_);
    server_ = builder.BuildAndStart();
  }
  ~FakeServer() { server_->Shutdown(std::chrono::system_clock::now()); }

  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }
  ServerLog& log() { return log_; }

 private:
  ServerLog log_;
  FakeAuctionService auctions_;
  FakeEventService events_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

class RunLoadTest : public ::testing::Test {
 protected:
  LoadConfig Config(const FakeServer& server) {
    return {.target = server.target(),
            .warmup = absl::Milliseconds(100),
            .duration = absl::Milliseconds(500),
            .progress = false};
  }

  QuerySet queries_ = *QuerySet::FromWeighted({{"shoes", 2}, {"socks", 1}});
  RequestSampler sampler_{&queries_, RequestMix{}};
};

TEST_F(RunLoadTest, ClosedLoopSucceedsAndReportsEventsWithIssuedTokensAndUniqueIds) {
  FakeServer server;
  LoadConfig config = Config(server);
  config.concurrency = 4;
  config.impression_rate = 1;
  config.click_rate = 0.5;
  absl::StatusOr<LoadReport> report = RunLoad(config, sampler_);
  ASSERT_TRUE(report.ok()) << report.status();

  EXPECT_EQ(report->mode, "closed");
  EXPECT_GT(report->requests, 0);
  EXPECT_EQ(report->ok, report->requests);
  EXPECT_TRUE(report->errors.empty());
  EXPECT_EQ(report->latency.count, report->ok);
  EXPECT_GE(report->all_completed, report->requests);
  // Every measured auction had two winners, each with an impression.
  EXPECT_EQ(report->impressions_sent, 2 * report->event_rpcs);
  EXPECT_GT(report->clicks_sent, 0);
  EXPECT_EQ(report->event_rpcs_ok, report->event_rpcs);
  EXPECT_EQ(report->event_outcomes["EVENT_OUTCOME_RECORDED"], report->impressions_sent);
  EXPECT_EQ(report->event_outcomes["EVENT_OUTCOME_CHARGED"], report->clicks_sent);

  MutexLock lock(&server.log().mu);
  EXPECT_EQ(server.log().auctions, report->all_completed);
  EXPECT_GT(server.log().events, 0);
  EXPECT_EQ(server.log().duplicate_ids, 0);
  EXPECT_EQ(server.log().bad_tokens, 0);
  EXPECT_EQ(server.log().user_mismatches, 0);
}

TEST_F(RunLoadTest, OpenLoopOffersExactlyRateTimesDurationInTheWindow) {
  FakeServer server;
  LoadConfig config = Config(server);
  config.rate = 400;
  config.warmup = absl::Milliseconds(250);
  config.duration = absl::Seconds(1);
  absl::StatusOr<LoadReport> report = RunLoad(config, sampler_);
  ASSERT_TRUE(report.ok()) << report.status();

  EXPECT_EQ(report->mode, "open");
  // Intended times i / 400 s in [0.25 s, 1.25 s): i = 100 .. 499, whatever the server did.
  EXPECT_EQ(report->requests + report->not_sent, 400);
  EXPECT_DOUBLE_EQ(report->qps, report->requests / 1.0);
  // Latency runs from the intended time, so it covers the send lag and the service time.
  EXPECT_GE(report->latency.max_ns, report->service_time.max_ns);
  EXPECT_EQ(report->send_lag.count, report->ok);
}

TEST_F(RunLoadTest, OpenLoopCountsCallsItCouldNotSendWhenTheServerFallsBehind) {
  // 50 ms per call at one call in flight serves at most 20 calls a second against 100 offered.
  FakeServer server({.delay = absl::Milliseconds(50)});
  LoadConfig config = Config(server);
  config.rate = 100;
  config.max_outstanding = 1;
  config.warmup = absl::ZeroDuration();
  config.duration = absl::Seconds(1);
  absl::StatusOr<LoadReport> report = RunLoad(config, sampler_);
  ASSERT_TRUE(report.ok()) << report.status();

  EXPECT_EQ(report->requests + report->not_sent, 100);
  EXPECT_GE(report->not_sent, 50);
}

TEST_F(RunLoadTest, CountsFailuresByStatusCodeAndTimesOnlySuccesses) {
  FakeServer server({.fail_with = grpc::StatusCode::RESOURCE_EXHAUSTED});
  LoadConfig config = Config(server);
  config.concurrency = 2;
  config.impression_rate = 1;
  absl::StatusOr<LoadReport> report = RunLoad(config, sampler_);
  ASSERT_TRUE(report.ok()) << report.status();

  EXPECT_GT(report->requests, 0);
  EXPECT_EQ(report->ok, 0);
  EXPECT_EQ(report->errors["RESOURCE_EXHAUSTED"], report->requests);
  EXPECT_EQ(report->latency.count, 0);
  EXPECT_EQ(report->event_rpcs, 0);
}

TEST_F(RunLoadTest, AnInterruptEndsTheRunEarlyAndReportsTheTimeThatRan) {
  FakeServer server;
  LoadConfig config = Config(server);
  config.concurrency = 2;
  config.duration = absl::Seconds(60);
  std::atomic<bool> interrupt{false};
  config.interrupt = &interrupt;
  std::thread interrupter([&interrupt] {
    absl::SleepFor(absl::Milliseconds(400));
    interrupt = true;
  });
  absl::StatusOr<LoadReport> report = RunLoad(config, sampler_);
  interrupter.join();
  ASSERT_TRUE(report.ok()) << report.status();

  EXPECT_GT(report->duration_seconds, 0);
  EXPECT_LT(report->duration_seconds, 30);
  EXPECT_GT(report->requests, 0);
  EXPECT_TRUE(report->errors.empty());
  EXPECT_DOUBLE_EQ(report->qps, report->requests / report->duration_seconds);
}

TEST_F(RunLoadTest, RejectsABadConfigNamingTheField) {
  FakeServer server;
  LoadConfig config = Config(server);
  config.concurrency = 0;
  EXPECT_EQ(RunLoad(config, sampler_).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(RunLoad(config, sampler_).status().message().find("concurrency"), std::string::npos);

  config = Config(server);
  config.click_rate = 1.5;
  absl::Status status = RunLoad(config, sampler_).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("click_rate"), std::string::npos) << status;
}

}  // namespace
}  // namespace gavel::loadgen
