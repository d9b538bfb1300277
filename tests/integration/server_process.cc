#include "tests/integration/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& binary, const std::vector<std::string>& args) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return absl::InternalError("pipe failed");
  std::vector<std::string> argv_strings = {Runfile(binary), "--listen=127.0.0.1:0"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::unique_ptr<ServerProcess> p(new ServerProcess());
  p->pid_ = pid;
  p->out_fd_ = pipe_fds[0];
  fcntl(p->out_fd_, F_SETFL, fcntl(p->out_fd_, F_GETFL) | O_NONBLOCK);

  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    pollfd pfd{p->out_fd_, POLLIN, 0};
    poll(&pfd, 1, 200);
    char buf[4096];
    ssize_t n;
    while ((n = read(p->out_fd_, buf, sizeof(buf))) > 0) p->output_.append(buf, n);
    const size_t at = p->output_.find("listening on ");
    if (at != std::string::npos) {
      const size_t end = p->output_.find('\n', at);
      if (end != std::string::npos) {
        p->address_ = p->output_.substr(at + 13, end - at - 13);
        return p;
      }
    }
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      p->pid_ = -1;
      return absl::FailedPreconditionError(
          absl::StrCat("server exited with status ", status, " before listening:\n", p->output_));
    }
  }
  return absl::DeadlineExceededError(absl::StrCat("server did not listen in 60 s:\n", p->output_));
}

int ServerProcess::Kill(int signal) {
  if (pid_ < 0) return -1;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string ServerProcess::Output() {
  char buf[4096];
  ssize_t n;
  while (out_fd_ >= 0 && (n = read(out_fd_, buf, sizeof(buf))) > 0) output_.append(buf, n);
  return output_;
}

ServerProcess::~ServerProcess() {
  Kill(SIGKILL);
  if (out_fd_ >= 0) close(out_fd_);
}

}  // namespace gavel::testing
