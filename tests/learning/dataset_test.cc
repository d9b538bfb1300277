#include "learning/dataset.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace gavel::learning {
namespace {

std::string File(absl::string_view records) { return absl::StrCat(kLogHeader, "\n", records); }

TEST(LogJoiner, JoinsClicksThroughAuctionAndSlotAcrossFilesInTimeOrder) {
  LogJoiner joiner;
  ASSERT_TRUE(joiner
                  .AddFile("b.log", File("I\t20\ta2\t1\tv\t0000000000000000\tmatch exact\n"
                                         "C\t25\ta1\t2\n"
                                         "C\t26\ta9\t1\n"))
                  .ok());
  ASSERT_TRUE(joiner
                  .AddFile("a.log", File("I\t10\ta1\t1\tv\t0000000000000001\tmatch broad\n"
                                         "I\t10\ta1\t2\tv\t0000000000000001\tmatch phrase\n"
                                         "I\t10\ta1\t2\tv\t0000000000000001\tmatch phrase\n"))
                  .ok());
  JoinStats stats;
  std::vector<Example> ex = joiner.Finish(&stats);
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0].slot, 1);
  EXPECT_FALSE(ex[0].clicked);
  EXPECT_EQ(ex[1].slot, 2);
  EXPECT_TRUE(ex[1].clicked);  // the click came in a later file
  EXPECT_EQ(ex[1].features, (std::vector<Feature>{{"match", "phrase", ""}}));
  EXPECT_EQ(ex[2].time_micros, 20);
  EXPECT_FALSE(ex[2].clicked);
  EXPECT_EQ(stats.impressions, 3);
  EXPECT_EQ(stats.duplicate_impressions, 1);
  EXPECT_EQ(stats.clicks, 2);
  EXPECT_EQ(stats.clicks_without_impression, 1);
}

void ExpectRefused(absl::string_view text, absl::string_view message) {
  LogJoiner joiner;
  absl::Status st = joiner.AddFile("/logs/t-0.log", text);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), message);
}

TEST(LogJoiner, BadFilesNameTheFileAndLine) {
  ExpectRefused(File("C\t25\ta1\t2\nC\t26\ta"),
                "/logs/t-0.log line 3: truncated record (no newline at the end of the file)");
  ExpectRefused("gavel-training-log v2\n",
                "/logs/t-0.log line 1: unknown training log version \"gavel-training-log v2\", this "
                "trainer reads v1");
  ExpectRefused("hello\n",
                "/logs/t-0.log line 1: not a training log, expected \"gavel-training-log v1\"");
  ExpectRefused("", "/logs/t-0.log line 1: empty file, expected \"gavel-training-log v1\"");
  ExpectRefused(File("C\t25\ta1\t2\nC\tnan\ta1\t2\n"), "/logs/t-0.log line 3: bad time \"nan\"");
  ExpectRefused(File("I\t1\ta\t1\tv\t0000000000000000\tcolour red\n"),
                "/logs/t-0.log line 2: unknown feature \"colour\"");
  ExpectRefused(File("I\t1\ta\t1\tv\t0000000000000000\tslot 2\n"),
                "/logs/t-0.log line 2: a slot feature in the record's features");
}

}  // namespace
}  // namespace gavel::learning
