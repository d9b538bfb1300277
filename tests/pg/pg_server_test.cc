// The throwaway PostgreSQL fixture: it starts (as nobody when the test runs as root), accepts
// connections over its Unix socket and TCP, runs durably, survives Crash() with its committed data,
// and a Connection notices the crash and reconnects with Reset().
#include "tests/pg/pg_server.h"

#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pg/connection.h"

namespace gavel {
namespace {

using ::gavel::testing::PgServer;
using ::gavel::testing::PgServerSuite;
using ::testing::HasSubstr;

class PgServerTest : public PgServerSuite {
 protected:
  static std::unique_ptr<pg::Connection> Connect(const std::string& conninfo) {
    absl::StatusOr<std::unique_ptr<pg::Connection>> conn = pg::Connection::Open(conninfo);
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? *std::move(conn) : nullptr;
  }

  static std::string Show(pg::Connection& conn, const std::string& setting) {
    absl::StatusOr<pg::Result> r = conn.Exec("SHOW " + setting);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::string(r->GetString(0, 0)) : "";
  }
};

TEST_F(PgServerTest, AcceptsConnectionsOverItsUnixSocketAndTcp) {
  EXPECT_GT(server_->port(), 0);
  EXPECT_THAT(server_->conninfo(), HasSubstr(server_->socket_dir()));
  EXPECT_EQ(access((server_->socket_dir() + "/.s.PGSQL." + std::to_string(server_->port())).c_str(),
                   F_OK),
            0);
  for (const std::string& conninfo : {server_->conninfo(), server_->tcp_conninfo()}) {
    std::unique_ptr<pg::Connection> conn = Connect(conninfo);
    ASSERT_NE(conn, nullptr) << conninfo;
    EXPECT_EQ(Show(*conn, "server_version_num").substr(0, 2), "15");
    absl::StatusOr<pg::Result> db = conn->Exec("SELECT current_database(), current_user");
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_EQ(db->GetString(0, 0), "gavel");
    EXPECT_EQ(db->GetString(0, 1), "gavel");
    EXPECT_EQ(conn->server_version() / 10000, 15);
  }
}

TEST_F(PgServerTest, RunsDurablyAsAnUnprivilegedUser) {
  std::unique_ptr<pg::Connection> conn = Connect(server_->conninfo());
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(Show(*conn, "fsync"), "on");
  EXPECT_EQ(Show(*conn, "synchronous_commit"), "on");
  EXPECT_EQ(Show(*conn, "full_page_writes"), "on");
  // The data directory belongs to the server's user: never root.
  struct stat st;
  ASSERT_EQ(stat(server_->data_dir().c_str(), &st), 0);
  EXPECT_NE(st.st_uid, 0u);
  if (geteuid() != 0) {
    EXPECT_EQ(st.st_uid, geteuid());
  }
}

TEST_F(PgServerTest, CrashKeepsCommittedRowsAndConnectionReconnectsWithReset) {
  std::unique_ptr<pg::Connection> conn = Connect(server_->conninfo());
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Exec("CREATE TABLE crash_rows (id bigint PRIMARY KEY)").ok());
  ASSERT_TRUE(conn->Exec("INSERT INTO crash_rows SELECT generate_series(1, 100)").ok());
  EXPECT_FALSE(conn->IsConnectionLost());

  ASSERT_TRUE(server_->Crash().ok()) << server_->LogTail();
  EXPECT_FALSE(server_->running());
  EXPECT_TRUE(conn->IsConnectionLost());  // noticed before any statement fails
  absl::StatusOr<pg::Result> during = conn->Exec("SELECT 1");
  EXPECT_EQ(during.status().code(), absl::StatusCode::kUnavailable) << during.status();
  EXPECT_TRUE(conn->IsConnectionLost());
  absl::Status down = conn->Reset();
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  EXPECT_THAT(down.message(), HasSubstr("cannot connect to PostgreSQL"));

  ASSERT_TRUE(server_->Start().ok()) << server_->LogTail();
  ASSERT_TRUE(conn->Reset().ok());
  EXPECT_FALSE(conn->IsConnectionLost());
  absl::StatusOr<pg::Result> count = conn->Exec("SELECT count(*) FROM crash_rows");
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count->GetInt64(0, 0), 100);
  const std::string log = server_->LogTail(100);
  EXPECT_THAT(log, HasSubstr("database system was interrupted"));
  EXPECT_EQ(log.find('\0'), std::string::npos) << log;
}

TEST_F(PgServerTest, StopAndStartKeepThePortAndTheData) {
  const int port = server_->port();
  {
    std::unique_ptr<pg::Connection> conn = Connect(server_->tcp_conninfo());
    ASSERT_NE(conn, nullptr);
    ASSERT_TRUE(
        conn->Exec("CREATE TABLE stop_rows (id bigint); INSERT INTO stop_rows VALUES (7)").ok());
  }
  ASSERT_TRUE(server_->Stop().ok()) << server_->LogTail();
  EXPECT_TRUE(server_->Stop().ok());  // stopping a stopped server is a no-op
  ASSERT_TRUE(server_->Start().ok()) << server_->LogTail();
  EXPECT_EQ(server_->Start().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(server_->port(), port);
  std::unique_ptr<pg::Connection> conn = Connect(server_->tcp_conninfo());
  ASSERT_NE(conn, nullptr);
  absl::StatusOr<pg::Result> r = conn->Exec("SELECT id FROM stop_rows");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r->GetInt64(0, 0), 7);
}

TEST_F(PgServerTest, CreateDatabaseReturnsItsConninfo) {
  absl::StatusOr<std::string> conninfo = server_->CreateDatabase("second db");
  ASSERT_TRUE(conninfo.ok()) << conninfo.status();
  std::unique_ptr<pg::Connection> conn = Connect(*conninfo);
  ASSERT_NE(conn, nullptr);
  absl::StatusOr<pg::Result> r = conn->Exec("SELECT current_database()");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->GetString(0, 0), "second db");
  EXPECT_EQ(server_->CreateDatabase("second db").status().code(),
            absl::StatusCode::kAlreadyExists);  // 42P04 duplicate_database
}

TEST(PgServerLifetime, DestructorStopsTheServerAndRemovesItsDirectory) {
  std::string root;
  int port = 0;
  {
    absl::StatusOr<std::unique_ptr<PgServer>> server = PgServer::Create({.database = "lifetime"});
    ASSERT_TRUE(server.ok()) << server.status();
    root = (*server)->socket_dir();
    port = (*server)->port();
  }
  struct stat st;
  EXPECT_NE(stat(root.c_str(), &st), 0) << root << " still exists";
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn = pg::Connection::Open(
      "host=127.0.0.1 port=" + std::to_string(port) + " dbname=lifetime user=gavel");
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace gavel
