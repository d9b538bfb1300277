// Versioned schema migrations: SQL files applied once each, in order, recorded in the database.
//
//   absl::StatusOr<int> applied = pg::Migrate(*conn, pg::GavelMigrations());
//   // 0 when the schema is already current
//
// Each migration runs in its own transaction together with its row in
//   schema_migrations(version integer PRIMARY KEY, name text, applied_at timestamptz)
// so a migration is applied entirely or not at all. Every transaction first takes a transaction-
// level advisory lock (pg_advisory_xact_lock with one fixed key), then reads schema_migrations: any
// number of processes may call Migrate at once (replicas starting together) and each migration is
// still applied exactly once; the others wait, then find it recorded.
//
// A migration's SQL may hold several statements; it must not hold transaction control (BEGIN,
// COMMIT) or statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY, VACUUM). Keep
// it to SQL that Citus also runs (docs/architecture.md).
//
// Migrate refuses (kFailedPrecondition) a database whose schema_migrations is not a prefix of
// `migrations`: a version this binary does not know (a newer binary migrated it: run that one), a
// known version recorded under another name, or a version missing below a recorded one.
#ifndef GAVEL_PG_MIGRATE_H_
#define GAVEL_PG_MIGRATE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "pg/connection.h"

namespace gavel::pg {

struct Migration {
  int version = 0;         // 1, 2, 3, ...: the position in the list, from 1
  absl::string_view name;  // "init": the file name without the number and ".sql"
  absl::string_view sql;   // run with Connection::Exec
};

// Applies every migration of `migrations` that `conn`'s database has not recorded, in order;
// returns how many it applied. Errors:
//   kInvalidArgument     `migrations` is malformed (versions not 1, 2, 3, ...; an empty name)
//   kFailedPrecondition  the database's schema_migrations does not match (see above)
//   a migration's own error (pg/result.h), its message prefixed with "migration NNNN_name: "; the
//   migrations before it stay applied
//   kUnavailable         the connection broke
// `conn` must not be inside a transaction.
absl::StatusOr<int> Migrate(Connection& conn, absl::Span<const Migration> migrations);

}  // namespace gavel::pg

#endif  // GAVEL_PG_MIGRATE_H_
