// gavel_cli auction --local_hour / --time_zone against a real gavel_server with the demo catalog,
// whose running-shoe campaign (c-stride-running) serves 06:00-22:59 of the shopper's hour: the
// README tour's `auction "running shoes"` must not depend on when it runs.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace gavel {
namespace {

using ::gavel::testing::Runfile;
using ::gavel::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

struct ToolRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

ToolRun RunTool(const std::string& command) {
  ToolRun run;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) run.out.append(buf, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class CliHoursTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string keys = absl::StrCat(std::getenv("TEST_TMPDIR"), "/token_keys");
    std::ofstream(keys) << "k1 0123456789abcdef0123456789abcdef\n";
    auto server = ServerProcess::Start(
        "server/gavel_server",
        {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
         absl::StrCat("--token_key_file=", keys),
         absl::StrCat("--ledger_dir=", std::getenv("TEST_TMPDIR"), "/ledger")});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  ToolRun Auction(const std::string& flags) {
    return RunTool(absl::StrCat(Runfile("tools/cli/gavel_cli"), " --server=", server_->address(),
                                " --dry_run --json auction \"running shoes\" ", flags));
  }

  std::unique_ptr<ServerProcess> server_;
};

TEST_F(CliHoursTest, LocalHourPinsDayparting) {
  const ToolRun noon = Auction("--local_hour=12");
  EXPECT_EQ(noon.exit_code, 0) << noon.out;
  EXPECT_THAT(noon.out, HasSubstr("c-stride-running"));
  const ToolRun night = Auction("--local_hour=3");
  EXPECT_EQ(night.exit_code, 0) << night.out;
  EXPECT_THAT(night.out, Not(HasSubstr("c-stride-running")));
}

TEST_F(CliHoursTest, MinusOneIsAnUnknownHourThatNoHourListIncludes) {
  const ToolRun unknown = Auction("--local_hour=-1 --time_zone=UTC");
  EXPECT_EQ(unknown.exit_code, 0) << unknown.out;
  EXPECT_THAT(unknown.out, Not(HasSubstr("c-stride-running")));
}

TEST_F(CliHoursTest, BadHoursAreRejected) {
  const ToolRun not_a_number = Auction("--local_hour=noon");
  EXPECT_NE(not_a_number.exit_code, 0);
  EXPECT_THAT(not_a_number.out, HasSubstr("--local_hour must be an integer, got \"noon\""));
  const ToolRun out_of_range = Auction("--local_hour=24");
  EXPECT_NE(out_of_range.exit_code, 0);
  EXPECT_THAT(out_of_range.out, HasSubstr("shopper.local_hour must be in [0, 23] or -1, got 24"));
  const ToolRun bad_zone = Auction("--time_zone=Mars/Olympus");
  EXPECT_NE(bad_zone.exit_code, 0);
  EXPECT_THAT(bad_zone.out, HasSubstr("unknown IANA time zone"));
}

}  // namespace
}  // namespace gavel
