// pg::CopyOut and pg::QuoteLiteral against a real server: rows stream in with each type's value,
// NULLs and empty results, errors (the query's, the callback's, a row's bad type) leave the
// connection usable, and quoted literals round-trip whatever text they hold.
#include "pg/copy.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pg/connection.h"
#include "pg/result.h"
#include "tests/pg/pg_server.h"

namespace gavel {
namespace {

using ::gavel::testing::PgServerSuite;
using ::testing::HasSubstr;

class CopyTest : public PgServerSuite {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
        pg::Connection::Open(server_->conninfo());
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = *std::move(conn);
  }

  // The connection still answers a plain statement.
  void ExpectUsable() {
    absl::StatusOr<pg::Result> r = conn_->Exec("SELECT 41 + 1");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r->GetInt64(0, 0), 42);
  }

  std::unique_ptr<pg::Connection> conn_;
};

TEST_F(CopyTest, RowsArriveInOrderWithEachTypesValue) {
  const std::string bytes("\x00\x01\xff'\"\\x", 7);
  struct Row {
    int64_t big, small, tiny;
    std::string text, raw;
    bool null_text;
  };
  std::vector<Row> rows;
  absl::Status st = pg::CopyOut(
      *conn_,
      absl::StrCat("SELECT i::bigint * 3000000000, (-i)::integer, (i % 7)::smallint, "
                   "CASE WHEN i % 2 = 0 THEN 'row ' || i END, ",
                   "'\\x0001ff27225c78'::bytea FROM generate_series(1, 5000) AS i ORDER BY i"),
      [&](const pg::CopyRow& r) -> absl::Status {
        EXPECT_EQ(r.size(), 5);
        Row row;
        row.big = *r.Int64(0);
        row.small = *r.Int64(1);
        row.tiny = *r.Int64(2);
        row.null_text = r.IsNull(3);
        row.text = std::string(r.Bytes(3));
        row.raw = std::string(r.Bytes(4));
        rows.push_back(row);
        return absl::OkStatus();
      });
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(rows.size(), 5000u);
  for (int i = 1; i <= 5000; ++i) {
    const Row& row = rows[i - 1];
    EXPECT_EQ(row.big, int64_t{3000000000} * i);
    EXPECT_EQ(row.small, -i);
    EXPECT_EQ(row.tiny, i % 7);
    EXPECT_EQ(row.null_text, i % 2 != 0);
    EXPECT_EQ(row.text, i % 2 == 0 ? absl::StrCat("row ", i) : "");
    EXPECT_EQ(row.raw, bytes);
  }
  ExpectUsable();
}

TEST_F(CopyTest, ExtremeIntegersAndAnEmptyResult) {
  std::vector<int64_t> seen;
  absl::Status st = pg::CopyOut(
      *conn_,
      "VALUES ('9223372036854775807'::bigint, '-2147483648'::integer, '-32768'::smallint), "
      "('-9223372036854775808'::bigint, '2147483647'::integer, '32767'::smallint)",
      [&](const pg::CopyRow& r) -> absl::Status {
        for (int c = 0; c < 3; ++c) seen.push_back(*r.Int64(c));
        return absl::OkStatus();
      });
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_THAT(seen,
              ::testing::ElementsAre(std::numeric_limits<int64_t>::max(), INT32_MIN, INT16_MIN,
                                     std::numeric_limits<int64_t>::min(), INT32_MAX, INT16_MAX));
  int calls = 0;
  st = pg::CopyOut(*conn_, "SELECT 1 WHERE false", [&](const pg::CopyRow&) {
    ++calls;
    return absl::OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(calls, 0);
}

TEST_F(CopyTest, TheQuerysErrorCarriesItsCode) {
  absl::Status st = pg::CopyOut(*conn_, "SELECT * FROM no_such_table",
                                [](const pg::CopyRow&) { return absl::OkStatus(); });
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_EQ(pg::SqlState(st), "42P01");
  ExpectUsable();
  // An error while rows are already streaming (division by zero at the 3,000th).
  int calls = 0;
  st = pg::CopyOut(*conn_, "SELECT 1 / (3000 - i) FROM generate_series(1, 5000) AS i",
                   [&](const pg::CopyRow&) {
                     ++calls;
                     return absl::OkStatus();
                   });
  EXPECT_EQ(pg::SqlState(st), "22012") << st;
  EXPECT_LT(calls, 3000);
  ExpectUsable();
}

TEST_F(CopyTest, TheCallbacksErrorStopsTheCallsAndLeavesTheConnectionUsable) {
  int calls = 0;
  absl::Status st = pg::CopyOut(*conn_, "SELECT i FROM generate_series(1, 20000) AS i",
                                [&](const pg::CopyRow& r) -> absl::Status {
                                  ++calls;
                                  if (*r.Int64(0) == 10) return absl::AbortedError("enough");
                                  return absl::OkStatus();
                                });
  EXPECT_EQ(st, absl::AbortedError("enough"));
  EXPECT_EQ(calls, 10);
  ExpectUsable();
}

TEST_F(CopyTest, Int64NamesTheColumnOfANullOrAnotherType) {
  std::vector<absl::Status> errors;
  absl::Status st = pg::CopyOut(*conn_, "SELECT NULL::bigint, 'abc'::text, 1.5::float8",
                                [&](const pg::CopyRow& r) -> absl::Status {
                                  for (int c = 0; c < 3; ++c) errors.push_back(r.Int64(c).status());
                                  return absl::OkStatus();
                                });
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_THAT(errors[0].message(), HasSubstr("column 0 is NULL"));
  EXPECT_THAT(errors[1].message(), HasSubstr("column 1 has 3 bytes"));
  // A float8 is 8 bytes: widths alone cannot tell it from a bigint, so callers pick the columns.
  EXPECT_TRUE(errors[2].ok());
}

TEST_F(CopyTest, QuotedLiteralsRoundTrip) {
  for (const std::string text :
       {std::string("plain"), std::string("it's"), std::string("back\\slash \\' both"),
        std::string("$1 ; DROP TABLE x; --"), std::string("sp\xc3\xa4ter"), std::string("")}) {
    absl::StatusOr<std::string> quoted = pg::QuoteLiteral(*conn_, text);
    ASSERT_TRUE(quoted.ok()) << quoted.status();
    std::string back;
    absl::Status st =
        pg::CopyOut(*conn_, absl::StrCat("SELECT ", *quoted, "::text"), [&](const pg::CopyRow& r) {
          back = std::string(r.Bytes(0));
          return absl::OkStatus();
        });
    ASSERT_TRUE(st.ok()) << st;
    EXPECT_EQ(back, text);
  }
  EXPECT_EQ(pg::QuoteLiteral(*conn_, std::string("a\0b", 3)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pg::QuoteLiteral(*conn_, "bad \xff utf-8").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gavel
