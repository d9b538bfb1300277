// Gavel's own schema: the files pg/migrations/NNNN_name.sql, embedded into the binary at build time
// (pg/embed_migrations.sh), so a server needs no files beside it to migrate a database.
//
//   absl::StatusOr<int> applied = pg::Migrate(*conn, pg::GavelMigrations());
#ifndef GAVEL_PG_GAVEL_MIGRATIONS_H_
#define GAVEL_PG_GAVEL_MIGRATIONS_H_

#include "absl/types/span.h"
#include "pg/migrate.h"

namespace gavel::pg {

// Every migration in pg/migrations, in version order. Static storage: valid for the program's life.
absl::Span<const Migration> GavelMigrations();

}  // namespace gavel::pg

#endif  // GAVEL_PG_GAVEL_MIGRATIONS_H_
