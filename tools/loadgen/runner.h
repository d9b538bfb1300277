// Drives a gRPC target with RunAuction calls, closed loop (a fixed number in flight) or open loop
// (a fixed arrival rate timed from intended send times), optionally reporting impressions and
// clicks for the winners it receives, and returns the measured LoadReport.
//
//   LoadConfig config{.target = "127.0.0.1:50051", .concurrency = 64};
//   absl::StatusOr<LoadReport> report = RunLoad(config, sampler);
//
// Threads: `threads` workers, each with its own channel (its own TCP connection, one per replica
// when `target` lists several) and completion queue, poll completions and, closed loop, send the
// next call; open loop, one pacer thread sends on schedule, round-robin over the workers. The
// calling thread prints a progress line per second. RunLoad may be called from any thread; it
// blocks for warmup + duration + the drain of calls still in flight (bounded by `timeout`).
#ifndef GAVEL_TOOLS_LOADGEN_RUNNER_H_
#define GAVEL_TOOLS_LOADGEN_RUNNER_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/sampler.h"

namespace gavel::loadgen {

struct LoadConfig {
  // host:port of the AuctionService (and EventService), or several comma-separated: replicas,
  // each worker's channel spreading its calls over them round robin (common/grpc_channel.h).
  std::string target = "127.0.0.1:50051";
  // Closed loop: calls kept in flight, >= 1. Ignored when rate > 0.
  int32_t concurrency = 1;
  // Open loop when > 0: calls per second, each timed from its intended send time.
  double rate = 0;
  // Open loop: a due call is counted as not sent rather than sent when this many are in flight.
  // Also caps ReportEvents calls in flight.
  int32_t max_outstanding = 1000;
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(10);
  // Per-call deadline.
  absl::Duration timeout = absl::Seconds(5);
  // Worker threads, each with its own channel; >= 1.
  int32_t threads = 2;
  uint64_t seed = 1;
  // "auction": sample a request per call; "echo": sample one and send it every time.
  std::string service = "auction";
  // Per winner of a successful RunAuction, the chance of reporting its impression and, separately,
  // its click; the events of one auction go in one ReportEvents call. In [0, 1].
  double impression_rate = 0;
  double click_rate = 0;
  // A progress line per second on stderr.
  bool progress = true;
  // Sent with every call as `authorization: Bearer <key>` when not empty (docs/api.md, "Callers
  // and grants").
  std::string client_key;
  // When not null and it turns true (e.g. from a SIGINT handler), the run stops within ~100 ms:
  // no new calls, calls in flight drained, and the report covers the measured time actually run.
  // Not owned; must outlive RunLoad.
  const std::atomic<bool>* interrupt = nullptr;
};

// Runs the load. kInvalidArgument naming the field for a bad config (a malformed `target`
// included); kUnavailable when a channel cannot connect to `target` (to any of its addresses)
// within 10 seconds. Errors of individual calls are counted in the
// report, not returned.
absl::StatusOr<LoadReport> RunLoad(const LoadConfig& config, const RequestSampler& sampler);

}  // namespace gavel::loadgen

#endif  // GAVEL_TOOLS_LOADGEN_RUNNER_H_
