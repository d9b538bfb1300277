// echo_server: the ceiling for Gavel's serving benchmark. It answers gavel.v1.AuctionService/
// RunAuction (and EventService/ReportEvents) without doing any work: each call gets a copy of one
// pre-built response the size of a typical Gavel response (4 winners, ~200-byte signed tokens).
// Whatever Gavel costs beyond this server is Gavel's own; whatever this costs is gRPC's, the
// kernel's and the load generator's.
//
//   bazel run -c opt --config=opt //bench:echo_server -- --listen=127.0.0.1:0
//   listening on 127.0.0.1:40123      <- first line on stdout, once the port is bound
//
// It uses the server options a plain gRPC C++ server gets (grpc::ServerBuilder defaults, the
// callback API on gRPC's own threads), so the comparison with gavel_server is like for like.
// Runs until SIGTERM or SIGINT, then shuts down gracefully and exits 0. CPU is measured from
// outside (/proc/PID/stat), the same way for both servers.
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/grpcpp.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "Address to listen on, host:port; port 0 picks a free port (printed on stdout).");
ABSL_FLAG(int32_t, winners, 4, "Winners in the canned RunAuction response.");
ABSL_FLAG(int32_t, token_bytes, 200, "Bytes in each canned click and impression token.");

namespace gavel::bench {
namespace {

// A response shaped like Gavel's: ids of realistic length, a matched keyword, prices and two
// base64url-looking tokens per winner.
gavel::v1::RunAuctionResponse MakeTypicalResponse(int winners, int token_bytes) {
  gavel::v1::RunAuctionResponse response;
  response.set_auction_id("a-7f3c9e2b5d1a4e6f8091a2b3c4d5e6f7");
  response.set_mechanism(gavel::v1::MECHANISM_GSP);
  response.set_catalog_version(42);
  for (int slot = 1; slot <= winners; ++slot) {
    gavel::v1::Winner* w = response.add_winners();
    w->set_slot(slot);
    w->set_advertiser_id(absl::StrCat("adv-", 1000 + slot));
    w->set_campaign_id(absl::StrCat("cmp-", 20000 + slot));
    w->set_ad_group_id(absl::StrCat("ag-", 300000 + slot));
    w->set_ad_id(absl::StrCat("ad-", 4000000 + slot));
    w->set_product_id(absl::StrCat("prod-", 5000000 + slot));
    w->mutable_matched_target()->set_target_id(absl::StrCat("tgt-", 6000000 + slot));
    w->mutable_matched_target()->mutable_keyword()->set_text("running shoes");
    w->mutable_matched_target()->mutable_keyword()->set_match_type(gavel::v1::MATCH_TYPE_PHRASE);
    w->set_cpc_micros(450'000 - slot * 10'000);
    w->set_bid_micros(600'000 - slot * 10'000);
    w->set_rank_score(0.61 - slot * 0.01);
    w->set_quality(0.8);
    w->set_predicted_ctr(0.031);
    w->set_min_bid_micros(440'000 - slot * 10'000);
    // Varied bytes, as a signed token's base64url text is; a run of one letter might compress.
    constexpr absl::string_view kBase64Url =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string token(token_bytes, 'A');
    for (int i = 0; i < token_bytes; ++i) token[i] = kBase64Url[(i * 37 + slot * 11) % 64];
    w->set_click_token(absl::StrCat("c.", token));
    w->set_impression_token(absl::StrCat("i.", token));
  }
  return response;
}

class EchoAuctionService final : public gavel::v1::AuctionService::CallbackService {
 public:
  explicit EchoAuctionService(gavel::v1::RunAuctionResponse canned) : canned_(std::move(canned)) {}

  grpc::ServerUnaryReactor* RunAuction(grpc::CallbackServerContext* context,
                                       const gavel::v1::RunAuctionRequest* request,
                                       gavel::v1::RunAuctionResponse* response) override {
    *response = canned_;
    response->set_request_id(request->request_id());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  const gavel::v1::RunAuctionResponse canned_;
};

// Records every event, so the load generator's event mix runs against the echo server too.
class EchoEventService final : public gavel::v1::EventService::CallbackService {
 public:
  grpc::ServerUnaryReactor* ReportEvents(grpc::CallbackServerContext* context,
                                         const gavel::v1::ReportEventsRequest* request,
                                         gavel::v1::ReportEventsResponse* response) override {
    for (const gavel::v1::Event& event : request->events()) {
      gavel::v1::EventResult* result = response->add_results();
      result->set_client_event_id(event.client_event_id());
      result->set_outcome(event.type() == gavel::v1::EVENT_TYPE_CLICK
                              ? gavel::v1::EVENT_OUTCOME_CHARGED
                              : gavel::v1::EVENT_OUTCOME_RECORDED);
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

int Run() {
  // Block the shutdown signals before gRPC starts its threads, so they inherit the mask and only
  // sigwait below sees SIGTERM/SIGINT.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  gavel::v1::RunAuctionResponse canned =
      MakeTypicalResponse(absl::GetFlag(FLAGS_winners), absl::GetFlag(FLAGS_token_bytes));
  std::fprintf(stderr, "echo_server: canned RunAuction response of %zu bytes\n",
               canned.ByteSizeLong());
  EchoAuctionService auction(std::move(canned));
  EchoEventService events;
  const std::string listen = absl::GetFlag(FLAGS_listen);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&auction);
  builder.RegisterService(&events);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "echo_server: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  const std::string host = listen.substr(0, listen.rfind(':'));
  std::printf("listening on %s:%d\n", host.c_str(), port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}

}  // namespace
}  // namespace gavel::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil keeps deadlock-detection graphs for every absl::Mutex gRPC locks: 6% of this
  // server's CPU at 64 in flight (perf). A ceiling should not carry removable overhead, so it is
  // off here, and gavel_server should turn it off the same way for a like-for-like comparison.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return gavel::bench::Run();
}
