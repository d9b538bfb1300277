// Click-model hot reload on a real gavel_server (docs/learning.md, "Model reload"): ReloadModel and
// SIGHUP swap the model while clients run auctions without pause; no auction fails, explain output
// names the model that scored it, and a bad model file leaves the old one serving.
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "targeting/ctr_model.h"
#include "tests/integration/server_process.h"

namespace gavel {
namespace {

using ::gavel::testing::Runfile;
using ::gavel::testing::ServerProcess;

std::string ModelText(double bias) {
  return absl::StrCat("gavel-ctr-model v1\nbias ", bias, "\nmatch exact 0.9\n");
}
std::string Version(const std::string& text) {
  return (*targeting::CtrModel::Parse(text))->version();
}

gavel::v1::RunAuctionRequest Search(bool explain) {
  gavel::v1::RunAuctionRequest req;
  req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
  req.set_slots(3);
  req.set_query("running shoes");
  req.mutable_shopper()->set_local_hour(12);  // inside the demo's dayparting windows
  req.mutable_options()->set_explain(explain);
  req.mutable_options()->set_dry_run(explain);
  return req;
}

class ModelReload : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::getenv("TEST_TMPDIR");
    std::ofstream(tmp_ + "/admin_key") << "model-key";
  }
  std::unique_ptr<ServerProcess> Start(const std::string& name, bool with_model) {
    std::vector<std::string> args = {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
                                     absl::StrCat("--admin_api_key_file=", tmp_, "/admin_key"),
                                     absl::StrCat("--ledger_dir=", tmp_, "/", name)};
    if (with_model) args.push_back(absl::StrCat("--model=", model_path()));
    auto server = ServerProcess::Start("server/gavel_server", args);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }
  std::string model_path() const { return tmp_ + "/model.txt"; }
  void WriteModel(const std::string& text) { std::ofstream(model_path()) << text; }
  static grpc::Status Reload(const std::shared_ptr<grpc::Channel>& channel,
                             gavel::v1::ReloadModelResponse* resp) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-gavel-api-key", "model-key");
    return gavel::v1::CampaignService::NewStub(channel)->ReloadModel(
        &ctx, gavel::v1::ReloadModelRequest(), resp);
  }
  // The explain output of one auction: model version and the best candidate's predicted CTR.
  static std::pair<std::string, double> Explain(const std::shared_ptr<grpc::Channel>& channel) {
    gavel::v1::RunAuctionResponse resp;
    grpc::ClientContext ctx;
    grpc::Status st =
        gavel::v1::AuctionService::NewStub(channel)->RunAuction(&ctx, Search(true), &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_GT(resp.winners_size(), 0);
    return {resp.model_version(), resp.winners_size() > 0 ? resp.winners(0).predicted_ctr() : 0};
  }
  std::string tmp_;
};

TEST_F(ModelReload, SwapsTheModelUnderTrafficWithoutFailedAuctions) {
  const std::string a = ModelText(-4), b = ModelText(-2);
  WriteModel(a);
  std::unique_ptr<ServerProcess> server = Start("ledger", true);
  ASSERT_NE(server, nullptr);
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  const auto [start_version, ctr_a] = Explain(channel);
  EXPECT_EQ(start_version, Version(a));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&] {
      auto stub = gavel::v1::AuctionService::NewStub(channel);
      while (!stop.load()) {
        gavel::v1::RunAuctionResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        grpc::Status st = stub->RunAuction(&ctx, Search(false), &resp);
        if (st.ok() && resp.winners_size() > 0) {
          ++ok;
        } else {
          ++failed;
          ADD_FAILURE() << st.error_code() << " " << st.error_message();
        }
      }
    });
  }

  int64_t last_catalog_version = 0;
  double ctr_b = 0;
  for (int round = 0; round < 6; ++round) {
    const std::string& text = round % 2 == 0 ? b : a;
    WriteModel(text);
    gavel::v1::ReloadModelResponse resp;
    grpc::Status st = Reload(channel, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.model_version(), Version(text));
    EXPECT_GT(resp.catalog_version(), last_catalog_version);
    last_catalog_version = resp.catalog_version();
    const auto [seen, ctr] = Explain(channel);
    EXPECT_EQ(seen, Version(text));
    if (round == 0) ctr_b = ctr;
  }
  EXPECT_GT(ctr_b, ctr_a) << "a higher bias predicts a higher CTR";

  // A broken file: the error names the line, and the old model keeps serving.
  WriteModel("gavel-ctr-model v1\nbias x\n");
  gavel::v1::ReloadModelResponse bad;
  grpc::Status st = Reload(channel, &bad);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "model line 2: bad number \"x\"");
  EXPECT_EQ(Explain(channel).first, Version(a));

  // SIGHUP reloads the model too (asynchronously: wait until explain shows it).
  WriteModel(b);
  ASSERT_EQ(::kill(server->pid(), SIGHUP), 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (Explain(channel).first != Version(b) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(Explain(channel).first, Version(b)) << server->Output();

  stop = true;
  for (std::thread& c : clients) c.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(ok.load(), 0);
}

TEST_F(ModelReload, WithoutAModelFileIsAFailedPrecondition) {
  std::unique_ptr<ServerProcess> server = Start("ledger2", false);
  ASSERT_NE(server, nullptr);
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  gavel::v1::ReloadModelResponse resp;
  grpc::Status st = Reload(channel, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(),
            "the server was started without --model: there is no model file to reload");
  EXPECT_EQ(Explain(channel).first, targeting::CtrModel::Default()->version());
}

}  // namespace
}  // namespace gavel
