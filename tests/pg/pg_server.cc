#include "tests/pg/pg_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "libpq-fe.h"
#include "pg/connection.h"

namespace gavel::testing {
namespace {

constexpr char kBinDir[] = "/usr/lib/postgresql/15/bin";
constexpr char kUnprivilegedUser[] = "nobody";
// The child exits with this when it cannot switch to the unprivileged user.
constexpr int kSwitchUserFailed = 126;
// A Unix socket path ("<dir>/.s.PGSQL.65535") must fit sockaddr_un's 108 bytes.
constexpr size_t kMaxSocketDirLength = 90;

std::string Bin(absl::string_view tool) { return absl::StrCat(kBinDir, "/", tool); }

// libpq's quoting for a key=value connection string value.
std::string Quote(absl::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// True if a process running as uid/gid (no supplementary groups) can reach `path`: every directory
// on the way has its search bit set for it.
bool TraversableBy(const std::string& path, uid_t uid, gid_t gid) {
  std::filesystem::path prefix = "/";
  for (const auto& part : std::filesystem::path(path).relative_path()) {
    prefix /= part;
    struct stat st;
    if (stat(prefix.c_str(), &st) != 0) return false;
    const mode_t bit = st.st_uid == uid ? S_IXUSR : st.st_gid == gid ? S_IXGRP : S_IXOTH;
    if ((st.st_mode & bit) == 0) return false;
  }
  return true;
}

// A TCP port on 127.0.0.1 that nothing listens on right now. Another process may take it before
// postgres binds it; Create then tries another.
absl::StatusOr<int> FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  const int error = errno;
  close(fd);
  if (!ok) return absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", std::strerror(error)));
  return ntohs(addr.sin_port);
}

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status)) return absl::StrCat("exited with status ", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return absl::StrCat("was killed by signal ", WTERMSIG(wait_status));
  return absl::StrCat("ended with wait status ", wait_status);
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgServer>> PgServer::Create(PgServerOptions options) {
  for (const char* tool : {"initdb", "postgres", "pg_ctl"}) {
    if (access(Bin(tool).c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(Bin(tool), " not found: install Debian's postgresql-15 (./setup.sh)"));
    }
  }
  std::unique_ptr<PgServer> server(new PgServer(std::move(options)));
  if (absl::Status status = server->Init(); !status.ok()) return status;
  // The port is picked before postgres binds it; if something else took it meanwhile, try again.
  absl::Status started;
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<int> port = FreePort();
    if (!port.ok()) return port.status();
    server->port_ = *port;
    started = server->StartOnce();
    if (started.ok() || !absl::StrContains(started.message(), "could not bind")) break;
  }
  if (!started.ok()) return started;
  absl::StatusOr<std::string> db = server->CreateDatabase(server->options_.database);
  if (!db.ok()) return db.status();
  return server;
}

absl::Status PgServer::Init() {
  if (geteuid() == 0) {
    // PostgreSQL refuses to run as root ("root execution of the PostgreSQL server is not
    // permitted"), so as root the cluster belongs to an unprivileged user.
    const passwd* user = getpwnam(kUnprivilegedUser);
    if (user == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "running as root, PostgreSQL needs an unprivileged user, and there is no user \"",
          kUnprivilegedUser, "\""));
    }
    switch_user_ = true;
    uid_ = user->pw_uid;
    gid_ = user->pw_gid;
  } else {
    uid_ = geteuid();
    gid_ = getegid();
  }
  const char* test_tmpdir = std::getenv("TEST_TMPDIR");
  std::string parent = test_tmpdir != nullptr ? test_tmpdir : "";
  if (parent.empty() || (switch_user_ && !TraversableBy(parent, uid_, gid_)) ||
      parent.size() + 20 > kMaxSocketDirLength) {
    parent = "/tmp";
  }
  std::string dir = absl::StrCat(parent, "/gavel-pg-XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", dir, ": ", std::strerror(errno)));
  }
  root_ = dir;
  // The server's user owns the directory (initdb creates data/ in it, postgres its socket).
  if (chmod(root_.c_str(), 0755) != 0 || (switch_user_ && chown(root_.c_str(), uid_, gid_) != 0)) {
    return absl::InternalError(absl::StrCat("chmod/chown ", root_, ": ", std::strerror(errno)));
  }
  data_dir_ = root_ + "/data";
  socket_dir_ = root_;
  log_path_ = root_ + "/postgres.log";
  return RunTool({Bin("initdb"), "-D", data_dir_, "-U", "gavel", "--auth=trust", "--encoding=UTF8",
                  "--locale=C", "--no-sync", "--no-instructions"});
}

absl::StatusOr<pid_t> PgServer::Spawn(const std::vector<std::string>& argv, bool is_postmaster) {
  // Everything the child needs is prepared here: after fork, only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // A small fixed environment: no PG* variables of the caller's, UTC and the C locale.
  std::string env_strings[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"};
  char* env[] = {env_strings[0].data(), env_strings[1].data(), env_strings[2].data(), nullptr};
  const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log < 0 || null < 0) {
    return absl::InternalError(absl::StrCat("open ", log_path_, ": ", std::strerror(errno)));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    dup2(null, STDIN_FILENO);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    if (switch_user_ && (setgroups(0, nullptr) != 0 || setgid(gid_) != 0 || setuid(uid_) != 0)) {
      _exit(kSwitchUserFailed);
    }
    // Set after setuid, which clears it; applies to the postmaster, whose own children watch it.
    if (is_postmaster && (prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || getppid() != parent)) _exit(1);
    if (chdir(root_.c_str()) != 0) _exit(1);
    close_range(3, ~0U, 0);
    execve(args[0], args.data(), env);
    _exit(127);
  }
  close(log);
  close(null);
  return pid;
}

