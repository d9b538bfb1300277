// The rows a statement returned (libpq's PGresult, owned), and how PostgreSQL's errors become
// absl::Status.
//
//   absl::StatusOr<pg::Result> r = conn->ExecParams("SELECT id, spend FROM c WHERE id = $1", {id});
//   if (!r.ok()) return r.status();  // pg::SqlState(r.status()) == "42P01" if c does not exist
//   absl::StatusOr<int64_t> spend = r->GetInt64(/*row=*/0, /*col=*/1);
//
// Values come in PostgreSQL's text format (what psql prints): "42", "t", "2026-12-01", "\x00ff" for
// bytea. Row and column indexes must be in range: [0, rows()) and [0, columns()).
//
// Errors a statement returns carry their SQLSTATE twice: in the message ("... [SQLSTATE 23505]"),
// for people, and as a payload that SqlState() reads, for code. Codes by SQLSTATE:
//   08 (connection), other 57 (shutdown), or none with the connection gone     kUnavailable
//   23505 unique_violation; 42P04 42P06 42P07 42701 42710 42723 (duplicate_*)  kAlreadyExists
//   3D000 3F000 42P01 42703 42704 42883 (no such database, table, ...)         kNotFound
//   other 23 (foreign key, not null, check), 25, P0 (RAISE EXCEPTION)          kFailedPrecondition
//   22003 numeric_value_out_of_range                                           kOutOfRange
//   other 22 (data exception), other 42 (syntax error, wrong type)             kInvalidArgument
//   40 (serialization failure, deadlock), 55P03 lock_not_available             kAborted: retry
//   57014 query_canceled (statement_timeout)                                   kDeadlineExceeded
//   28 (authorization), 42501 insufficient_privilege                           kPermissionDenied
//   53, 54 (out of resources, program limits)                                  kResourceExhausted
//   XX001 XX002 (data corrupted)                                               kDataLoss
//   anything else                                                              kInternal
//
// Thread-compatible: concurrent const calls are safe.
#ifndef GAVEL_PG_RESULT_H_
#define GAVEL_PG_RESULT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// libpq's types, declared as libpq-fe.h does, so that users of pg/ need not include it.
typedef struct pg_result PGresult;

namespace gavel::pg {

class Result {
 public:
  Result(Result&& other) noexcept;
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result();

  int rows() const;
  int columns() const;
  // Rows inserted, updated, deleted, selected, ... by the statement (the number in its command
  // tag, "UPDATE 3"); 0 for statements without one (CREATE TABLE).
  int64_t affected_rows() const;
  // The command tag: "INSERT 0 1", "UPDATE 3", "COMMIT", "ROLLBACK".
  absl::string_view command() const;
  absl::string_view column_name(int col) const;
  // The index of the column called `name`, or -1.
  int ColumnIndex(absl::string_view name) const;

  bool IsNull(int row, int col) const;
  // The value as text; "" for NULL (use IsNull to tell NULL from ""). Valid while this Result
  // lives.
  absl::string_view GetString(int row, int col) const;
  // The value as a base-10 64-bit integer (smallint, integer, bigint columns).
  // kInvalidArgument if it is NULL or not an integer in range, naming the row, column and value.
  absl::StatusOr<int64_t> GetInt64(int row, int col) const;
  // A bytea value, decoded. kInvalidArgument if it is NULL or the column is not bytea.
  absl::StatusOr<std::string> GetBytes(int row, int col) const;

  // Takes ownership of `result` (not null). For this library's internals.
  explicit Result(PGresult* result);

 private:
  PGresult* result_;
};

// The SQLSTATE of an error this library returned ("23505"), or "" if it carries none (a
// connection failure before any statement ran, or a status from elsewhere). Reads the payload, or
// failing that a "[SQLSTATE xxxxx]" in the message, so a status rebuilt with a longer message still
// answers.
std::string SqlState(const absl::Status& status);

// `bytes` as the text of a bytea parameter: "\x" followed by two hex digits per byte.
std::string EncodeBytea(absl::string_view bytes);

}  // namespace gavel::pg

#endif  // GAVEL_PG_RESULT_H_
