// pg::Migrate against a real server: migrations apply once and in order, a second run applies
// nothing, concurrent migrators apply each migration exactly once, and a database from a newer
// binary (or another migration history) is refused. Each test has a database of its own.
#include "pg/migrate.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pg/connection.h"
#include "pg/gavel_migrations.h"
#include "tests/pg/pg_server.h"

namespace gavel {
namespace {

using ::gavel::testing::PgServer;
using ::testing::HasSubstr;

// Each migration appends to `log`, so the test sees how often and in which order they ran.
constexpr pg::Migration kMigrations[] = {
    {1, "init", "CREATE TABLE log (n integer); INSERT INTO log VALUES (1);"},
    {2, "budgets", "CREATE TABLE budgets (id bigint PRIMARY KEY); INSERT INTO log VALUES (2);"},
    {3, "spend",
     "ALTER TABLE budgets ADD COLUMN spend bigint NOT NULL DEFAULT 0;\n"
     "INSERT INTO log VALUES (3);"},
};

class MigrateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<PgServer>> server =
        PgServer::Create({.settings = {{"max_connections", "50"}}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    absl::StatusOr<std::string> db =
        server_->CreateDatabase(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(db.ok()) << db.status();
    conninfo_ = *db;
    conn_ = Connect();
  }

  std::unique_ptr<pg::Connection> Connect() {
    absl::StatusOr<std::unique_ptr<pg::Connection>> conn = pg::Connection::Open(conninfo_);
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? *std::move(conn) : nullptr;
  }

  std::string Query(const std::string& sql) {
    absl::StatusOr<pg::Result> r = conn_->Exec(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
    if (!r.ok()) return "";
    std::string out;
    for (int row = 0; row < r->rows(); ++row) {
      for (int col = 0; col < r->columns(); ++col) {
        absl::StrAppend(&out, col > 0 ? "," : (row > 0 ? " " : ""), r->GetString(row, col));
      }
    }
    return out;
  }

  static PgServer* server_;
  std::string conninfo_;
  std::unique_ptr<pg::Connection> conn_;
};

PgServer* MigrateTest::server_ = nullptr;

TEST_F(MigrateTest, AppliesEachMigrationOnceInOrderAndRecordsIt) {
  absl::StatusOr<int> applied = pg::Migrate(*conn_, kMigrations);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, 3);
  EXPECT_EQ(Query("SELECT n FROM log"), "1 2 3");
  EXPECT_EQ(Query("SELECT version, name FROM schema_migrations ORDER BY version"),
            "1,init 2,budgets 3,spend");
  EXPECT_EQ(Query("SELECT count(*) FROM schema_migrations WHERE applied_at <= now()"), "3");
  EXPECT_EQ(Query("SELECT spend FROM budgets"), "");  // the table exists with its new column

  absl::StatusOr<int> again = pg::Migrate(*conn_, kMigrations);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(Query("SELECT n FROM log"), "1 2 3");
}

TEST_F(MigrateTest, ANewerBinaryAppliesOnlyWhatIsNew) {
  ASSERT_EQ(*pg::Migrate(*conn_, absl::MakeConstSpan(kMigrations).first(1)), 1);
  absl::StatusOr<int> applied = pg::Migrate(*conn_, kMigrations);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, 2);
  EXPECT_EQ(Query("SELECT n FROM log"), "1 2 3");
}

TEST_F(MigrateTest, RefusesADatabaseMigratedByANewerBinary) {
  ASSERT_EQ(*pg::Migrate(*conn_, kMigrations), 3);
  absl::StatusOr<int> older = pg::Migrate(*conn_, absl::MakeConstSpan(kMigrations).first(2));
  EXPECT_EQ(older.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(older.status().message(),
              HasSubstr("the database schema is at version 3 (spend), newer than this binary's "
                        "newest migration 0002_budgets"));
  EXPECT_EQ(Query("SELECT n FROM log"), "1 2 3");
}

TEST_F(MigrateTest, RefusesAnotherMigrationHistory) {
  ASSERT_EQ(*pg::Migrate(*conn_, absl::MakeConstSpan(kMigrations).first(1)), 1);
  const pg::Migration other[] = {{1, "other_init", "SELECT 1;"}, kMigrations[1]};
  absl::StatusOr<int> applied = pg::Migrate(*conn_, other);
  EXPECT_EQ(applied.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(applied.status().message(),
              HasSubstr("records version 1 as \"init\" but this binary's migration 1 is "
                        "\"other_init\""));
}

TEST_F(MigrateTest, AFailingMigrationLeavesTheOnesBeforeItApplied) {
  const pg::Migration migrations[] = {
      kMigrations[0],
      {2, "broken", "INSERT INTO log VALUES (2); SELECT * FROM no_such_table;"},
  };
  absl::StatusOr<int> applied = pg::Migrate(*conn_, migrations);
  EXPECT_EQ(applied.status().code(), absl::StatusCode::kNotFound) << applied.status();
  EXPECT_THAT(applied.status().message(), HasSubstr("migration 0002_broken: relation"));
  EXPECT_EQ(pg::SqlState(applied.status()), "42P01");
  EXPECT_EQ(Query("SELECT n FROM log"), "1");  // nothing of migration 2
  EXPECT_EQ(Query("SELECT version FROM schema_migrations"), "1");
}

TEST_F(MigrateTest, RejectsAMalformedList) {
  const pg::Migration gap[] = {kMigrations[0], kMigrations[2]};
  EXPECT_EQ(pg::Migrate(*conn_, gap).status().code(), absl::StatusCode::kInvalidArgument);
  const pg::Migration unnamed[] = {{1, "", "SELECT 1;"}};
  EXPECT_EQ(pg::Migrate(*conn_, unnamed).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MigrateTest, ConcurrentMigratorsApplyEachMigrationExactlyOnce) {
  // Replicas starting together. Each migrator has its own connection.
  constexpr int kMigrators = 8;
  std::vector<std::unique_ptr<pg::Connection>> conns;
  for (int i = 0; i < kMigrators; ++i) {
    conns.push_back(Connect());
    ASSERT_NE(conns.back(), nullptr);
  }
  std::atomic<int> go{0};
  std::vector<absl::StatusOr<int>> applied(kMigrators, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] {
      go.fetch_add(1);
      while (go.load() < kMigrators) {
      }
      applied[i] = pg::Migrate(*conns[i], kMigrations);
    });
  }
  for (std::thread& t : threads) t.join();
  int total = 0;
  for (const absl::StatusOr<int>& a : applied) {
    ASSERT_TRUE(a.ok()) << a.status();
    total += *a;
  }
  EXPECT_EQ(total, 3);
  EXPECT_EQ(Query("SELECT n FROM log"), "1 2 3");
  EXPECT_EQ(Query("SELECT count(*) FROM schema_migrations"), "3");
}

TEST_F(MigrateTest, GavelMigrationsAreEmbeddedAndApply) {
  absl::Span<const pg::Migration> gavel = pg::GavelMigrations();
  ASSERT_FALSE(gavel.empty());
  EXPECT_EQ(gavel[0].version, 1);
  EXPECT_EQ(gavel[0].name, "init");
  EXPECT_THAT(std::string(gavel[0].sql), HasSubstr("-- Gavel schema, version 1"));
  absl::StatusOr<int> applied = pg::Migrate(*conn_, gavel);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, static_cast<int>(gavel.size()));
  EXPECT_EQ(*pg::Migrate(*conn_, gavel), 0);
}

}  // namespace
}  // namespace gavel
