#include "pg/array.h"

#include "gtest/gtest.h"

namespace gavel::pg {
namespace {

TEST(TextArray, QuotesEveryElementAndEscapesQuotesAndBackslashes) {
  EXPECT_EQ(TextArray({}), "{}");
  EXPECT_EQ(TextArray({"a", "", "b,c", "{x}", "say \"hi\"", "\\x00ff"}),
            R"({"a","","b,c","{x}","say \"hi\"","\\x00ff"})");
}

TEST(TextArray, NullOnlyWhenAsked) {
  EXPECT_EQ(TextArray({"NULL", "x"}), R"({"NULL","x"})");
  EXPECT_EQ(TextArray({"NULL", "x"}, /*null_if_exactly_NULL=*/true), R"({NULL,"x"})");
}

TEST(Int64Array, RoundTripsThroughItsTextForm) {
  const std::vector<int64_t> v = {1, -2, 9'223'372'036'854'775'807};
  EXPECT_EQ(Int64ArrayLiteral(v), "{1,-2,9223372036854775807}");
  EXPECT_EQ(*ParseInt64Array(Int64ArrayLiteral(v)), v);
  EXPECT_TRUE(ParseInt64Array("{}")->empty());
}

TEST(Int64Array, RejectsWhatIsNotAFlatBigintArray) {
  for (const char* bad : {"", "{", "1,2", "{1,NULL}", "{{1}}", "{1.5}", "{a}"}) {
    EXPECT_EQ(ParseInt64Array(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace gavel::pg
