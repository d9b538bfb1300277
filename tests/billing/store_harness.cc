#include "tests/billing/store_harness.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "billing/postgres_store.h"
#include "tests/billing/billing_test_util.h"
#include "tests/pg/pg_server.h"

namespace gavel::billing::testing {
namespace {

// One PostgreSQL server for the whole test binary; destroyed (stopped) at exit.
gavel::testing::PgServer* SharedServer() {
  static std::unique_ptr<gavel::testing::PgServer> server = [] {
    auto s = gavel::testing::PgServer::Create();
    if (!s.ok()) {
      ADD_FAILURE() << "PostgreSQL did not start: " << s.status();
      return std::unique_ptr<gavel::testing::PgServer>();
    }
    return *std::move(s);
  }();
  return server.get();
}

// A database name from a test name: lower case letters, digits and '_'.
std::string DatabaseName(const std::string& name) {
  std::string db = "t_";
  for (char c : name) db.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return absl::AsciiStrToLower(db.substr(0, 60));
}

}  // namespace

std::string StoreName(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param == StoreKind::kEmbedded ? "Embedded" : "Postgres";
}

std::string PostgresDatabase(const std::string& name, bool fresh) {
  gavel::testing::PgServer* server = SharedServer();
  if (server == nullptr) return "";
  const std::string db = DatabaseName(name);
  if (fresh) {
    auto admin = pg::Connection::Open(server->conninfo());
    EXPECT_TRUE(admin.ok()) << admin.status();
    if (!admin.ok()) return "";
    EXPECT_TRUE((*admin)->Exec(absl::StrCat("DROP DATABASE IF EXISTS ", db)).ok());
    EXPECT_TRUE((*admin)->Exec(absl::StrCat("CREATE DATABASE ", db)).ok());
  }
  return server->conninfo(db);
}

std::unique_ptr<Billing> OpenStore(StoreKind kind, BillingConfig config, const Clock* clock,
                                   const std::string& name, bool fresh) {
  if (kind == StoreKind::kEmbedded) {
    std::string dir_name = name;
    std::replace(dir_name.begin(), dir_name.end(), '/', '_');  // parametrised test names
    config.ledger.dir = ::testing::TempDir() + "/billing_" + dir_name;
    if (fresh) std::filesystem::remove_all(config.ledger.dir);
    config.ledger.snapshot_every_records = 0;
    return OpenBilling(std::move(config), clock);
  }
  const std::string conninfo = PostgresDatabase(name, fresh);
  if (conninfo.empty()) return nullptr;
  config.event_store =
      [conninfo](const EventContext& context) -> absl::StatusOr<std::unique_ptr<EventStore>> {
    auto s = PostgresEventStore::Open({.conninfo = conninfo}, context);
    if (!s.ok()) return s.status();
    return std::unique_ptr<EventStore>(std::move(*s));
  };
  return OpenBilling(std::move(config), clock);
}

}  // namespace gavel::billing::testing
