#include "pg/migrate.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pg/errors.h"

namespace gavel::pg {
namespace {

// The advisory lock that serializes migrators: "gavel_mg" in ASCII, a key no application lock of
// ours uses.
constexpr int64_t kLockKey = 0x676176656c5f6d67;

constexpr char kCreateTable[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";

std::string Label(int version, absl::string_view name) {
  return absl::StrFormat("%04d_%s", version, name);
}

absl::Status CheckList(absl::Span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    const Migration& m = migrations[i];
    if (m.version != static_cast<int>(i) + 1) {
      return absl::InvalidArgumentError(absl::StrCat("migration ", i + 1,
                                                     " of the list has version ", m.version,
                                                     "; versions must be 1, 2, 3, ..."));
    }
    if (m.name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("migration ", m.version, " has no name"));
    }
  }
  return absl::OkStatus();
}

// How many of `migrations` the database has recorded, or kFailedPrecondition if its
// schema_migrations is not a prefix of them. Call with the lock held.
absl::StatusOr<size_t> CountApplied(Connection& conn, absl::Span<const Migration> migrations) {
  absl::StatusOr<Result> rows =
      conn.Exec("SELECT version, name FROM schema_migrations ORDER BY version");
  if (!rows.ok()) return rows.status();
  const int n = rows->rows();
  if (n == 0) return 0;
  absl::StatusOr<int64_t> newest = rows->GetInt64(n - 1, 0);
  if (!newest.ok()) return newest.status();
  if (*newest > static_cast<int64_t>(migrations.size())) {
    return absl::FailedPreconditionError(
        absl::StrCat("the database schema is at version ", *newest, " (", rows->GetString(n - 1, 1),
                     "), newer than this binary's newest migration ",
                     migrations.empty() ? std::string("(none)")
                                        : Label(migrations.back().version, migrations.back().name),
                     ": run a binary built with that migration"));
  }
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<int64_t> version = rows->GetInt64(i, 0);
    if (!version.ok()) return version.status();
    if (*version != i + 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("schema_migrations records version ", *version, " but not version ", i + 1));
    }
    if (rows->GetString(i, 1) != migrations[i].name) {
      return absl::FailedPreconditionError(absl::StrCat(
          "schema_migrations records version ", *version, " as \"", rows->GetString(i, 1),
          "\" but this binary's migration ", *version, " is \"", migrations[i].name, "\""));
    }
  }
  return static_cast<size_t>(n);
}

}  // namespace

absl::StatusOr<int> Migrate(Connection& conn, absl::Span<const Migration> migrations) {
  if (absl::Status status = CheckList(migrations); !status.ok()) return status;
  int applied = 0;
  while (true) {
    bool current = false;
    absl::Status status = InTransaction(conn, [&]() -> absl::Status {
      // Released at COMMIT or ROLLBACK, so a crashed migrator never leaves it held.
      if (auto r = conn.ExecParams("SELECT pg_advisory_xact_lock($1::bigint)", {kLockKey});
          !r.ok()) {
        return r.status();
      }
      if (auto r = conn.Exec(kCreateTable); !r.ok()) return r.status();
      absl::StatusOr<size_t> done = CountApplied(conn, migrations);
      if (!done.ok()) return done.status();
      if (*done == migrations.size()) {
        current = true;
        return absl::OkStatus();
      }
      const Migration& m = migrations[*done];
      if (auto r = conn.Exec(m.sql); !r.ok()) {
        return internal::WithPrefix(r.status(),
                                    absl::StrCat("migration ", Label(m.version, m.name), ": "));
      }
      if (auto r = conn.ExecParams("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                   {m.version, m.name});
          !r.ok()) {
        return r.status();
      }
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    if (current) return applied;
    ++applied;
  }
}

}  // namespace gavel::pg
