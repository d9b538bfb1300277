// A throwaway PostgreSQL 15 server for tests: initdb in a temporary directory, postgres on a Unix
// socket there and on 127.0.0.1 at a free port, a database ready to use, everything removed at
// the end.
//
//   absl::StatusOr<std::unique_ptr<PgServer>> pg = PgServer::Create();
//   ASSERT_TRUE(pg.ok()) << pg.status();
//   auto conn = pg::Connection::Open((*pg)->conninfo());   // or tcp_conninfo()
//   ASSERT_TRUE((*pg)->Crash().ok());                      // pg_ctl stop -m immediate
//   ASSERT_TRUE((*pg)->Start().ok());                      // crash recovery, same port
//
// The binaries are Debian's postgresql-15 (/usr/lib/postgresql/15/bin). The cluster is made with
// initdb --no-sync (nothing in it is worth an fsync), but the server always runs with fsync=on,
// synchronous_commit=on and full_page_writes=on, so a test can rely on what a commit promises.
// Local and 127.0.0.1 connections are trusted (no password), as user "gavel".
//
// Run as root (CI), PostgreSQL refuses to start, so initdb, postgres and pg_ctl run as the
// unprivileged user "nobody"; the cluster then lives in a fresh mkdtemp directory under /tmp when
// nobody cannot reach $TEST_TMPDIR (Bazel's is under /root). Switching user needs real root, not
// root of a user namespace: Bazel's linux-sandbox maps only uid 0, so tests that use PgServer are
// tagged "no-sandbox" (Create then fails with a message that says so).
//
// The postmaster is a child of this process, told to shut down (immediate) if the thread that
// called Create or Start exits first, so a crashed test leaves no server behind. Not thread-safe:
// call its methods from one thread (connections to the server may come from any).
#ifndef GAVEL_TESTS_PG_PG_SERVER_H_
#define GAVEL_TESTS_PG_PG_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace gavel::testing {

struct PgServerOptions {
  // Created after the first start; conninfo() and tcp_conninfo() name it.
  std::string database = "gavel";
  // How long Create and Start wait for the server to accept connections.
  absl::Duration start_timeout = absl::Seconds(60);
  // More postgres settings, as -c name=value (e.g. {"max_connections", "200"}).
  std::vector<std::pair<std::string, std::string>> settings;
};

class PgServer {
 public:
  // Makes the cluster, starts the server and creates `options.database`. Errors carry the last
  // lines of the server's log: kFailedPrecondition if the binaries or the user "nobody" are
  // missing or the user cannot be switched to, kDeadlineExceeded if the server did not accept
  // connections within start_timeout, kInternal for other failures.
  static absl::StatusOr<std::unique_ptr<PgServer>> Create(PgServerOptions options = {});
  // Stops the server (fast) if it runs and removes the directory.
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // libpq connection strings for options.database as user "gavel": over the Unix socket, and over
  // TCP to 127.0.0.1:port(). Both stay valid across Stop/Crash and Start.
  std::string conninfo() const { return conninfo(options_.database); }
  std::string conninfo(absl::string_view database) const;
  std::string tcp_conninfo() const;
  int port() const { return port_; }
  const std::string& socket_dir() const { return socket_dir_; }
  const std::string& data_dir() const { return data_dir_; }
  bool running() const { return postmaster_ > 0; }

  // Creates another database (each test its own, say); returns its conninfo().
  absl::StatusOr<std::string> CreateDatabase(absl::string_view name);

  // Clean shutdown (pg_ctl stop -m fast): sessions are ended, a checkpoint written.
  absl::Status Stop();
  // Crash (pg_ctl stop -m immediate: SIGQUIT to the postmaster): every process exits at once, no
  // checkpoint, so the next Start runs crash recovery from the WAL, as after a power cut.
  absl::Status Crash();
  // Starts the server again on the same data directory and port, and waits until it accepts
  // connections. Errors as Create.
  absl::Status Start();

  // The last `lines` lines of the server's log (for failure messages).
  std::string LogTail(int lines = 30) const;

 private:
  explicit PgServer(PgServerOptions options) : options_(std::move(options)) {}
  absl::Status Init();
  absl::Status StartOnce();
  absl::Status StopWithMode(const char* mode);
  // Runs `argv` as the server's user with stdout and stderr to the log, and waits for it.
  absl::Status RunTool(const std::vector<std::string>& argv);
  absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, bool is_postmaster);

  const PgServerOptions options_;
  bool switch_user_ = false;  // true when root: run as uid_/gid_
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  std::string root_;  // the directory removed at the end
  std::string data_dir_;
  std::string socket_dir_;
  std::string log_path_;
  int port_ = 0;
  pid_t postmaster_ = -1;
};

// A test suite whose tests share one server with the default options, started before the
// suite's first test and stopped after its last (a failure to start fails every test): derive the
// suite's fixture from it and use server_.
class PgServerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  static PgServer* server_;
};

}  // namespace gavel::testing

#endif  // GAVEL_TESTS_PG_PG_SERVER_H_
