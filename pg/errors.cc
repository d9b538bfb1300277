#include "pg/errors.h"

#include <poll.h>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace gavel::pg::internal {

absl::StatusCode CodeForSqlState(absl::string_view s) {
  using C = absl::StatusCode;
  if (s == "23505") return C::kAlreadyExists;
  if (s == "22003") return C::kOutOfRange;
  if (s == "42501") return C::kPermissionDenied;
  if (s == "55P03") return C::kAborted;
  if (s == "57014") return C::kDeadlineExceeded;
  // Class 42's duplicate_* and undefined_* objects.
  if (s == "42P04" || s == "42P06" || s == "42P07" || s == "42710" || s == "42701" ||
      s == "42723") {
    return C::kAlreadyExists;
  }
  if (s == "3D000" || s == "3F000" || s == "42P01" || s == "42703" || s == "42704" ||
      s == "42883") {
    return C::kNotFound;
  }
  if (s == "XX001" || s == "XX002") return C::kDataLoss;
  const absl::string_view cls = s.substr(0, 2);
  if (cls == "08" || cls == "57") return C::kUnavailable;
  if (cls == "23" || cls == "25" || cls == "P0") return C::kFailedPrecondition;
  if (cls == "22" || cls == "42") return C::kInvalidArgument;
  if (cls == "40") return C::kAborted;
  if (cls == "28") return C::kPermissionDenied;
  if (cls == "53" || cls == "54") return C::kResourceExhausted;
  return C::kInternal;
}

void NoticeClosedConnection(PGconn* conn) {
  // A server that closes a connection often sends a message first (a backend ended by an
  // immediate shutdown says why): the first read takes the message, the next finds the end of the
  // stream. A few reads at most, so a stream of notifications cannot keep us here.
  for (int i = 0; i < 4 && PQstatus(conn) == CONNECTION_OK && PQisBusy(conn) == 0; ++i) {
    pollfd fd = {PQsocket(conn), POLLIN, 0};
    if (poll(&fd, 1, /*timeout=*/0) <= 0) return;  // nothing to read: still open
    PQconsumeInput(conn);
  }
}

absl::Status WithPrefix(const absl::Status& status, absl::string_view prefix) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(prefix, status.message()));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

std::string OneLine(absl::string_view message) {
  return absl::StrReplaceAll(absl::StripAsciiWhitespace(message),
                             {{"\n\t", "; "}, {"\n", "; "}, {"\t", " "}});
}

absl::Status StatusOf(const PGresult* result, PGconn* conn) {
  const ExecStatusType status = result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
  switch (status) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return absl::OkStatus();
    case PGRES_PIPELINE_ABORTED:
      return absl::AbortedError(
          "not run: an earlier statement of the pipeline failed, so its transaction was rolled "
          "back");
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH:
      return absl::UnimplementedError("COPY is not supported by pg::Connection");
    default:
      break;
  }
  const char* sqlstate = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (sqlstate == nullptr || *sqlstate == '\0') {
    // No SQLSTATE: the error came from libpq itself, most often a lost connection ("server closed
    // the connection unexpectedly", "no connection to the server").
    std::string message = OneLine(result != nullptr && *PQresultErrorMessage(result) != '\0'
                                      ? PQresultErrorMessage(result)
                                      : PQerrorMessage(conn));
    // A failed write ("server closed the connection unexpectedly") leaves the status OK.
    NoticeClosedConnection(conn);
    if (PQstatus(conn) != CONNECTION_OK) {
      return absl::UnavailableError(absl::StrCat("connection to PostgreSQL lost: ", message));
    }
    return absl::InternalError(absl::StrCat("PostgreSQL client error: ", message));
  }
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
  std::string message = OneLine(primary != nullptr ? primary : PQresultErrorMessage(result));
  if (detail != nullptr && *detail != '\0') absl::StrAppend(&message, " (", OneLine(detail), ")");
  absl::StrAppend(&message, " [SQLSTATE ", sqlstate, "]");
  absl::Status error(CodeForSqlState(sqlstate), message);
  error.SetPayload(kSqlStatePayload, absl::Cord(sqlstate));
  return error;
}

}  // namespace gavel::pg::internal
