// Clients over several replicas: two real gavel_server processes, and gavel_loadgen and gavel_cli
// given both addresses (--target / --server "A,B", common/grpc_channel.h). Traffic reaches each
// replica, and a replica that is down is skipped.
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace gavel {
namespace {

using ::gavel::testing::Runfile;
using ::gavel::testing::ServerProcess;
using ::testing::HasSubstr;

constexpr char kAdminKey[] = "replicas-test-admin-key";

std::string TmpFile(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << contents;
  return path;
}

// Replica `i`: the demo catalog, its own ledger, the signing key all replicas share.
std::unique_ptr<ServerProcess> StartReplica(int i) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Start(
      "server/gavel_server",
      {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
       absl::StrCat("--admin_api_key_file=", TmpFile("admin_key", kAdminKey)),
       absl::StrCat("--token_key_file=",
                    TmpFile("token_keys", "k1 0123456789abcdef0123456789abcdef\n")),
       absl::StrCat("--ledger_dir=", std::getenv("TEST_TMPDIR"), "/ledger", i)});
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// Impressions this replica recorded, over every campaign.
int64_t Impressions(const std::string& address) {
  auto stub = gavel::v1::CampaignService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  auto ctx = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    c->AddMetadata("x-gavel-api-key", kAdminKey);
    return c;
  };
  gavel::v1::ListRequest list;
  gavel::v1::ListCampaignsResponse campaigns;
  grpc::Status listed = stub->ListCampaigns(ctx().get(), list, &campaigns);
  EXPECT_TRUE(listed.ok()) << listed.error_message();
  int64_t impressions = 0;
  for (const gavel::v1::Campaign& c : campaigns.campaigns()) {
    gavel::v1::GetCampaignStatsRequest req;
    req.set_campaign_id(c.id());
    gavel::v1::GetCampaignStatsResponse stats;
    grpc::Status st = stub->GetCampaignStats(ctx().get(), req, &stats);
    EXPECT_TRUE(st.ok()) << st.error_message();
    impressions += stats.total().impressions();
  }
  return impressions;
}

struct ToolRun {
  int exit_code = -1;
  std::string out;  // stdout; stderr goes to the test log
};

ToolRun RunTool(const std::string& command) {
  ToolRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) run.out.append(buf, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// "127.0.0.1:PORT" -> "localhost:PORT": the clients resolve names themselves.
std::string ByName(const std::string& address) {
  return absl::StrCat("localhost:", std::vector<std::string>(absl::StrSplit(address, ':'))[1]);
}

TEST(Replicas, LoadgenGivenTwoAddressesReachesBothServers) {
  std::unique_ptr<ServerProcess> a = StartReplica(0);
  std::unique_ptr<ServerProcess> b = StartReplica(1);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(Impressions(a->address()), 0);
  ASSERT_EQ(Impressions(b->address()), 0);

  // One worker: one channel, whose calls round robin spreads over both replicas.
  const ToolRun run = RunTool(absl::StrCat(
      Runfile("tools/loadgen/gavel_loadgen"), " --target=", a->address(), ",", ByName(b->address()),
      " --catalog=", Runfile("data/demo_catalog.json"),
      " --threads=1 --concurrency=4 --warmup=0s --duration=1s --impression_rate=1 --json "
      "--progress=false"));
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_THAT(run.out, HasSubstr("\"errors\":{}"));
  EXPECT_THAT(run.out, HasSubstr("\"rpc_errors\":{}"));

  const int64_t on_a = Impressions(a->address());
  const int64_t on_b = Impressions(b->address());
  EXPECT_GT(on_a, 0) << run.out;
  EXPECT_GT(on_b, 0) << run.out;
}

TEST(Replicas, CliSkipsAReplicaThatIsDown) {
  std::unique_ptr<ServerProcess> a = StartReplica(2);
  std::unique_ptr<ServerProcess> b = StartReplica(3);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const std::string cli = Runfile("tools/cli/gavel_cli");
  const std::string both = absl::StrCat(" --server=", a->address(), ",", b->address());
  EXPECT_EQ(RunTool(cli + both + " health").out, "SERVING\n");
  b->Kill(SIGKILL);
  for (int i = 0; i < 3; ++i) {
    const ToolRun run = RunTool(cli + both + " health");
    EXPECT_EQ(run.exit_code, 0);
    EXPECT_EQ(run.out, "SERVING\n");
  }
}

TEST(Replicas, CliRejectsAMalformedAddressList) {
  const ToolRun run =
      RunTool(Runfile("tools/cli/gavel_cli") + " --server=127.0.0.1:1,127.0.0.1 health 2>&1");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.out, HasSubstr("error: --server: address \"127.0.0.1\" has no port"));
}

}  // namespace
}  // namespace gavel
