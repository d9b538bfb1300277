// pg::Pipeline against a real server: many statements in one round trip come back in order, run
// as one transaction (a failure rolls back the ones before it and skips the ones after), and the
// connection is usable afterwards.
#include "pg/pipeline.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pg/connection.h"
#include "tests/pg/pg_server.h"

namespace gavel {
namespace {

using ::gavel::testing::PgServerSuite;
using ::testing::HasSubstr;

class PipelineTest : public PgServerSuite {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
        pg::Connection::Open(server_->tcp_conninfo());
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = *std::move(conn);
    ASSERT_TRUE(conn_
                    ->Exec("DROP TABLE IF EXISTS charges; "
                           "CREATE TABLE charges (token text PRIMARY KEY, micros bigint)")
                    .ok());
  }

  int64_t Count() { return *conn_->Exec("SELECT count(*) FROM charges")->GetInt64(0, 0); }

  std::unique_ptr<pg::Connection> conn_;
};

TEST_F(PipelineTest, ReturnsOneResultPerStatementInOrder) {
  pg::Pipeline pipeline(conn_.get());
  for (int i = 0; i < 3; ++i) {
    pipeline.Add("INSERT INTO charges VALUES ($1, $2)", {absl::StrCat("t", i), 100 * i});
  }
  pipeline.Add("SELECT token, micros FROM charges ORDER BY token");
  pipeline.Add("UPDATE charges SET micros = micros + 1 WHERE micros > $1", {0});
  EXPECT_EQ(pipeline.size(), 5u);
  absl::StatusOr<std::vector<pg::Result>> results = pipeline.Run();
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(pipeline.size(), 0u);
  ASSERT_EQ(results->size(), 5u);
  EXPECT_EQ((*results)[0].command(), "INSERT 0 1");
  const pg::Result& select = (*results)[3];
  ASSERT_EQ(select.rows(), 3);  // sees the inserts before it
  EXPECT_EQ(select.GetString(2, 0), "t2");
  EXPECT_EQ(*select.GetInt64(2, 1), 200);
  EXPECT_EQ((*results)[4].affected_rows(), 2);
  EXPECT_EQ(Count(), 3);
}

TEST_F(PipelineTest, AFailingStatementRollsBackTheWholePipeline) {
  pg::Pipeline pipeline(conn_.get());
  pipeline.Add("INSERT INTO charges VALUES ($1, $2)", {"a", 1});
  pipeline.Add("INSERT INTO charges VALUES ($1, $2)", {"a", 2});  // duplicate
  pipeline.Add("INSERT INTO charges VALUES ($1, $2)", {"b", 3});
  absl::StatusOr<std::vector<pg::Result>> results = pipeline.Run();
  EXPECT_EQ(results.status().code(), absl::StatusCode::kAlreadyExists) << results.status();
  EXPECT_EQ(pg::SqlState(results.status()), "23505");
  EXPECT_THAT(results.status().message(), HasSubstr("statement 2 of 3: duplicate key"));
  EXPECT_EQ(Count(), 0);

  // The connection is out of pipeline mode and usable, for plain calls and another pipeline.
  ASSERT_TRUE(conn_->Exec("SELECT 1").ok());
  pipeline.Add("INSERT INTO charges VALUES ($1, $2)", {"a", 1});
  ASSERT_TRUE(pipeline.Run().ok());
  EXPECT_EQ(Count(), 1);
}

TEST_F(PipelineTest, ManyStatementsDoNotDeadlockOnFullSocketBuffers) {
  // Enough requests and responses to fill both directions' socket buffers many times over.
  pg::Pipeline pipeline(conn_.get());
  const std::string padding(200, 'x');
  constexpr int kStatements = 20000;
  for (int i = 0; i < kStatements; ++i) {
    pipeline.Add("INSERT INTO charges VALUES ($1, $2) RETURNING token, $3::text",
                 {absl::StrCat("t", i), i, padding});
  }
  absl::StatusOr<std::vector<pg::Result>> results = pipeline.Run();
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), static_cast<size_t>(kStatements));
  EXPECT_EQ((*results)[kStatements - 1].GetString(0, 0), absl::StrCat("t", kStatements - 1));
  EXPECT_EQ(Count(), kStatements);
}

TEST_F(PipelineTest, JoinsAnExplicitTransaction) {
  ASSERT_TRUE(conn_->Exec("BEGIN").ok());
  pg::Pipeline pipeline(conn_.get());
  pipeline.Add("INSERT INTO charges VALUES ($1, $2)", {"in-tx", 1});
  ASSERT_TRUE(pipeline.Run().ok());
  ASSERT_TRUE(conn_->Exec("ROLLBACK").ok());
  EXPECT_EQ(Count(), 0);
}

TEST_F(PipelineTest, EmptyPipelineSendsNothing) {
  pg::Pipeline pipeline(conn_.get());
  absl::StatusOr<std::vector<pg::Result>> results = pipeline.Run();
  ASSERT_TRUE(results.ok());
  EXPECT_TRUE(results->empty());
}

TEST_F(PipelineTest, NulByteIsRefusedBeforeSending) {
  pg::Pipeline pipeline(conn_.get());
  pipeline.Add("INSERT INTO charges VALUES ($1, $2)", {"fine", 1});
  pipeline.Add("INSERT INTO charges VALUES ($1, $2)", {absl::string_view("a\0b", 3), 2});
  absl::StatusOr<std::vector<pg::Result>> results = pipeline.Run();
  EXPECT_EQ(results.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(results.status().message(), HasSubstr("statement 2 of 2: parameter $1"));
  EXPECT_EQ(Count(), 0);
}

TEST_F(PipelineTest, ServerCrashIsUnavailable) {
  ASSERT_TRUE(server_->Crash().ok());
  pg::Pipeline pipeline(conn_.get());
  pipeline.Add("INSERT INTO charges VALUES ($1, $2)", {"lost", 1});
  absl::StatusOr<std::vector<pg::Result>> results = pipeline.Run();
  EXPECT_EQ(results.status().code(), absl::StatusCode::kUnavailable) << results.status();
  EXPECT_TRUE(conn_->IsConnectionLost());
  ASSERT_TRUE(server_->Start().ok()) << server_->LogTail();
  ASSERT_TRUE(conn_->Reset().ok());
  pipeline.Add("INSERT INTO charges VALUES ($1, $2)", {"after", 1});
  EXPECT_TRUE(pipeline.Run().ok());
  EXPECT_EQ(Count(), 1);
}

}  // namespace
}  // namespace gavel
