// Reading a query's rows as a stream: COPY (query) TO STDOUT in PostgreSQL's binary format.
//
//   absl::Status st = pg::CopyOut(*conn, "SELECT id, spend FROM c WHERE day = 7",
//                                 [&](const pg::CopyRow& row) -> absl::Status {
//                                   absl::StatusOr<int64_t> spend = row.Int64(1);
//                                   ...
//                                 });
//
// For statements returning many rows (hundreds of thousands): Connection::ExecParams collects a
// whole result in memory before returning, and a cursor's FETCH makes the server store each batch
// before sending it. A copy is sent as the server reads the rows and read here as it arrives: the
// client holds one row at a time, and the server and the client work at the same time.
//
// COPY takes no parameters: put values in the query with QuoteLiteral and integers with StrCat.
#ifndef GAVEL_PG_COPY_H_
#define GAVEL_PG_COPY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pg/connection.h"

namespace gavel::pg {

// One row of a binary copy: each column's value in PostgreSQL's binary format. Valid only during
// the call it is passed to. Column indexes must be in [0, size()).
class CopyRow {
 public:
  int size() const { return static_cast<int>(fields_.size()); }
  bool IsNull(int col) const;
  // The value's bytes: a text or varchar column's text, a bytea column's bytes; "" for NULL.
  absl::string_view Bytes(int col) const;
  // A smallint, integer or bigint column's value (told apart by their widths: 2, 4, 8 bytes).
  // kInvalidArgument if it is NULL or of another width, naming the column.
  absl::StatusOr<int64_t> Int64(int col) const;

 private:
  friend class CopyReader;
  struct Field {
    const char* data;  // null for NULL
    int32_t size;
  };
  std::vector<Field> fields_;
};

// Runs COPY (`query`) TO STDOUT (FORMAT binary) on `conn` and calls row(r) for each row, in the
// order the server sends them. `query` is a SELECT (or VALUES, or anything COPY accepts in
// parentheses) without parameters. Errors: the query's own (as Connection::Exec's, pg/result.h);
// kDataLoss if the stream is not well-formed binary copy data; or the first error `row` returns,
// after which the rest of the copy is read and dropped, leaving `conn` ready for the next
// statement. Inside a transaction (InTransaction), a failed query aborts it as any statement does.
absl::Status CopyOut(Connection& conn, absl::string_view query,
                     absl::FunctionRef<absl::Status(const CopyRow&)> row);

// `text` as an SQL string literal for `conn`'s encoding (libpq's PQescapeLiteral): quoted, inner
// quotes and backslashes escaped. kInvalidArgument if `text` is not valid in that encoding or
// holds a NUL byte.
absl::StatusOr<std::string> QuoteLiteral(Connection& conn, absl::string_view text);

}  // namespace gavel::pg

#endif  // GAVEL_PG_COPY_H_
