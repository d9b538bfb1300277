#include "tests/integration/traffic.h"

#include <sys/stat.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/http_util.h"

namespace gavel::testing {

Server StartServer(const std::string& name, const std::string& catalog,
                   const std::vector<std::string>& extra) {
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  ::mkdir(dir.c_str(), 0755);
  std::vector<std::string> args = {
      absl::StrCat("--catalog=", catalog.empty() ? Runfile("data/demo_catalog.json") : catalog),
      absl::StrCat("--ledger_dir=", dir, "/ledger"), "--metrics_listen=127.0.0.1:0",
      "--nohuge_pages"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto process = ServerProcess::Start("server/gavel_server", args);
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return {};
  Server s;
  s.process = *std::move(process);
  s.channel = grpc::CreateChannel(s.process->address(), grpc::InsecureChannelCredentials());
  s.metrics = MetricsAddress(s.process->Output());
  EXPECT_FALSE(s.metrics.empty()) << s.process->Output();
  return s;
}

gavel::v1::RunAuctionRequest Search(const std::string& query, const std::string& user) {
  gavel::v1::RunAuctionRequest r;
  r.set_request_id("metrics-it");
  r.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
  r.set_slots(2);
  r.set_query(query);
  r.mutable_shopper()->set_user_id(user);
  r.mutable_shopper()->set_device(gavel::v1::DEVICE_DESKTOP);
  r.mutable_shopper()->set_local_hour(12);
  return r;
}

grpc::Status Auction(const Server& s, const gavel::v1::RunAuctionRequest& r,
                     gavel::v1::RunAuctionResponse* out, int deadline_seconds) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_seconds));
  return gavel::v1::AuctionService::NewStub(s.channel)->RunAuction(&ctx, r, out);
}

gavel::v1::EventOutcome Report(const Server& s, gavel::v1::EventType type, const std::string& id,
                               const std::string& token) {
  gavel::v1::ReportEventsRequest req;
  auto* e = req.add_events();
  e->set_client_event_id(id);
  e->set_type(type);
  e->set_token(token);
  gavel::v1::ReportEventsResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status st = gavel::v1::EventService::NewStub(s.channel)->ReportEvents(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp.results_size() == 1 ? resp.results(0).outcome()
                                  : gavel::v1::EVENT_OUTCOME_UNSPECIFIED;
}

}  // namespace gavel::testing
