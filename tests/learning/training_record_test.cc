#include "learning/training_record.h"

#include "gtest/gtest.h"

namespace gavel::learning {
namespace {

Impression MakeImpression() {
  return Impression{.time_micros = 1764676800000000,
                    .auction_id = "a-1",
                    .slot = 2,
                    .model_version = "3f2a",
                    .shopper_hash = 0x0123456789abcdefULL,
                    .features = {{"placement", "top_of_search", ""},
                                 {"query_token_x_category", "shoe", "cat 7%"}}};
}

TEST(TrainingRecord, ImpressionIsOneTabSeparatedLine) {
  EXPECT_EQ(EncodeImpression(MakeImpression()),
            "I\t1764676800000000\ta-1\t2\t3f2a\t0123456789abcdef\tplacement top_of_search\t"
            "query_token_x_category shoe cat%207%25\n");
}

TEST(TrainingRecord, ImpressionRoundTripsWithEscapedValues) {
  const std::string line = EncodeImpression(MakeImpression());
  absl::StatusOr<LogRecord> r = ParseRecord(line.substr(0, line.size() - 1));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->kind, LogRecord::Kind::kImpression);
  EXPECT_EQ(r->impression.time_micros, 1764676800000000);
  EXPECT_EQ(r->impression.auction_id, "a-1");
  EXPECT_EQ(r->impression.slot, 2);
  EXPECT_EQ(r->impression.model_version, "3f2a");
  EXPECT_EQ(r->impression.shopper_hash, 0x0123456789abcdefULL);
  EXPECT_EQ(r->impression.features, MakeImpression().features);
}

TEST(TrainingRecord, ClickRoundTrips) {
  EXPECT_EQ(EncodeClick({.time_micros = 5, .auction_id = "a\tb", .slot = 1}), "C\t5\ta%09b\t1\n");
  absl::StatusOr<LogRecord> r = ParseRecord("C\t5\ta%09b\t1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, LogRecord::Kind::kClick);
  EXPECT_EQ(r->click.auction_id, "a\tb");
  EXPECT_EQ(r->click.slot, 1);
}

void ExpectInvalid(absl::string_view line, absl::string_view message) {
  absl::StatusOr<LogRecord> r = ParseRecord(line);
  ASSERT_FALSE(r.ok()) << line;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), message);
}

TEST(TrainingRecord, BadLinesSayWhatIsWrong) {
  ExpectInvalid("X\t1", "unknown record kind \"X\"");
  ExpectInvalid("I\t1\ta\t1", "impression: expected at least 6 fields, got 4");
  ExpectInvalid("C\t1\ta", "click: expected 4 fields, got 3");
  ExpectInvalid("C\t-1\ta\t1", "bad time \"-1\"");
  ExpectInvalid("C\t1\ta\t0", "bad slot \"0\" (want 1-40)");
  ExpectInvalid("C\t1\ta%4\t1", "bad auction_id \"a%4\"");
  ExpectInvalid("I\t1\ta\t1\tv\t12", "bad shopper_hash \"12\" (want 16 hex digits)");
  ExpectInvalid("I\t1\ta\t1\tv\t0000000000000000\tplacement",
                "bad feature \"placement\" (want \"name value [value]\")");
}

}  // namespace
}  // namespace gavel::learning
