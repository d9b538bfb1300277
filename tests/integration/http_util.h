// Helpers for tests of gavel_server's HTTP port (--metrics_listen) and of the outside programs
// that read it (promtool, prometheus, chromium).
//
//   absl::StatusOr<HttpReply> r = HttpGet("127.0.0.1:9464", "/metrics");
//   double v = MetricValue(r->body, "gavel_events_total{type=\"click\",outcome=\"charged\"}");
//   CommandResult c = RunCommand("promtool check metrics < file");
//
// Not thread-safe.
#ifndef GAVEL_TESTS_INTEGRATION_HTTP_UTIL_H_
#define GAVEL_TESTS_INTEGRATION_HTTP_UTIL_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gavel::testing {

struct HttpReply {
  int status = 0;
  std::string body;
};
// GET http://`address``path`, with a 10 s timeout. kUnavailable if no reply came.
absl::StatusOr<HttpReply> HttpGet(const std::string& address, const std::string& path);

// The value of the series whose text before the value is exactly `series` (name and labels as
// rendered); -1 if there is none.
double MetricValue(const std::string& exposition, const std::string& series);

// The "metrics ... on http://HOST:PORT/" address gavel_server printed in `output`; empty if none.
std::string MetricsAddress(const std::string& output);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};
// Runs `command` with /bin/sh and waits for it.
CommandResult RunCommand(const std::string& command);

// A free TCP port on 127.0.0.1 (bound and released: another process could take it in between).
int FreePort();

// A long-running child (a Prometheus server) with stdout and stderr in `log_path`; SIGKILLed by the
// destructor and, like ServerProcess, if the starting thread exits first.
class ChildProcess {
 public:
  static absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& argv,
                                            const std::string& log_path);
  ChildProcess(ChildProcess&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  ~ChildProcess();

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

}  // namespace gavel::testing

#endif  // GAVEL_TESTS_INTEGRATION_HTTP_UTIL_H_
