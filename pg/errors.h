// pg/'s own helpers for turning libpq's results and messages into absl::Status (the mapping is
// documented in pg/result.h). Not for use outside pg/.
#ifndef GAVEL_PG_ERRORS_H_
#define GAVEL_PG_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "libpq-fe.h"

namespace gavel::pg::internal {

// The absl::Status payload holding an error's SQLSTATE (read by pg::SqlState).
inline constexpr char kSqlStatePayload[] = "gavel/pg/sqlstate";

absl::StatusCode CodeForSqlState(absl::string_view sqlstate);

// OK for PGRES_COMMAND_OK, PGRES_TUPLES_OK and PGRES_EMPTY_QUERY; otherwise the statement's error
// with its SQLSTATE (see pg/result.h), or kUnavailable if the connection is gone. `result` may be
// null (libpq could not even allocate one, or the connection is broken). May read from `conn`
// without waiting, to learn whether the server closed it.
absl::Status StatusOf(const PGresult* result, PGconn* conn);

// Reads, without waiting, whatever the server has sent on `conn`, so that libpq marks the
// connection bad (PQstatus) if the server has closed it: libpq itself learns of a closed
// connection only when it next reads.
void NoticeClosedConnection(PGconn* conn);

// `status` with `prefix` before its message ("migration 0002_budgets: "), payloads kept.
absl::Status WithPrefix(const absl::Status& status, absl::string_view prefix);

// libpq's messages end in a newline and may span lines ("...failed: Connection refused\n\tIs the
// server running...?\n"). Returns one line: trimmed, inner line breaks and tabs become "; " and "
// ".
std::string OneLine(absl::string_view message);

}  // namespace gavel::pg::internal

#endif  // GAVEL_PG_ERRORS_H_
