// pg::Connection and pg::Result against a real server: values of each type round-trip through
// parameters, errors carry their SQLSTATE and the right code, transactions commit or roll back,
// and failing to connect is one clear line that never shows the password.
#include "pg/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pg/result.h"
#include "tests/pg/pg_server.h"

namespace gavel {
namespace {

using ::gavel::testing::PgServerSuite;
using ::testing::HasSubstr;
using ::testing::Not;

class ConnectionTest : public PgServerSuite {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
        pg::Connection::Open(server_->conninfo());
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = *std::move(conn);
  }

  std::unique_ptr<pg::Connection> conn_;
};

TEST_F(ConnectionTest, ParametersAndResultsRoundTripEachType) {
  const std::string quoted = "it's a \"quoted\" \\ back'slash; DROP TABLE x; --";
  const std::string bytes("\x00\x01\xff'\"\\x", 7);
  const std::string bytea = pg::EncodeBytea(bytes);
  absl::StatusOr<pg::Result> r = conn_->ExecParams(
      "SELECT $1::bigint AS big, $2::bigint AS small, $3::text AS quoted, $4::text AS null_text, "
      "$5::bytea AS raw, $6::boolean AS yes, $7::integer AS seven, $8::text AS empty",
      {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), quoted, pg::kNull,
       bytea, true, 7, ""});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->rows(), 1);
  ASSERT_EQ(r->columns(), 8);
  EXPECT_EQ(*r->GetInt64(0, 0), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*r->GetInt64(0, 1), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r->GetString(0, 2), quoted);
  EXPECT_TRUE(r->IsNull(0, 3));
  EXPECT_EQ(r->GetString(0, 3), "");
  EXPECT_EQ(*r->GetBytes(0, 4), bytes);
  EXPECT_EQ(r->GetString(0, 5), "t");
  EXPECT_EQ(*r->GetInt64(0, 6), 7);
  EXPECT_FALSE(r->IsNull(0, 7));
  EXPECT_EQ(r->GetString(0, 7), "");
  EXPECT_EQ(r->column_name(2), "quoted");
  EXPECT_EQ(r->ColumnIndex("raw"), 4);
  EXPECT_EQ(r->ColumnIndex("missing"), -1);
}

TEST_F(ConnectionTest, OptionalParametersAreNullWhenEmpty) {
  const std::optional<int64_t> none;
  const std::optional<std::string> name = "x";
  absl::StatusOr<pg::Result> r =
      conn_->ExecParams("SELECT $1::bigint IS NULL, $2::text", {none, name});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->GetString(0, 0), "t");
  EXPECT_EQ(r->GetString(0, 1), "x");
}

