// The training log of a real gavel_server (docs/learning.md, "Training log"): every ad an auction
// shows is one impression record with its click-model features, and every accepted click is one
// click record that joins its impression through (auction_id, slot). gavel_train learns from that
// log a model file that a server then serves.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "learning/training_record.h"
#include "tests/integration/server_process.h"

namespace gavel {
namespace {

using ::gavel::testing::Runfile;
using ::gavel::testing::ServerProcess;

std::vector<std::string> LogLines(const std::string& dir, int* files) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  while (dirent* e = ::readdir(d)) {
    if (absl::StartsWith(e->d_name, "training-")) names.push_back(e->d_name);
  }
  ::closedir(d);
  *files = static_cast<int>(names.size());
  std::vector<std::string> lines;
  for (const std::string& name : names) {
    std::ifstream in(dir + "/" + name);
    std::string line;
    EXPECT_TRUE(std::getline(in, line)) << name;
    EXPECT_EQ(line, learning::kLogHeader) << name;
    while (std::getline(in, line)) lines.push_back(line);
  }
  return lines;
}

TEST(TrainingLog, ShownAdsAndAcceptedClicksJoinThroughTheTokenIdentity) {
  const std::string tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp + "/training";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  auto server = ServerProcess::Start(
      "server/gavel_server", {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
                              absl::StrCat("--ledger_dir=", tmp, "/ledger"),
                              absl::StrCat("--training_log_dir=", dir)});
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  auto auctions = gavel::v1::AuctionService::NewStub(channel);
  auto events = gavel::v1::EventService::NewStub(channel);

  std::map<std::pair<std::string, int>, double> shown;  // (auction, slot) -> predicted CTR
  std::set<std::pair<std::string, int>> clicked;
  for (int i = 0; i < 20; ++i) {
    gavel::v1::RunAuctionRequest req;
    req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
    req.set_slots(3);
    req.set_query(i % 2 ? "wireless headphones" : "running shoes");
    req.mutable_shopper()->set_user_id(absl::StrCat("shopper-", i));
    req.mutable_shopper()->set_local_hour(12);
    req.mutable_options()->set_dry_run(i == 0);  // a dry run shows nothing
    gavel::v1::RunAuctionResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(auctions->RunAuction(&ctx, req, &resp).ok());
    ASSERT_GT(resp.winners_size(), 0);
    if (i == 0) continue;
    for (const auto& w : resp.winners()) shown[{resp.auction_id(), w.slot()}] = w.predicted_ctr();
    if (i % 3 != 0) continue;
    // The first winner is clicked; the click is reported twice (the duplicate is not logged).
    gavel::v1::ReportEventsRequest report;
    for (int copy = 0; copy < 2; ++copy) {
      gavel::v1::Event* e = report.add_events();
      e->set_client_event_id(absl::StrCat("click-", i));
      e->set_type(gavel::v1::EVENT_TYPE_CLICK);
      e->set_token(resp.winners(0).click_token());
    }
    gavel::v1::ReportEventsResponse answer;
    grpc::ClientContext ectx;
    ASSERT_TRUE(events->ReportEvents(&ectx, report, &answer).ok());
    ASSERT_EQ(answer.results(0).outcome(), gavel::v1::EVENT_OUTCOME_CHARGED);
    clicked.insert({resp.auction_id(), resp.winners(0).slot()});
  }
  // A graceful stop writes every queued record.
  const int status = (*server)->Kill(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << (*server)->Output();

  int files = 0;
  std::vector<std::string> lines = LogLines(dir, &files);
  EXPECT_EQ(files, 1);
  std::map<std::pair<std::string, int>, learning::Impression> impressions;
  std::set<std::pair<std::string, int>> clicks;
  for (const std::string& line : lines) {
    absl::StatusOr<learning::LogRecord> r = learning::ParseRecord(line);
    ASSERT_TRUE(r.ok()) << r.status() << ": " << line;
    EXPECT_FALSE(absl::StrContains(line, "shopper-")) << "the user id itself is never logged";
    if (r->kind == learning::LogRecord::Kind::kClick) {
      EXPECT_TRUE(clicks.insert({r->click.auction_id, r->click.slot}).second) << line;
      continue;
    }
    const learning::Impression& imp = r->impression;
    EXPECT_NE(imp.shopper_hash, 0u);
    EXPECT_EQ(imp.model_version.size(), 16u);
    ASSERT_GE(imp.features.size(), 3u);
    EXPECT_EQ(imp.features[0], (learning::Feature{"placement", "top_of_search", ""}));
    impressions[{imp.auction_id, imp.slot}] = imp;
  }
  ASSERT_EQ(impressions.size(), shown.size());
  EXPECT_TRUE(absl::StrContains(
      (*server)->Output(), absl::StrCat("gavel_server: training log: ", lines.size(),
                                        " records written to 1 files, 0 dropped\n")))
      << (*server)->Output();
  for (const auto& [key, imp] : impressions) EXPECT_TRUE(shown.count(key) == 1) << key.first;
  EXPECT_EQ(clicks, clicked);
  for (const auto& key : clicks) EXPECT_TRUE(impressions.count(key) == 1) << key.first;

  // The loop closes: gavel_train learns from this log, and a server serves what it wrote.
  const std::string model = tmp + "/trained_model.txt";
  const std::string train = absl::StrCat(Runfile("tools/gavel_train"), " --log=", dir,
                                         " --out=", model, " > ", tmp, "/train.out 2>&1");
  ASSERT_EQ(std::system(train.c_str()), 0) << train;
  auto served = ServerProcess::Start(
      "server/gavel_server", {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
                              absl::StrCat("--ledger_dir=", tmp, "/ledger_trained"),
                              absl::StrCat("--model=", model)});
  ASSERT_TRUE(served.ok()) << served.status();
  gavel::v1::RunAuctionRequest req;
  req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
  req.set_query("running shoes");
  req.set_slots(3);
  req.mutable_shopper()->set_local_hour(12);
  req.mutable_options()->set_explain(true);
  req.mutable_options()->set_dry_run(true);
  gavel::v1::RunAuctionResponse resp;
  grpc::ClientContext ctx;
  auto stub = gavel::v1::AuctionService::NewStub(
      grpc::CreateChannel((*served)->address(), grpc::InsecureChannelCredentials()));
  grpc::Status st = stub->RunAuction(&ctx, req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_GT(resp.winners_size(), 0);
  EXPECT_NE(resp.model_version(), impressions.begin()->second.model_version)
      << "the trained model, not the one that wrote the log";
}

TEST(TrainingLog, AMissingDirectoryStopsStartNamingTheFlag) {
  const std::string tmp = std::getenv("TEST_TMPDIR");
  auto server = ServerProcess::Start(
      "server/gavel_server", {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
                              absl::StrCat("--ledger_dir=", tmp, "/ledger2"),
                              absl::StrCat("--training_log_dir=", tmp, "/nope")});
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::StrContains(server.status().message(),
                                absl::StrCat("--training_log_dir: training log directory \"", tmp,
                                             "/nope\" is not a directory")))
      << server.status();
}

}  // namespace
}  // namespace gavel
