// Several statements sent to PostgreSQL in one round trip (libpq's pipeline mode, PostgreSQL 14+),
// run as one transaction.
//
//   pg::Pipeline pipeline(conn.get());
//   pipeline.Add("INSERT INTO charges (token, micros) VALUES ($1, $2)", {token, price});
//   pipeline.Add("UPDATE spend SET micros = micros + $2 WHERE campaign = $1", {campaign, price});
//   absl::StatusOr<std::vector<pg::Result>> results = pipeline.Run();  // one Result per Add
//
// Run sends every statement, then one Sync, then reads the results: one network round trip
// instead of one per statement. The statements up to the Sync form one implicit transaction
// (unless the connection is already inside a BEGIN, whose transaction they join): if one fails,
// those before it are rolled back and those after it do not run, and Run returns that statement's
// error. When Run returns OK, the transaction has committed.
//
// Does not own the connection, which must outlive the Pipeline. Not thread-safe, like Connection.
#ifndef GAVEL_PG_PIPELINE_H_
#define GAVEL_PG_PIPELINE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "pg/connection.h"
#include "pg/result.h"

namespace gavel::pg {

class Pipeline {
 public:
  explicit Pipeline(Connection* conn) : conn_(conn) {}

  // Queues one statement with parameters $1..$n = `params` (copied: they need not outlive the
  // call).
  void Add(absl::string_view sql, absl::Span<const Param> params = {});
  // Statements queued since the last Run.
  size_t size() const { return statements_.size(); }

  // Sends the queued statements and returns their results in order, then empties the queue.
  // Errors: the first failing statement's error (pg/result.h), its message prefixed with
  // "statement i of n"; kInvalidArgument for a parameter holding a NUL byte (nothing is sent);
  // kUnavailable if the connection broke, in which case the transaction may or may not have
  // committed (as InTransaction's COMMIT).
  absl::StatusOr<std::vector<Result>> Run();

 private:
  struct Statement {
    std::string sql;
    std::vector<std::optional<std::string>> params;
  };

  static absl::Status Send(PGconn* conn, const std::vector<Statement>& statements);
  static absl::StatusOr<std::vector<Result>> Receive(PGconn* conn, size_t n);

  Connection* const conn_;
  std::vector<Statement> statements_;
};

}  // namespace gavel::pg

#endif  // GAVEL_PG_PIPELINE_H_
