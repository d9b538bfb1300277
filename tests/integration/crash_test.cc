// Crash safety: clicks flow from several threads while the real server is killed with SIGKILL.
// After a restart on the same ledger, every charge the server acknowledged is there (none lost),
// and re-sending every click charges none of them twice. And a disk that starts failing (ENOSPC
// on write, EIO on fdatasync, injected into the real server by disk_fault_shim) stops the server:
// nothing more is acknowledged, it exits non-zero, and a restart has every acknowledged charge.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sync.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace gavel {
namespace {

using ::gavel::testing::Runfile;
using ::gavel::testing::ServerProcess;

constexpr char kAdminKey[] = "crash-test-admin-key";

struct Click {
  std::string event_id;
  std::string token;
  std::string campaign_id;
  int64_t cpc_micros = 0;
};

std::string TmpFile(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << contents;
  return path;
}

std::vector<std::string> ServerArgs(const std::string& ledger = "ledger") {
  const std::string tmp = std::getenv("TEST_TMPDIR");
  return {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
          absl::StrCat("--admin_api_key_file=", TmpFile("admin_key", kAdminKey)),
          absl::StrCat("--token_key_file=",
                       TmpFile("token_keys", "k1 0123456789abcdef0123456789abcdef\n")),
          absl::StrCat("--ledger_dir=", tmp, "/", ledger)};
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ctx->AddMetadata("x-gavel-api-key", kAdminKey);
  return ctx;
}

// Winners' click tokens from auctions for many different shoppers (so no repeat-click rule
// applies).
std::vector<Click> CollectClicks(const std::shared_ptr<grpc::Channel>& channel, int auctions) {
  auto stub = gavel::v1::AuctionService::NewStub(channel);
  const char* queries[] = {"wireless headphones", "running shoes",    "smartphone", "coffee maker",
                           "usb c cable",         "espresso machine", "earbuds"};
  std::vector<Click> clicks;
  for (int i = 0; i < auctions; ++i) {
    gavel::v1::RunAuctionRequest req;
    req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
    req.set_slots(3);
    req.set_query(queries[i % 7]);
    req.mutable_shopper()->set_user_id(absl::StrCat("shopper-", i));
    req.mutable_shopper()->set_local_hour(12);
    gavel::v1::RunAuctionResponse resp;
    auto ctx = Ctx();
    EXPECT_TRUE(stub->RunAuction(ctx.get(), req, &resp).ok());
    for (const auto& w : resp.winners()) {
      clicks.push_back({absl::StrCat("click-", clicks.size()), w.click_token(), w.campaign_id(),
                        w.cpc_micros()});
    }
  }
  return clicks;
}

std::map<std::string, int64_t> SpendByCampaign(const std::shared_ptr<grpc::Channel>& channel,
                                               const std::set<std::string>& campaigns) {
  auto stub = gavel::v1::CampaignService::NewStub(channel);
  std::map<std::string, int64_t> spend;
  for (const std::string& c : campaigns) {
    gavel::v1::GetCampaignStatsRequest req;
    req.set_campaign_id(c);
    gavel::v1::GetCampaignStatsResponse resp;
    auto ctx = Ctx();
    grpc::Status st = stub->GetCampaignStats(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    spend[c] = resp.total().spend_micros();
  }
  return spend;
}

// Reports one click, as a client would: one event per call.
grpc::Status ReportClick(gavel::v1::EventService::Stub* stub, const Click& click,
                         gavel::v1::ReportEventsResponse* resp) {
  gavel::v1::ReportEventsRequest req;
  auto* e = req.add_events();
  e->set_client_event_id(click.event_id);
  e->set_type(gavel::v1::EVENT_TYPE_CLICK);
  e->set_token(click.token);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return stub->ReportEvents(&ctx, req, resp);
}

TEST(CrashSafety, SigkillLosesNoAcknowledgedChargeAndChargesNothingTwice) {
  auto server = ServerProcess::Start("server/gavel_server", ServerArgs());
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  const std::vector<Click> clicks = CollectClicks(channel, 400);
  ASSERT_GT(clicks.size(), 600u);
  std::set<std::string> campaigns;
  for (const Click& c : clicks) campaigns.insert(c.campaign_id);

  // Four clients report clicks one per call; what the server acknowledged is recorded.
  struct Acknowledged {
    Mutex mu;
    std::map<size_t, gavel::v1::EventResult> results ABSL_GUARDED_BY(mu);  // by click index
  } acks;
  std::atomic<size_t> next{0};
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      auto stub = gavel::v1::EventService::NewStub(channel);
      for (size_t i = next++; i < clicks.size(); i = next++) {
        gavel::v1::ReportEventsResponse resp;
        if (!ReportClick(stub.get(), clicks[i], &resp).ok()) continue;  // killed: not acknowledged
        MutexLock lock(&acks.mu);
        acks.results[i] = resp.results(0);
        ++acknowledged;
      }
    });
  }
  // Kill the server mid-stream, without warning.
  while (acknowledged.load() < static_cast<int>(clicks.size() / 3)) std::this_thread::yield();
  (*server)->Kill(SIGKILL);
  for (auto& c : clients) c.join();

  std::map<std::string, int64_t> acked_spend;
  int acked_charges = 0;
  {
    MutexLock lock(&acks.mu);
    ASSERT_LT(acks.results.size(), clicks.size()) << "the kill came too late to test anything";
    for (const auto& [i, r] : acks.results) {
      if (r.outcome() == gavel::v1::EVENT_OUTCOME_CHARGED) {
        EXPECT_EQ(r.charged_micros(), clicks[i].cpc_micros);
        acked_spend[clicks[i].campaign_id] += r.charged_micros();
        ++acked_charges;
      }
    }
  }
  ASSERT_GT(acked_charges, 0);
  std::printf("clicks %zu, acknowledged %d, acknowledged charges %d\n", clicks.size(),
              acknowledged.load(), acked_charges);

  // Restart on the same ledger.
  auto restarted = ServerProcess::Start("server/gavel_server", ServerArgs());
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  channel = grpc::CreateChannel((*restarted)->address(), grpc::InsecureChannelCredentials());
  std::map<std::string, int64_t> recovered = SpendByCampaign(channel, campaigns);
  for (const std::string& c : campaigns) {
    EXPECT_GE(recovered[c], acked_spend[c]) << "acknowledged charges lost for " << c;
  }

  // Re-send every click, acknowledged or not: acknowledged charges come back DUPLICATE; the rest
  // are charged at most once now.
  auto stub = gavel::v1::EventService::NewStub(channel);
  std::map<std::string, int64_t> charged_now;
  for (size_t i = 0; i < clicks.size(); ++i) {
    gavel::v1::ReportEventsResponse resp;
    ASSERT_TRUE(ReportClick(stub.get(), clicks[i], &resp).ok());
    const auto& r = resp.results(0);
    MutexLock lock(&acks.mu);
    auto it = acks.results.find(i);
    if (it != acks.results.end()) {
      EXPECT_EQ(r.outcome(), gavel::v1::EVENT_OUTCOME_DUPLICATE) << clicks[i].event_id;
    }
    if (r.outcome() == gavel::v1::EVENT_OUTCOME_CHARGED) {
      charged_now[clicks[i].campaign_id] += r.charged_micros();
    }
  }
  // The ledger holds exactly: what was recovered plus what was charged after the restart.
  std::map<std::string, int64_t> final_spend = SpendByCampaign(channel, campaigns);
  for (const std::string& c : campaigns) {
    EXPECT_EQ(final_spend[c], recovered[c] + charged_now[c]) << c;
  }
  // And it survives a second, clean restart unchanged.
  (*restarted)->Kill(SIGTERM);
  auto third = ServerProcess::Start("server/gavel_server", ServerArgs());
  ASSERT_TRUE(third.ok()) << third.status();
  channel = grpc::CreateChannel((*third)->address(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(SpendByCampaign(channel, campaigns), final_spend);
}

// Reports clicks one per call until the disk fails under them; the failing call and everything
// after it are not acknowledged, and the server exits non-zero by itself.
void FailingDiskLosesNothingAcknowledged(const std::string& fault) {
  const std::string tmp = std::getenv("TEST_TMPDIR");
  const std::string trigger = absl::StrCat(tmp, "/fail_", fault);
  std::remove(trigger.c_str());
  const std::vector<std::string> args = ServerArgs("ledger_" + fault);
  auto server = ServerProcess::Start(
      "server/gavel_server", args,
      {absl::StrCat("LD_PRELOAD=", Runfile("tests/integration/libdisk_fault_shim.so")),
       absl::StrCat("GAVEL_FAULT=", fault), absl::StrCat("GAVEL_FAULT_TRIGGER=", trigger)});
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  const std::vector<Click> clicks = CollectClicks(channel, 60);
  ASSERT_GT(clicks.size(), 60u);
  std::set<std::string> campaigns;
  for (const Click& c : clicks) campaigns.insert(c.campaign_id);
  auto stub = gavel::v1::EventService::NewStub(channel);
  std::map<std::string, int64_t> acked_spend;
  size_t i = 0;
  for (; i < clicks.size() / 2; ++i) {
    gavel::v1::ReportEventsResponse resp;
    ASSERT_TRUE(ReportClick(stub.get(), clicks[i], &resp).ok());
    if (resp.results(0).outcome() == gavel::v1::EVENT_OUTCOME_CHARGED) {
      acked_spend[clicks[i].campaign_id] += resp.results(0).charged_micros();
    }
  }
  ASSERT_FALSE(acked_spend.empty());
  std::ofstream(trigger) << "fail\n";  // the disk fails from here on
  for (; i < clicks.size(); ++i) {
    gavel::v1::ReportEventsResponse resp;
    const grpc::Status st = ReportClick(stub.get(), clicks[i], &resp);
    EXPECT_FALSE(st.ok()) << fault << ": click " << i << " acknowledged on a failing disk";
    if (!st.ok()) break;
  }
  absl::StatusOr<int> exit_status = (*server)->WaitForExit(absl::Seconds(30));
  ASSERT_TRUE(exit_status.ok()) << exit_status.status();
  EXPECT_FALSE(WIFEXITED(*exit_status) && WEXITSTATUS(*exit_status) == 0)
      << fault << ": the server exited 0";
  EXPECT_NE((*server)->Output().find("FATAL gavel billing ledger"), std::string::npos)
      << (*server)->Output();

  // A restart on a working disk has every acknowledged charge, and charges nothing twice.
  std::remove(trigger.c_str());
  auto restarted = ServerProcess::Start("server/gavel_server", args);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  channel = grpc::CreateChannel((*restarted)->address(), grpc::InsecureChannelCredentials());
  const std::map<std::string, int64_t> recovered = SpendByCampaign(channel, campaigns);
  for (const std::string& c : campaigns) {
    EXPECT_GE(recovered.at(c), acked_spend[c]) << fault << ": acknowledged charges lost for " << c;
  }
  stub = gavel::v1::EventService::NewStub(channel);
  std::map<std::string, int64_t> charged_now;
  for (size_t k = 0; k < clicks.size(); ++k) {
    gavel::v1::ReportEventsResponse resp;
    ASSERT_TRUE(ReportClick(stub.get(), clicks[k], &resp).ok());
    const auto& r = resp.results(0);
    if (k < clicks.size() / 2) EXPECT_NE(r.outcome(), gavel::v1::EVENT_OUTCOME_CHARGED) << k;
    if (r.outcome() == gavel::v1::EVENT_OUTCOME_CHARGED) {
      charged_now[clicks[k].campaign_id] += r.charged_micros();
    }
  }
  const std::map<std::string, int64_t> final_spend = SpendByCampaign(channel, campaigns);
  for (const std::string& c : campaigns) {
    EXPECT_EQ(final_spend.at(c), recovered.at(c) + charged_now[c]) << fault << " " << c;
  }
}

TEST(CrashSafety, NoSpaceOnWriteStopsTheServerAndLosesNothingAcknowledged) {
  FailingDiskLosesNothingAcknowledged("write");
}

TEST(CrashSafety, FailedFsyncStopsTheServerAndLosesNothingAcknowledged) {
  FailingDiskLosesNothingAcknowledged("fdatasync");
}

TEST(CrashSafety, DamagedLedgerRefusesToStartWithDataLossNamingFileAndByte) {
  const std::vector<std::string> args = ServerArgs("ledger_damaged");
  {
    auto server = ServerProcess::Start("server/gavel_server", args);
    ASSERT_TRUE(server.ok()) << server.status();
    auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
    auto stub = gavel::v1::EventService::NewStub(channel);
    for (const Click& click : CollectClicks(channel, 10)) {
      gavel::v1::ReportEventsResponse resp;
      ASSERT_TRUE(ReportClick(stub.get(), click, &resp).ok());
    }
    (*server)->Kill(SIGTERM);
  }
  // One bit of the first record's payload: intact records follow it, so this is not a torn tail.
  const std::string segment =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/ledger_damaged/wal-00000000000000000001.log");
  std::fstream file(segment, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(file.is_open()) << segment;
  file.seekg(20);
  const char byte = static_cast<char>(file.get());
  file.seekp(20);
  file.put(static_cast<char>(byte ^ 0x10));
  file.close();
  auto restarted = ServerProcess::Start("server/gavel_server", args);
  ASSERT_FALSE(restarted.ok());
  const std::string message(restarted.status().message());
  EXPECT_NE(message.find("gavel_server: DATA_LOSS: " + segment + ": corrupt record at byte 8"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace gavel