absl::Status PgServer::RunTool(const std::vector<std::string>& argv) {
  absl::StatusOr<pid_t> pid = Spawn(argv, /*is_postmaster=*/false);
  if (!pid.ok()) return pid.status();
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  if (WIFEXITED(status) && WEXITSTATUS(status) == kSwitchUserFailed) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot switch to user ", kUnprivilegedUser, " to run ", argv[0],
        " (root of a user namespace that maps only uid 0, such as Bazel's linux-sandbox? tag "
        "the test \"no-sandbox\")"));
  }
  return absl::InternalError(
      absl::StrCat(argv[0], " ", DescribeExit(status), "; log:\n", LogTail()));
}

absl::Status PgServer::StartOnce() {
  std::vector<std::string> argv = {
      Bin("postgres"), "-D", data_dir_, "-p", absl::StrCat(port_), "-k", socket_dir_, "-h",
      "127.0.0.1",
      // Durability as in production, whatever postgresql.conf says: tests check it.
      "-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on", "-c",
      "logging_collector=off"};
  for (const auto& [name, value] : options_.settings) {
    argv.push_back("-c");
    argv.push_back(absl::StrCat(name, "=", value));
  }
  absl::StatusOr<pid_t> pid = Spawn(argv, /*is_postmaster=*/true);
  if (!pid.ok()) return pid.status();
  postmaster_ = *pid;

  const std::string ping = absl::StrCat(conninfo("postgres"), " connect_timeout=2");
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  while (true) {
    int status = 0;
    if (waitpid(postmaster_, &status, WNOHANG) == postmaster_) {
      postmaster_ = -1;
      if (WIFEXITED(status) && WEXITSTATUS(status) == kSwitchUserFailed) {
        return absl::FailedPreconditionError(absl::StrCat(
            "cannot switch to user ", kUnprivilegedUser,
            " to run postgres (root of a user namespace that maps only uid 0, such as Bazel's "
            "linux-sandbox? tag the test \"no-sandbox\")"));
      }
      return absl::InternalError(
          absl::StrCat("postgres ", DescribeExit(status), " while starting; log:\n", LogTail()));
    }
    if (PQping(ping.c_str()) == PQPING_OK) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      kill(postmaster_, SIGKILL);
      waitpid(postmaster_, nullptr, 0);
      postmaster_ = -1;
      return absl::DeadlineExceededError(absl::StrCat("postgres did not accept connections within ",
                                                      absl::FormatDuration(options_.start_timeout),
                                                      "; log:\n", LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::Status PgServer::Start() {
  if (running()) return absl::FailedPreconditionError("the PostgreSQL server is already running");
  return StartOnce();
}

absl::Status PgServer::Stop() { return StopWithMode("fast"); }

absl::Status PgServer::Crash() { return StopWithMode("immediate"); }

absl::Status PgServer::StopWithMode(const char* mode) {
  if (!running()) return absl::OkStatus();
  absl::Status stopped =
      RunTool({Bin("pg_ctl"), "stop", "-D", data_dir_, "-m", mode, "-w", "-t", "60"});
  // pg_ctl waited for the postmaster to exit; reap it. If pg_ctl failed, make sure it is gone.
  if (!stopped.ok()) kill(postmaster_, SIGKILL);
  while (waitpid(postmaster_, nullptr, 0) < 0 && errno == EINTR) {
  }
  postmaster_ = -1;
  return stopped;
}

std::string PgServer::conninfo(absl::string_view database) const {
  return absl::StrCat("host=", Quote(socket_dir_), " port=", port_, " dbname=", Quote(database),
                      " user=gavel");
}

std::string PgServer::tcp_conninfo() const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " dbname=", Quote(options_.database),
                      " user=gavel");
}

absl::StatusOr<std::string> PgServer::CreateDatabase(absl::string_view name) {
  absl::StatusOr<std::unique_ptr<pg::Connection>> conn = pg::Connection::Open(conninfo("postgres"));
  if (!conn.ok()) return conn.status();
  char* quoted = PQescapeIdentifier((*conn)->native_handle(), name.data(), name.size());
  if (quoted == nullptr) return absl::InvalidArgumentError(absl::StrCat("bad name ", name));
  absl::StatusOr<pg::Result> created = (*conn)->Exec(absl::StrCat("CREATE DATABASE ", quoted));
  PQfreemem(quoted);
  if (!created.ok()) return created.status();
  return conninfo(name);
}

std::string PgServer::LogTail(int lines) const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string log = ss.str();
  std::vector<absl::string_view> all = absl::StrSplit(log, '\n', absl::SkipEmpty());
  const size_t from = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
  return absl::StrJoin(all.begin() + from, all.end(), "\n");
}

PgServer::~PgServer() {
  (void)Stop();
  if (!root_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
}

PgServer* PgServerSuite::server_ = nullptr;

void PgServerSuite::SetUpTestSuite() {
  absl::StatusOr<std::unique_ptr<PgServer>> server = PgServer::Create();
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = server->release();
}

void PgServerSuite::TearDownTestSuite() {
  delete server_;
  server_ = nullptr;
}

}  // namespace gavel::testing
