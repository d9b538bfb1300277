#include "pg/connection.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libpq-fe.h"
#include "pg/errors.h"

namespace gavel::pg {
namespace {

// True if `conninfo` may hold a password: a password keyword, or a URI whose user part has a ':'.
bool MayHoldPassword(absl::string_view conninfo) {
  if (absl::StrContains(absl::AsciiStrToLower(conninfo), "password")) return true;
  const size_t scheme = conninfo.find("://");
  if (scheme == absl::string_view::npos) return false;
  const absl::string_view authority = conninfo.substr(scheme + 3);
  const size_t at = authority.find('@');
  return at != absl::string_view::npos &&
         authority.substr(0, at).find(':') != absl::string_view::npos;
}

// libpq's parse errors quote pieces of the string (`missing "=" after "cret" in connection info
// string`), and a piece may be part of a password. When the string may hold one, every quoted
// piece longer than one character is withheld.
std::string WithholdQuotedPieces(absl::string_view message) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = message.find('"', pos);
    const size_t close = open == absl::string_view::npos ? open : message.find('"', open + 1);
    if (close == absl::string_view::npos) break;
    absl::StrAppend(&out, message.substr(pos, open - pos));
    absl::StrAppend(&out,
                    close - open - 1 > 1 ? "\"***\"" : message.substr(open, close - open + 1));
    pos = close + 1;
  }
  absl::StrAppend(&out, message.substr(pos));
  return out;
}

std::string Scrub(std::string message, absl::string_view password) {
  if (!password.empty()) absl::StrReplaceAll({{password, "***"}}, &message);
  return message;
}

std::string Describe(const PGconn* conn) {
  auto value = [](const char* s) { return s == nullptr || *s == '\0' ? "(default)" : s; };
  return absl::StrCat("host=", value(PQhost(conn)), " port=", value(PQport(conn)),
                      " dbname=", value(PQdb(conn)), " user=", value(PQuser(conn)));
}

void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

}  // namespace

void Param::SetInteger(int64_t value) {
  const std::to_chars_result end = std::to_chars(digits_, digits_ + sizeof(digits_), value);
  digits_len_ = static_cast<uint8_t>(end.ptr - digits_);
}

absl::string_view Param::text() const {
  if (digits_len_ > 0) return absl::string_view(digits_, digits_len_);
  return text_.value_or(absl::string_view());
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(absl::string_view conninfo,
                                                             const ConnectOptions& options) {
  const std::string info(conninfo);
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(info.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string reason = internal::OneLine(parse_error != nullptr ? parse_error : "out of memory");
    PQfreemem(parse_error);
    if (MayHoldPassword(conninfo)) reason = WithholdQuotedPieces(reason);
    return absl::InvalidArgumentError(
        absl::StrCat("invalid PostgreSQL connection string: ", reason));
  }
  std::string password;
  for (const PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr) password = o->val;
  }
  PQconninfoFree(parsed);

  // Earlier entries are defaults that the expanded connection string ("dbname") overrides.
  const std::string timeout = absl::StrCat(std::max<int64_t>(
      1, absl::ToInt64Seconds(absl::Ceil(options.connect_timeout, absl::Seconds(1)))));
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "gavel", info.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq could not allocate a connection");
  std::string description = Describe(conn);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string reason = Scrub(internal::OneLine(PQerrorMessage(conn)), password);
    PQfinish(conn);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL (", description, "): ", reason));
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  return std::unique_ptr<Connection>(
      new Connection(conn, std::move(description), std::move(password)));
}

Connection::Connection(PGconn* conn, std::string description, std::string password)
    : conn_(conn), description_(std::move(description)), password_(std::move(password)) {}

Connection::~Connection() { PQfinish(conn_); }

absl::StatusOr<Result> Connection::Exec(absl::string_view sql) {
  PGresult* result = PQexec(conn_, std::string(sql).c_str());
  if (absl::Status status = internal::StatusOf(result, conn_); !status.ok()) {
    PQclear(result);
    return status;
  }
  return Result(result);
}

absl::StatusOr<Result> Connection::ExecParams(absl::string_view sql,
                                              absl::Span<const Param> params) {
  // Text parameters go to libpq as NUL-terminated strings.
  std::vector<std::string> texts(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].is_null()) continue;
    texts[i] = std::string(params[i].text());
    if (texts[i].find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter $", i + 1,
                       " holds a NUL byte, which text cannot: send bytes with EncodeBytea"));
    }
    values[i] = texts[i].c_str();
  }
  PGresult* result = PQexecParams(conn_, std::string(sql).c_str(), static_cast<int>(params.size()),
                                  /*paramTypes=*/nullptr, values.data(), /*paramLengths=*/nullptr,
                                  /*paramFormats=*/nullptr, /*resultFormat=*/0);
  if (absl::Status status = internal::StatusOf(result, conn_); !status.ok()) {
    PQclear(result);
    return status;
  }
  return Result(result);
}

bool Connection::IsConnectionLost() {
  internal::NoticeClosedConnection(conn_);
  return PQstatus(conn_) != CONNECTION_OK;
}

absl::Status Connection::Reset() {
  PQreset(conn_);
  if (PQstatus(conn_) == CONNECTION_OK) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("cannot connect to PostgreSQL (", description_,
                   "): ", Scrub(internal::OneLine(PQerrorMessage(conn_)), password_)));
}

int Connection::server_version() const { return PQserverVersion(conn_); }

absl::Status InTransaction(Connection& conn, absl::FunctionRef<absl::Status()> body,
                           Isolation isolation) {
  const char* begin = "BEGIN";
  if (isolation == Isolation::kRepeatableRead) begin = "BEGIN ISOLATION LEVEL REPEATABLE READ";
  if (isolation == Isolation::kSerializable) begin = "BEGIN ISOLATION LEVEL SERIALIZABLE";
  if (absl::StatusOr<Result> r = conn.Exec(begin); !r.ok()) return r.status();
  if (absl::Status status = body(); !status.ok()) {
    // Best effort: if the connection broke, the server rolls back on its own.
    (void)conn.Exec("ROLLBACK");
    return status;
  }
  absl::StatusOr<Result> commit = conn.Exec("COMMIT");
  if (!commit.ok()) return commit.status();
  // COMMIT of a transaction in which a statement failed succeeds with the tag ROLLBACK.
  if (commit->command() == "ROLLBACK") {
    return absl::AbortedError("transaction rolled back at COMMIT: a statement in it had failed");
  }
  return absl::OkStatus();
}

}  // namespace gavel::pg