TEST_F(ConnectionTest, GetInt64AndGetBytesNameTheBadValue) {
  absl::StatusOr<pg::Result> r = conn_->Exec("SELECT NULL::bigint AS n, 'abc' AS word, 1.5 AS x");
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<int64_t> null = r->GetInt64(0, 0);
  EXPECT_EQ(null.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(null.status().message(), HasSubstr("row 0 column 0 (n) is NULL"));
  absl::StatusOr<int64_t> word = r->GetInt64(0, 1);
  EXPECT_EQ(word.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(word.status().message(), HasSubstr("(word) is \"abc\", not a 64-bit integer"));
  EXPECT_EQ(r->GetInt64(0, 2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r->GetBytes(0, 1).status().message(), HasSubstr("not bytea"));
}

TEST_F(ConnectionTest, AffectedRowsAndCommandTag) {
  ASSERT_TRUE(conn_->Exec("CREATE TABLE counted (id bigint PRIMARY KEY, n bigint)").ok());
  absl::StatusOr<pg::Result> insert =
      conn_->Exec("INSERT INTO counted SELECT i, 0 FROM generate_series(1, 5) i");
  ASSERT_TRUE(insert.ok()) << insert.status();
  EXPECT_EQ(insert->affected_rows(), 5);
  EXPECT_EQ(insert->command(), "INSERT 0 5");
  absl::StatusOr<pg::Result> update =
      conn_->ExecParams("UPDATE counted SET n = n + 1 WHERE id <= $1", {3});
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_EQ(update->affected_rows(), 3);
  EXPECT_EQ(update->rows(), 0);
  absl::StatusOr<pg::Result> create = conn_->Exec("CREATE TABLE uncounted (id bigint)");
  ASSERT_TRUE(create.ok());
  EXPECT_EQ(create->affected_rows(), 0);
}

TEST_F(ConnectionTest, UniqueViolationIsAlreadyExistsWithSqlState23505) {
  ASSERT_TRUE(conn_->Exec("CREATE TABLE tokens (id text PRIMARY KEY)").ok());
  ASSERT_TRUE(conn_->ExecParams("INSERT INTO tokens VALUES ($1)", {"t1"}).ok());
  absl::StatusOr<pg::Result> again = conn_->ExecParams("INSERT INTO tokens VALUES ($1)", {"t1"});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(pg::SqlState(again.status()), "23505");
  EXPECT_THAT(again.status().message(),
              HasSubstr("duplicate key value violates unique constraint \"tokens_pkey\""));
  EXPECT_THAT(again.status().message(), HasSubstr("Key (id)=(t1) already exists."));
  EXPECT_THAT(again.status().message(), HasSubstr("[SQLSTATE 23505]"));
  EXPECT_THAT(std::string(again.status().message()), Not(HasSubstr("\n")));
  // A status rebuilt from the message alone still answers.
  EXPECT_EQ(pg::SqlState(absl::InternalError(absl::StrCat("wrapped: ", again.status().message()))),
            "23505");
  EXPECT_EQ(pg::SqlState(absl::InternalError("no code")), "");
}

TEST_F(ConnectionTest, ErrorCodesFollowTheSqlStateClass) {
  ASSERT_TRUE(conn_->Exec("CREATE TABLE checked (id bigint NOT NULL CHECK (id > 0))").ok());
  struct Case {
    std::string sql;
    std::string sqlstate;
    absl::StatusCode code;
  };
  for (const Case& c : {
           Case{"INSERT INTO checked VALUES (NULL)", "23502",
                absl::StatusCode::kFailedPrecondition},
           Case{"INSERT INTO checked VALUES (-1)", "23514", absl::StatusCode::kFailedPrecondition},
           Case{"SELECT 'x'::bigint", "22P02", absl::StatusCode::kInvalidArgument},
           Case{"SELECT 99999999999999999999::bigint", "22003", absl::StatusCode::kOutOfRange},
           Case{"SELEC 1", "42601", absl::StatusCode::kInvalidArgument},
           Case{"SELECT * FROM no_such_table", "42P01", absl::StatusCode::kNotFound},
           Case{"CREATE TABLE checked (id bigint)", "42P07", absl::StatusCode::kAlreadyExists},
           Case{"DO $$ BEGIN RAISE EXCEPTION 'budget'; END $$", "P0001",
                absl::StatusCode::kFailedPrecondition},
           Case{"SET statement_timeout = 50; SELECT pg_sleep(5)", "57014",
                absl::StatusCode::kDeadlineExceeded},
       }) {
    absl::StatusOr<pg::Result> r = conn_->Exec(c.sql);
    EXPECT_EQ(r.status().code(), c.code) << c.sql << ": " << r.status();
    EXPECT_EQ(pg::SqlState(r.status()), c.sqlstate) << c.sql;
  }
  ASSERT_TRUE(conn_->Exec("RESET statement_timeout").ok());
  EXPECT_FALSE(conn_->IsConnectionLost());  // statement errors leave the connection usable
}

TEST_F(ConnectionTest, ParameterWithNulByteIsRefused) {
  absl::StatusOr<pg::Result> r =
      conn_->ExecParams("SELECT $1::text", {absl::string_view("a\0b", 3)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("parameter $1 holds a NUL byte"));
}

TEST_F(ConnectionTest, InTransactionCommitsOrRollsBack) {
  ASSERT_TRUE(conn_->Exec("CREATE TABLE ledger (id bigint PRIMARY KEY)").ok());
  auto count = [&] { return *conn_->Exec("SELECT count(*) FROM ledger")->GetInt64(0, 0); };

  EXPECT_TRUE(pg::InTransaction(*conn_, [&] {
                return conn_->ExecParams("INSERT INTO ledger VALUES ($1)", {1}).status();
              }).ok());
  EXPECT_EQ(count(), 1);

  absl::Status failed = pg::InTransaction(*conn_, [&]() -> absl::Status {
    EXPECT_TRUE(conn_->ExecParams("INSERT INTO ledger VALUES ($1)", {2}).ok());
    return absl::FailedPreconditionError("over budget");
  });
  EXPECT_EQ(failed, absl::FailedPreconditionError("over budget"));
  EXPECT_EQ(count(), 1);

  // A body that swallows a statement's error cannot commit what came before it.
  absl::Status swallowed = pg::InTransaction(*conn_, [&] {
    EXPECT_TRUE(conn_->ExecParams("INSERT INTO ledger VALUES ($1)", {3}).ok());
    EXPECT_FALSE(conn_->ExecParams("INSERT INTO ledger VALUES ($1)", {1}).ok());
    return absl::OkStatus();
  });
  EXPECT_EQ(swallowed.code(), absl::StatusCode::kAborted) << swallowed;
  EXPECT_EQ(count(), 1);

  EXPECT_TRUE(
      pg::InTransaction(
          *conn_, [&] { return conn_->Exec("SELECT 1").status(); }, pg::Isolation::kSerializable)
          .ok());
  absl::StatusOr<pg::Result> level = conn_->Exec("SHOW transaction_isolation");
  EXPECT_EQ(level->GetString(0, 0), "read committed");  // back to the default after COMMIT
}

TEST(ConnectionOpen, UnreachableServerIsOneUnavailableLineWithoutThePassword) {
  // A port nothing listens on: the fixture's port would do, but this needs no server.
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
      pg::Connection::Open("host=127.0.0.1 port=1 dbname=gavel user=gavel password=s3cr3t-Pa55",
                           {.connect_timeout = absl::Seconds(2)});
  ASSERT_EQ(conn.status().code(), absl::StatusCode::kUnavailable) << conn.status();
  const std::string message(conn.status().message());
  EXPECT_THAT(message, HasSubstr("cannot connect to PostgreSQL (host=127.0.0.1 port=1 "
                                 "dbname=gavel user=gavel)"));
  EXPECT_THAT(message, HasSubstr("Connection refused"));
  EXPECT_THAT(message, Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(message, Not(HasSubstr("\n")));
}

TEST(ConnectionOpen, UriPasswordIsNotShownEither) {
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
      pg::Connection::Open("postgresql://gavel:s3cr3t-Pa55@127.0.0.1:1/gavel");
  ASSERT_EQ(conn.status().code(), absl::StatusCode::kUnavailable) << conn.status();
  EXPECT_THAT(conn.status().message(), Not(HasSubstr("s3cr3t")));
}

TEST(ConnectionOpen, MalformedConninfoIsInvalidArgumentWithoutThePassword) {
  // An unquoted space splits the password; libpq's message quotes the second half.
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
      pg::Connection::Open("host=127.0.0.1 password=s3cr3t Pa55word");
  ASSERT_EQ(conn.status().code(), absl::StatusCode::kInvalidArgument) << conn.status();
  EXPECT_THAT(conn.status().message(), HasSubstr("invalid PostgreSQL connection string"));
  EXPECT_THAT(conn.status().message(), Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(conn.status().message(), Not(HasSubstr("Pa55word")));

  absl::StatusOr<std::unique_ptr<pg::Connection>> uri =
      pg::Connection::Open("postgresql://gavel:s3cr3t%zz@127.0.0.1/gavel");
  ASSERT_EQ(uri.status().code(), absl::StatusCode::kInvalidArgument) << uri.status();
  EXPECT_THAT(uri.status().message(), Not(HasSubstr("s3cr3t")));

  // Without a password the message keeps libpq's detail.
  absl::StatusOr<std::unique_ptr<pg::Connection>> plain = pg::Connection::Open("host=x nonsense");
  EXPECT_THAT(plain.status().message(), HasSubstr("\"nonsense\""));
}

// A TCP port that completes the handshake (the kernel does, from the backlog) but never answers:
// libpq sends its startup packet and waits, so only connect_timeout ends the attempt.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(ConnectionOpen, ConnectTimeoutOptionAppliesWhenTheStringHasNone) {
  SilentListener silent;
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
      pg::Connection::Open(absl::StrCat("host=127.0.0.1 port=", silent.port(), " dbname=gavel"),
                           {.connect_timeout = absl::Seconds(2)});
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable) << conn.status();
  EXPECT_THAT(conn.status().message(), HasSubstr("timeout expired"));
}

TEST(ConnectionOpen, ConnectTimeoutInTheStringWinsOverTheOption) {
  SilentListener silent;
  // Were the option (an hour) used, the test would time out instead.
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn = pg::Connection::Open(
      absl::StrCat("postgresql://127.0.0.1:", silent.port(), "/gavel?connect_timeout=2"),
      {.connect_timeout = absl::Hours(1)});
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable) << conn.status();
  EXPECT_THAT(conn.status().message(), HasSubstr("timeout expired"));
}

}  // namespace
}  // namespace gavel
