// When the embedded store writes snapshots: one per configured interval of records, counted from
// the last snapshot, however many ingests cross the threshold at once (issue 13: after a restart
// with a long log tail every waiting batch used to write its own full snapshot), and no temporary
// file of a killed snapshot outlives the next start.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "billing/billing.h"
#include "gtest/gtest.h"
#include "tests/billing/billing_test_util.h"

namespace gavel::billing {
namespace {

using testing::Click;
using testing::Impression;
using testing::kStart;
using testing::MakeBudget;
using testing::MakeConfig;
using testing::MakeWinner;

int CountFiles(const std::string& dir, absl::string_view suffix) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (absl::EndsWith(e.path().filename().string(), suffix)) ++n;
  }
  return n;
}

// Writes `n` impression records with snapshots off: a ledger whose whole log is the tail to replay.
void WriteLog(const std::string& dir, SimulatedClock* clock, int n) {
  auto b = testing::OpenBilling(MakeConfig(dir), clock);
  ASSERT_TRUE(b->UpsertCampaign(MakeBudget()).ok());
  for (int i = 0; i < n; ++i) {
    TokenPair t = *b->issuer().Issue(MakeWinner({.auction_id = absl::StrCat("old", i)}));
    ASSERT_TRUE(b->Ingest({Impression(absl::StrCat("old", i), t.impression_token)}).ok());
  }
}

TEST(LedgerSnapshots, RestartWithLongTailWritesOneSnapshotNotOnePerWaitingBatch) {
  const std::string dir = testing::FreshDir("snapshot_storm");
  SimulatedClock clock(kStart);
  WriteLog(dir, &clock, 300);
  ASSERT_EQ(CountFiles(dir, ".snap"), 0);

  BillingConfig config = MakeConfig(dir);
  config.ledger.snapshot_every_records = 200;
  // A slow disk: batches of clicks pile up behind each group commit, as on a busy server.
  config.ledger.fs = LedgerFsWithSync([](int fd) {
    usleep(2'000);
    return fdatasync(fd);
  });
  auto b = testing::OpenBilling(config, &clock);
  ASSERT_TRUE(b->UpsertCampaign(MakeBudget()).ok());
  constexpr int kThreads = 8;
  constexpr int kClicksPerThread = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kClicksPerThread; ++i) {
        TokenPair tok =
            *b->issuer().Issue(MakeWinner({.auction_id = absl::StrCat("a", t, "_", i)}));
        auto r = b->Ingest({Click(absl::StrCat("k", t, "_", i), tok.click_token)});
        EXPECT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  // The 300 replayed records make one snapshot due; the 160 new ones do not reach the next 200.
  EXPECT_EQ(CountFiles(dir, ".snap"), 1);
}

TEST(LedgerSnapshots, IntervalCountsFromTheLastSnapshot) {
  const std::string dir = testing::FreshDir("snapshot_interval");
  SimulatedClock clock(kStart);
  BillingConfig config = MakeConfig(dir);
  config.ledger.snapshot_every_records = 50;
  auto b = testing::OpenBilling(config, &clock);
  ASSERT_TRUE(b->UpsertCampaign(MakeBudget()).ok());
  auto impression = [&](int i) {
    TokenPair t = *b->issuer().Issue(MakeWinner({.auction_id = absl::StrCat("a", i)}));
    return b->Ingest({Impression(absl::StrCat("i", i), t.impression_token)}).ok();
  };
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(impression(i));
  ASSERT_TRUE(b->Snapshot().ok());  // an explicit snapshot restarts the count
  for (int i = 30; i < 79; ++i) ASSERT_TRUE(impression(i));
  EXPECT_EQ(CountFiles(dir, ".snap"), 1);
  ASSERT_TRUE(impression(79));
  EXPECT_EQ(CountFiles(dir, ".snap"), 2);
}

TEST(LedgerSnapshots, StartRemovesTemporaryFilesOfKilledSnapshots) {
  const std::string dir = testing::FreshDir("snapshot_tmp");
  SimulatedClock clock(kStart);
  WriteLog(dir, &clock, 5);
  // What snapshots killed between create and rename leave behind.
  std::ofstream(dir + "/snap-00000000000000000005.snap.tmp") << "GAVELSNP partial";
  std::ofstream(dir + "/snap-00000000000000000003.snap.tmp") << "";
  std::ofstream(dir + "/notes.tmp") << "not ours";
  auto b = testing::OpenBilling(MakeConfig(dir), &clock);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(CountFiles(dir, ".snap.tmp"), 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/notes.tmp"));
  ASSERT_TRUE(b->UpsertCampaign(MakeBudget()).ok());
  auto stats = b->Stats("c1", absl::CivilDay(2026, 6, 15), absl::CivilDay(2026, 6, 15));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->total.counters.impressions, 5);
}

}  // namespace
}  // namespace gavel::billing
