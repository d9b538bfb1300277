#include "learning/training_log.h"

#include <dirent.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "learning/training_record.h"

namespace gavel::learning {
namespace {

std::string TempDir() {
  std::string tmpl = absl::StrCat(::testing::TempDir(), "/tlogXXXXXX");
  return ::mkdtemp(tmpl.data());
}

// The files of `dir`, sorted by name, with their contents.
std::vector<std::pair<std::string, std::string>> Files(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  DIR* d = ::opendir(dir.c_str());
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::ifstream in(dir + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    out.emplace_back(name, ss.str());
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string Line(int i) { return EncodeClick({.time_micros = i, .auction_id = "a", .slot = 1}); }

TEST(TrainingLog, WritesHeaderThenLinesInOrder) {
  const std::string dir = TempDir();
  {
    auto log = TrainingLog::Open({.dir = dir, .now = [] { return absl::FromUnixSeconds(0); }});
    ASSERT_TRUE(log.ok()) << log.status();
    for (int i = 0; i < 3; ++i) EXPECT_TRUE((*log)->Append(Line(i)));
    (*log)->Flush();
    EXPECT_EQ((*log)->stats().written, 3);
    EXPECT_EQ((*log)->stats().files, 1);
  }
  auto files = Files(dir);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].first, "training-19700101T000000-0.log");
  EXPECT_EQ(files[0].second, absl::StrCat(kLogHeader, "\n", Line(0), Line(1), Line(2)));
}

TEST(TrainingLog, RotatesBySizeKeepingWholeLines) {
  const std::string dir = TempDir();
  const std::string line(1000, 'x');
  {
    auto log = TrainingLog::Open({.dir = dir, .max_file_bytes = 4096});
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 10; ++i) (*log)->Append(line + "\n");
  }
  auto files = Files(dir);
  // The 22-byte header and four 1001-byte lines fit in 4096 bytes, a fifth does not: 4 + 4 + 2.
  ASSERT_EQ(files.size(), 3u);
  for (const auto& [name, text] : files) {
    EXPECT_LE(text.size(), 4096u) << name;
    EXPECT_EQ(text.rfind(absl::StrCat(kLogHeader, "\n"), 0), 0u) << name;
    EXPECT_EQ(text.back(), '\n') << name;
  }
  EXPECT_EQ(files[0].second.size(), kLogHeader.size() + 1 + 4 * line.size() + 4);
  EXPECT_EQ(files[2].second.size(), kLogHeader.size() + 1 + 2 * line.size() + 2);
}

TEST(TrainingLog, RotatesByAge) {
  const std::string dir = TempDir();
  absl::Mutex mu;
  absl::Time now = absl::FromUnixSeconds(0);
  {
    auto log = TrainingLog::Open({.dir = dir, .max_file_age = absl::Minutes(10), .now = [&] {
                                    absl::MutexLock lock(&mu);
                                    return now;
                                  }});
    ASSERT_TRUE(log.ok());
    (*log)->Append(Line(1));
    (*log)->Flush();
    {
      absl::MutexLock lock(&mu);
      now += absl::Minutes(10);
    }
    (*log)->Append(Line(2));
    (*log)->Flush();
  }
  auto files = Files(dir);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].first, "training-19700101T000000-0.log");
  EXPECT_EQ(files[1].first, "training-19700101T001000-1.log");
  EXPECT_EQ(files[1].second, absl::StrCat(kLogHeader, "\n", Line(2)));
}

TEST(TrainingLog, NeverOverwritesAnExistingFile) {
  const std::string dir = TempDir();
  const auto epoch = [] { return absl::FromUnixSeconds(0); };
  for (int run = 0; run < 2; ++run) {
    auto log = TrainingLog::Open({.dir = dir, .now = epoch});
    ASSERT_TRUE(log.ok());
    (*log)->Append(Line(run));
  }
  auto files = Files(dir);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].second, absl::StrCat(kLogHeader, "\n", Line(0)));
  EXPECT_EQ(files[1].second, absl::StrCat(kLogHeader, "\n", Line(1)));
}

TEST(TrainingLog, DropsAndCountsWhenTheQueueIsFull) {
  const std::string dir = TempDir();
  // The writer stalls (as on a slow disk) on its first batch until every append has been made.
  absl::Notification appended_all;
  auto log = TrainingLog::Open({.dir = dir, .queue_capacity = 4, .now = [&] {
                                  appended_all.WaitForNotification();
                                  return absl::FromUnixSeconds(0);
                                }});
  ASSERT_TRUE(log.ok());
  int accepted = 0;
  for (int i = 0; i < 1000; ++i) accepted += (*log)->Append(Line(i));
  appended_all.Notify();
  (*log)->Flush();
  const TrainingLogStats s = (*log)->stats();
  EXPECT_EQ(s.appended, accepted);
  EXPECT_EQ(s.appended + s.dropped, 1000);
  // At most 4 in the stalled batch plus 4 queued behind it.
  EXPECT_GE(s.appended, 4);
  EXPECT_LE(s.appended, 8);
  EXPECT_EQ(s.written, s.appended);
}

TEST(TrainingLog, BadOptionsNameTheOption) {
  auto bytes = TrainingLog::Open({.dir = "/tmp", .max_file_bytes = 10});
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bytes.status().message(), "max_file_bytes must be >= 4096, got 10");
  auto queue = TrainingLog::Open({.dir = "/tmp", .queue_capacity = 0});
  EXPECT_EQ(queue.status().message(), "queue_capacity must be >= 1, got 0");
  auto dir = TrainingLog::Open({.dir = "/nonexistent/x"});
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(dir.status().message(), "training log directory \"/nonexistent/x\" is not a directory");
}

}  // namespace
}  // namespace gavel::learning
