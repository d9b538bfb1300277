// Starts a real gavel_server (or any server binary that prints "listening on HOST:PORT" on stdout)
// as a child process on port 0, for integration tests that talk to it over a real channel.
//
//   auto server = ServerProcess::Start("server/gavel_server",
//   {"--catalog=data/demo_catalog.json"}); ASSERT_TRUE(server.ok()) << server.status(); auto
//   channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
//   (*server)->Kill(SIGKILL);   // crash tests
//
// Start waits for the "listening on" line (no sleeps: a thread drains the child's output, so a
// chatty child never blocks on a full pipe), up to 60 s. The destructor kills the child
// (SIGKILL) if it is still running, and the child is SIGKILLed too if the thread that started it
// exits first (so a test that crashes or times out leaves no server behind): start servers from
// the test's main thread. Not thread-safe.
#ifndef GAVEL_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define GAVEL_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sync.h"

namespace gavel::testing {

class ServerProcess {
 public:
  // `binary` is a runfiles-relative path (e.g. "server/gavel_server") or an absolute one. The
  // server is given --listen=127.0.0.1:0 before `args`; "server/gavel_server" is also given
  // --insecure_no_client_auth after them unless `args` has --clients_file (or that flag already).
  // `env` adds "NAME=value" entries to the environment the child inherits (e.g. LD_PRELOAD of a
  // fault-injecting library).
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& binary, const std::vector<std::string>& args,
      const std::vector<std::string>& env = {});
  ~ServerProcess();

  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }

  // Sends `signal` and waits for the process to exit; returns its wait status.
  int Kill(int signal);
  // Waits for the process to exit by itself; its wait status, or kDeadlineExceeded.
  absl::StatusOr<int> WaitForExit(absl::Duration timeout);
  // Everything the server wrote to stdout and stderr so far (for failure messages).
  std::string Output();

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  std::thread reader_;  // drains the child's stdout and stderr into output_
  Mutex mu_;
  CondVar cv_;
  std::string output_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  std::string address_;
};

// The absolute path of a runfile (a data dependency), e.g. "data/demo_catalog.json".
std::string Runfile(const std::string& path);

}  // namespace gavel::testing

#endif  // GAVEL_TESTS_INTEGRATION_SERVER_PROCESS_H_
