#include "pg/pipeline.h"

#include <poll.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libpq-fe.h"
#include "pg/errors.h"

namespace gavel::pg {
namespace {

// Writes out libpq's output buffer, reading whatever the server sends meanwhile into libpq's input
// buffer, so that neither side blocks on a full socket buffer (the deadlock libpq's manual warns
// of for large pipelines). False if the connection failed.
bool FlushAll(PGconn* conn) {
  while (true) {
    const int pending = PQflush(conn);
    if (pending == 0) return true;
    if (pending < 0) return false;
    pollfd fd = {PQsocket(conn), POLLIN | POLLOUT, 0};
    if (poll(&fd, 1, -1) < 0 && errno != EINTR) return false;
    if ((fd.revents & (POLLIN | POLLHUP | POLLERR)) != 0 && PQconsumeInput(conn) != 1) return false;
  }
}

// The connection is usable but not where the protocol should be (libpq out of memory, or a result
// of a kind a pipeline never produces): start afresh rather than leave it half in pipeline mode.
absl::Status ResetAfter(PGconn* conn, absl::string_view what) {
  std::string message =
      absl::StrCat("pipeline ", what, ": ", internal::OneLine(PQerrorMessage(conn)));
  PQreset(conn);
  return absl::InternalError(absl::StrCat(message, " (connection reset)"));
}

}  // namespace

void Pipeline::Add(absl::string_view sql, absl::Span<const Param> params) {
  Statement& s = statements_.emplace_back();
  s.sql = std::string(sql);
  for (const Param& p : params) {
    s.params.push_back(p.is_null() ? std::nullopt : std::optional<std::string>(p.text()));
  }
}

absl::StatusOr<std::vector<Result>> Pipeline::Run() {
  std::vector<Statement> statements = std::exchange(statements_, {});
  if (statements.empty()) return std::vector<Result>();
  for (size_t i = 0; i < statements.size(); ++i) {
    for (size_t j = 0; j < statements[i].params.size(); ++j) {
      const std::optional<std::string>& p = statements[i].params[j];
      if (p.has_value() && p->find('\0') != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("statement ", i + 1, " of ", statements.size(), ": parameter $", j + 1,
                         " holds a NUL byte, which text cannot: send bytes with EncodeBytea"));
      }
    }
  }
  PGconn* conn = conn_->native_handle();
  if (PQstatus(conn) != CONNECTION_OK) return internal::StatusOf(nullptr, conn);
  if (PQenterPipelineMode(conn) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot enter pipeline mode: ", internal::OneLine(PQerrorMessage(conn))));
  }
  if (absl::Status sent = Send(conn, statements); !sent.ok()) return sent;
  absl::StatusOr<std::vector<Result>> results = Receive(conn, statements.size());
  if (PQstatus(conn) == CONNECTION_OK && PQexitPipelineMode(conn) != 1) {
    return ResetAfter(conn, "left results unread");
  }
  return results;
}

absl::Status Pipeline::Send(PGconn* conn, const std::vector<Statement>& statements) {
  // Nonblocking, libpq queues everything in memory; FlushAll writes it out.
  if (PQsetnonblocking(conn, 1) != 0) return ResetAfter(conn, "cannot send");
  bool queued = true;
  for (const Statement& s : statements) {
    std::vector<const char*> values;
    for (const std::optional<std::string>& p : s.params) {
      values.push_back(p.has_value() ? p->c_str() : nullptr);
    }
    if (PQsendQueryParams(conn, s.sql.c_str(), static_cast<int>(values.size()),
                          /*paramTypes=*/nullptr, values.data(), /*paramLengths=*/nullptr,
                          /*paramFormats=*/nullptr, /*resultFormat=*/0) != 1) {
      queued = false;
      break;
    }
  }
  const bool sent = queued && PQpipelineSync(conn) == 1 && FlushAll(conn);
  PQsetnonblocking(conn, 0);
  if (sent) return absl::OkStatus();
  if (PQstatus(conn) != CONNECTION_OK) return internal::StatusOf(nullptr, conn);
  return ResetAfter(conn, "cannot send");
}

absl::StatusOr<std::vector<Result>> Pipeline::Receive(PGconn* conn, size_t n) {
  std::vector<Result> results;
  absl::Status first_error;
  for (size_t i = 0; i < n; ++i) {
    // Each statement's result is followed by a null that ends it.
    PGresult* result = PQgetResult(conn);
    PGresult* end = result == nullptr ? nullptr : PQgetResult(conn);
    if (result == nullptr || end != nullptr) {
      PQclear(result);
      PQclear(end);
      if (PQstatus(conn) != CONNECTION_OK) return internal::StatusOf(nullptr, conn);
      return ResetAfter(conn, "returned results out of order");
    }
    absl::Status status = internal::StatusOf(result, conn);
    if (status.ok()) {
      results.emplace_back(result);
      continue;
    }
    PQclear(result);
    if (PQstatus(conn) != CONNECTION_OK) return status;
    if (first_error.ok()) {
      first_error =
          internal::WithPrefix(status, absl::StrCat("statement ", i + 1, " of ", n, ": "));
    }
  }
  PGresult* sync = PQgetResult(conn);
  const bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced) {
    if (PQstatus(conn) != CONNECTION_OK) return internal::StatusOf(nullptr, conn);
    return ResetAfter(conn, "ended without its sync");
  }
  if (!first_error.ok()) return first_error;
  return results;
}

}  // namespace gavel::pg
