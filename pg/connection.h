// One connection to PostgreSQL: a small RAII layer over libpq's C API that returns absl::Status.
//
//   absl::StatusOr<std::unique_ptr<pg::Connection>> conn =
//       pg::Connection::Open("postgresql://gavel@127.0.0.1:5432/gavel");
//   absl::StatusOr<pg::Result> r =
//       (*conn)->ExecParams("INSERT INTO t (id, note) VALUES ($1, $2)", {int64_t{7}, pg::kNull});
//
// Statements use the text protocol: parameters are sent as text ($1, $2, ...: never spliced into
// the SQL, so no quoting or injection), results come back as text (pg/result.h). Errors and their
// codes are described in pg/result.h; a connection that breaks mid-call yields kUnavailable, after
// which IsConnectionLost() is true and Reset() reconnects with the same parameters.
//
// Not thread-safe: one thread at a time per Connection (libpq's rule for a PGconn). Use one
// Connection per thread, or a pool.
#ifndef GAVEL_PG_CONNECTION_H_
#define GAVEL_PG_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "pg/result.h"

typedef struct pg_conn PGconn;

namespace gavel::pg {

// SQL NULL as a parameter.
struct NullParam {};
inline constexpr NullParam kNull;

// One parameter of ExecParams, in PostgreSQL's text format: a string (viewed, not copied: it must
// outlive the call), an integer (written in decimal), a bool ("true"/"false"), or NULL. Bytea
// parameters are strings made with EncodeBytea (pg/result.h). No floating point: money is int64.
class Param {
 public:
  Param(NullParam) {}  // NOLINT: implicit, so that {id, pg::kNull} reads as a parameter list
  Param(absl::string_view text) : text_(text) {}  // NOLINT
  Param(const char* text) {                       // NOLINT: nullptr is NULL
    if (text != nullptr) text_ = absl::string_view(text);
  }
  Param(const std::string& text) : text_(text) {}  // NOLINT
  Param(bool b) : text_(b ? "true" : "false") {}   // NOLINT
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Param(T value) {  // NOLINT
    SetInteger(static_cast<int64_t>(value));
    static_assert(sizeof(T) <= sizeof(int64_t) && (std::is_signed_v<T> || sizeof(T) < 8),
                  "uint64_t does not fit bigint");
  }
  template <typename T>
  Param(const std::optional<T>& value) {  // NOLINT: nullopt is NULL
    if (value.has_value()) *this = Param(*value);
  }

  bool is_null() const { return !text_.has_value() && digits_len_ == 0; }
  // The text sent to the server (empty if is_null()). Views this object for integers.
  absl::string_view text() const;

 private:
  void SetInteger(int64_t value);

  std::optional<absl::string_view> text_;
  char digits_[20] = {};  // an integer's decimal digits and sign, when digits_len_ > 0
  uint8_t digits_len_ = 0;
};

struct ConnectOptions {
  // Used when the connection string sets no connect_timeout of its own (libpq would otherwise wait
  // for the operating system's TCP timeout, minutes). libpq rounds values below 2 s up to 2 s.
  absl::Duration connect_timeout = absl::Seconds(10);
};

class Connection {
 public:
  // Connects with `conninfo`: a libpq connection string, either key=value pairs
  // ("host=/tmp/pg port=5432 dbname=gavel") or a URI ("postgresql://user@host:port/db").
  // Errors, each one line that never contains the password:
  //   kInvalidArgument  `conninfo` does not parse
  //   kUnavailable      the server cannot be reached, refused the login or the database is
  //                     missing: "cannot connect to PostgreSQL (host=... port=... dbname=...
  //                     user=...): <libpq's reason>"
  static absl::StatusOr<std::unique_ptr<Connection>> Open(absl::string_view conninfo,
                                                          const ConnectOptions& options = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql`, which may hold several statements separated by ';' (then returns the last one's
  // result; they run in one implicit transaction unless `sql` has its own BEGIN/COMMIT). No
  // parameters: for DDL and fixed statements.
  absl::StatusOr<Result> Exec(absl::string_view sql);
  // Runs the single statement `sql` with parameters $1..$n = `params`.
  absl::StatusOr<Result> ExecParams(absl::string_view sql, absl::Span<const Param> params);

  // True if the connection has broken: a call returned kUnavailable, or the server has closed it
  // (a crash, a restart, an idle timeout). Reads what the server sent without waiting for more
  // and sends nothing, so it is cheap enough to call before each use of a pooled connection.
  bool IsConnectionLost();
  // Closes the connection and connects again with the same parameters (after a server restart or
  // failover). OK once connected; kUnavailable as Open if the server is still unreachable (the
  // connection stays lost and Reset may be called again).
  absl::Status Reset();

  // "host=... port=... dbname=... user=...": where this connects, for messages. No password.
  const std::string& description() const { return description_; }
  // The server's version as an integer, e.g. 150018 for 15.18.
  int server_version() const;

  // libpq's connection, for features this class does not wrap (LISTEN/NOTIFY: PQnotifies and
  // PQsocket). Owned by this object: do not PQfinish it.
  PGconn* native_handle() const { return conn_; }

 private:
  Connection(PGconn* conn, std::string description, std::string password);

  PGconn* conn_;
  std::string description_;
  std::string password_;  // only to scrub it from libpq's messages
};

// How InTransaction begins its transaction.
enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

// Runs `body` between BEGIN and COMMIT on `conn`. If `body` returns an error, rolls back and
// returns that error. Otherwise returns COMMIT's outcome:
//   OK            committed (durable once acknowledged, with synchronous_commit on);
//   kAborted      rolled back: a serialization failure or deadlock (run the whole transaction
//                 again), or a statement in `body` failed and `body` still returned OK;
//   kUnavailable  the connection broke: the transaction may or may not have committed, so a
//                 caller that must not apply it twice needs a key it can look up afterwards.
absl::Status InTransaction(Connection& conn, absl::FunctionRef<absl::Status()> body,
                           Isolation isolation = Isolation::kReadCommitted);

}  // namespace gavel::pg

#endif  // GAVEL_PG_CONNECTION_H_
