#include "billing/ledger.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace gavel::billing {
namespace {

namespace fs = std::filesystem;

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/ledger_" + name;
  fs::remove_all(dir);
  return dir;
}

std::vector<std::string> Replay(const std::string& dir, uint64_t after = 0,
                                RecoveryInfo* info = nullptr, absl::Status* status = nullptr) {
  std::vector<std::string> got;
  auto ledger = Ledger::Open(
      {.dir = dir}, after, [&](const LedgerRecord& r) { got.push_back(r.payload); }, info);
  if (status != nullptr) *status = ledger.status();
  return got;
}

void WriteRecords(const std::string& dir, int n, int first = 0) {
  auto ledger = Ledger::Open({.dir = dir}, 0, [](const LedgerRecord&) {});
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  uint64_t last = 0;
  for (int i = first; i < first + n; ++i) {
    auto lsn = (*ledger)->Append(absl::StrCat("record-", i));
    ASSERT_TRUE(lsn.ok());
    last = *lsn;
  }
  ASSERT_TRUE((*ledger)->WaitDurable(last).ok());
}

std::string OnlySegment(const std::string& dir) {
  std::vector<std::string> segs;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("wal-", 0) == 0) segs.push_back(e.path());
  }
  EXPECT_EQ(segs.size(), 1u);
  return segs.empty() ? "" : segs[0];
}

TEST(Ledger, ReplaysDurableRecordsInOrderAfterReopen) {
  const std::string dir = FreshDir("reopen");
  WriteRecords(dir, 100);
  RecoveryInfo info;
  std::vector<std::string> got = Replay(dir, 0, &info);
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got[0], "record-0");
  EXPECT_EQ(got[99], "record-99");
  EXPECT_EQ(info.last_lsn, 100u);
  EXPECT_EQ(info.truncated_bytes, 0u);
  WriteRecords(dir, 5, 100);
  got = Replay(dir);
  ASSERT_EQ(got.size(), 105u);
  EXPECT_EQ(got[104], "record-104");
  auto all = Ledger::ReadAll(dir);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 105u);
  EXPECT_EQ(all->back().lsn, 105u);
}

TEST(Ledger, ConcurrentAppendersAllBecomeDurable) {
  const std::string dir = FreshDir("concurrent");
  {
    auto ledger = Ledger::Open({.dir = dir}, 0, [](const LedgerRecord&) {});
    ASSERT_TRUE(ledger.ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 200; ++i) {
          auto lsn = (*ledger)->Append(absl::StrCat(t, ":", i));
          ASSERT_TRUE(lsn.ok());
          ASSERT_TRUE((*ledger)->WaitDurable(*lsn).ok());
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  EXPECT_EQ(Replay(dir).size(), 1600u);
}

TEST(Ledger, CutsTornTailAtEveryByteOffsetOfTheLastRecord) {
  const std::string dir = FreshDir("torn");
  WriteRecords(dir, 10);
  const std::string seg = OnlySegment(dir);
  const uintmax_t full = fs::file_size(seg);
  // Size of the last record: 8-byte header + 8-byte lsn + "record-9".
  const uintmax_t last_start = full - (8 + 8 + 8);
  const std::string copy = FreshDir("torn_copy");
  for (uintmax_t cut = last_start; cut < full; ++cut) {
    fs::remove_all(copy);
    fs::copy(dir, copy);
    fs::resize_file(OnlySegment(copy), cut);
    RecoveryInfo info;
    absl::Status status;
    std::vector<std::string> got = Replay(copy, 0, &info, &status);
    ASSERT_TRUE(status.ok()) << "cut at " << cut << ": " << status;
    ASSERT_EQ(got.size(), 9u) << "cut at " << cut;
    EXPECT_EQ(info.truncated_bytes, cut - last_start);
    EXPECT_EQ(fs::file_size(OnlySegment(copy)), last_start);
    // The log continues cleanly after the cut.
    WriteRecords(copy, 1, 100);
    got = Replay(copy);
    ASSERT_EQ(got.size(), 10u);
    EXPECT_EQ(got.back(), "record-100");
  }
}

void FlipByte(const std::string& path, uintmax_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  char c;
  f.get(c);
  f.seekp(offset);
  f.put(static_cast<char>(c ^ 0x20));
}

TEST(Ledger, CorruptLastRecordIsCutAsATornTail) {
  const std::string dir = FreshDir("corrupt_last");
  WriteRecords(dir, 10);
  const std::string seg = OnlySegment(dir);
  FlipByte(seg, fs::file_size(seg) - 3);
  RecoveryInfo info;
  EXPECT_EQ(Replay(dir, 0, &info).size(), 9u);
  EXPECT_EQ(info.truncated_bytes, 24u);
}

TEST(Ledger, CorruptRecordFollowedByValidOnesIsDataLoss) {
  const std::string dir = FreshDir("corrupt_mid");
  WriteRecords(dir, 10);
  const std::string seg = OnlySegment(dir);
  FlipByte(seg, 8 + 8 + 8 + 2);  // inside the payload of record 1
  absl::Status status;
  Replay(dir, 0, nullptr, &status);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("corrupt record at byte 8"), std::string::npos) << status;
  // ReadAll, for tools, stops before the damage instead.
  auto all = Ledger::ReadAll(dir);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 0u);
}

