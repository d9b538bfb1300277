#include "tests/integration/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace gavel::testing {

std::string Runfile(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  const char* dir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (dir == nullptr) return path;
  return absl::StrCat(dir, "/", workspace == nullptr ? "gavel" : workspace, "/", path);
}

namespace {

// gavel_server refuses to start without knowing its callers; tests that are not about
// authentication run it on 127.0.0.1 as run.sh does, with --insecure_no_client_auth.
bool NeedsInsecureClientAuth(const std::string& binary, const std::vector<std::string>& args) {
  if (binary != "server/gavel_server") return false;
  for (const std::string& a : args) {
    if (a.rfind("--clients_file", 0) == 0 || a.rfind("--insecure_no_client_auth", 0) == 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& binary, const std::vector<std::string>& args,
    const std::vector<std::string>& env) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  std::vector<std::string> argv_strings = {Runfile(binary), "--listen=127.0.0.1:0"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  if (NeedsInsecureClientAuth(binary, args)) argv_strings.push_back("--insecure_no_client_auth");
  // Built before fork: the child may only make async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    // A test that dies (a crash, a timeout's SIGKILL) takes its servers with it instead of leaving
    // them running. Linux sends this when the thread that forked exits, so start servers from a
    // thread that outlives them (the test's main thread).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::unique_ptr<ServerProcess> p(new ServerProcess());
  p->pid_ = pid;
  // Drain the child's output for as long as it runs, so a chatty server (sanitizer reports, logs)
  // never blocks on a full pipe.
  const int fd = pipe_fds[0];
  ServerProcess* self = p.get();
  p->reader_ = std::thread([self, fd] {
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
      if (n <= 0) continue;
      MutexLock lock(&self->mu_);
      self->output_.append(buf, n);
      self->cv_.SignalAll();
    }
    close(fd);
    MutexLock lock(&self->mu_);
    self->eof_ = true;
    self->cv_.SignalAll();
  });

  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  MutexLock lock(&p->mu_);
  while (true) {
    const size_t at = p->output_.find("listening on ");
    const size_t end = at == std::string::npos ? at : p->output_.find('\n', at);
    if (end != std::string::npos) {
      p->address_ = p->output_.substr(at + 13, end - at - 13);
      return p;
    }
    if (p->eof_) {
      return absl::FailedPreconditionError(
          absl::StrCat("server exited before listening:\n", p->output_));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("server did not listen in 60 s:\n", p->output_));
    }
    p->cv_.WaitWithTimeout(&p->mu_, deadline - absl::Now());
  }
}

int ServerProcess::Kill(int signal) {
  if (pid_ < 0) return -1;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

absl::StatusOr<int> ServerProcess::WaitForExit(absl::Duration timeout) {
  if (pid_ < 0) return absl::FailedPreconditionError("no process");
  {
    // The child's exit closes its end of the output pipe.
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (!eof_) {
      if (absl::Now() >= deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("still running after ", absl::FormatDuration(timeout)));
      }
      cv_.WaitWithTimeout(&mu_, deadline - absl::Now());
    }
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string ServerProcess::Output() {
  MutexLock lock(&mu_);
  return output_;
}

ServerProcess::~ServerProcess() {
  Kill(SIGKILL);
  if (reader_.joinable()) reader_.join();  // EOF once the child is gone
}

}  // namespace gavel::testing