TEST(Ledger, FailedSyncStopsAcknowledgingAndCallsFatalHandlerOnce) {
  const std::string dir = FreshDir("fsync_fail");
  std::atomic<int> fatal_calls{0};
  std::atomic<bool> fail{false};
  auto ledger =
      Ledger::Open({.dir = dir,
                    .fatal_handler = [&](const absl::Status&) { fatal_calls.fetch_add(1); },
                    .fs = LedgerFsWithSync([&](int fd) {
                      if (fail.load()) {
                        errno = EIO;
                        return -1;
                      }
                      return fdatasync(fd);
                    })},
                   0, [](const LedgerRecord&) {});
  ASSERT_TRUE(ledger.ok());
  auto ok_lsn = (*ledger)->Append("before");
  ASSERT_TRUE((*ledger)->WaitDurable(*ok_lsn).ok());
  fail = true;
  auto lsn = (*ledger)->Append("lost");
  absl::Status s = (*ledger)->WaitDurable(*lsn);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("Input/output error"), std::string::npos) << s;
  fail = false;  // a later successful fsync must not resurrect the ledger
  EXPECT_EQ((*ledger)->Append("after").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*ledger)->WaitDurable(*lsn).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE((*ledger)->WaitDurable(*ok_lsn).ok());
  ledger->reset();
  EXPECT_EQ(fatal_calls.load(), 1);
}

TEST(Ledger, SnapshotBoundsRecoveryAndCorruptSnapshotFallsBack) {
  const std::string dir = FreshDir("snapshot");
  {
    auto ledger = Ledger::Open({.dir = dir}, 0, [](const LedgerRecord&) {});
    ASSERT_TRUE(ledger.ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE((*ledger)->Append("a").ok());
    ASSERT_TRUE((*ledger)->Rotate().ok());
    ASSERT_TRUE((*ledger)->WriteSnapshot(10, "state-at-10").ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*ledger)->WaitDurable(*(*ledger)->Append("b")).ok());
  }
  auto snap = Ledger::LoadLatestSnapshot(dir);
  ASSERT_TRUE(snap.ok() && snap->has_value());
  EXPECT_EQ((*snap)->lsn, 10u);
  EXPECT_EQ((*snap)->state, "state-at-10");
  RecoveryInfo info;
  std::vector<std::string> got = Replay(dir, 10, &info);
  EXPECT_EQ(got, std::vector<std::string>(5, "b"));
  EXPECT_EQ(info.last_lsn, 15u);
  FlipByte(dir + "/snap-00000000000000000010.snap", 30);
  snap = Ledger::LoadLatestSnapshot(dir);
  ASSERT_TRUE(snap.ok());
  EXPECT_FALSE(snap->has_value());
  EXPECT_EQ(Replay(dir, 0).size(), 15u);  // the old segment is still there
}

}  // namespace
}  // namespace gavel::billing
