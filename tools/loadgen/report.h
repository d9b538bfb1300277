// The result of one load-generator run and its two renderings: a human-readable summary and a
// flat JSON object for scripts (bench/run_serving_bench.sh reads it).
//
//   LoadReport report = ...;              // filled by RunLoad (runner.h)
//   std::cout << FormatText(report);
//   std::cout << FormatJson(report);      // {"mode":"closed","qps":...,"latency_us":{...},...}
//
// Latencies are kept in nanoseconds and printed in microseconds with one decimal. Plain data: no
// synchronisation needed once filled.
#ifndef GAVEL_TOOLS_LOADGEN_REPORT_H_
#define GAVEL_TOOLS_LOADGEN_REPORT_H_

#include <cstdint>
#include <map>
#include <string>

#include "tools/loadgen/histogram.h"

namespace gavel::loadgen {

// Percentiles of one histogram, in nanoseconds.
struct LatencySummary {
  int64_t count = 0;
  double mean_ns = 0;
  int64_t p50_ns = 0;
  int64_t p90_ns = 0;
  int64_t p99_ns = 0;
  int64_t p999_ns = 0;
  int64_t max_ns = 0;
};

LatencySummary Summarize(const Histogram& histogram);

struct LoadReport {
  // "closed" (a fixed number in flight) or "open" (a fixed arrival rate).
  std::string mode;
  // "auction" (a sampled request per call) or "echo" (one request reused).
  std::string service;
  std::string target;
  int32_t concurrency = 0;
  double rate = 0;
  double warmup_seconds = 0;
  double duration_seconds = 0;

  // RunAuction calls intended inside the measured window that completed, and how.
  int64_t requests = 0;
  int64_t ok = 0;
  // gRPC status code name ("UNAVAILABLE") -> count, for the measured window.
  std::map<std::string, int64_t> errors;
  // Open loop: measured requests that were due but not sent because max_outstanding were in flight.
  int64_t not_sent = 0;
  // requests / duration_seconds.
  double qps = 0;
  // From the intended send time (open loop: the schedule; closed loop: the actual send).
  LatencySummary latency;
  // From the actual send time: what a coordinated-omission-prone tool would report.
  LatencySummary service_time;
  // Actual minus intended send time: how late the client itself was (open loop; 0 closed loop).
  // Latency includes it, so a large send lag means the client, not the server, was the bottleneck.
  LatencySummary send_lag;

  // Every RunAuction completion, warmup and drain included: the denominator for server CPU.
  int64_t all_completed = 0;
  // This process's user + system CPU over the run.
  double client_cpu_seconds = 0;

  // ReportEvents traffic generated from the winners' tokens (measured window).
  int64_t event_rpcs = 0;
  int64_t event_rpcs_ok = 0;
  std::map<std::string, int64_t> event_rpc_errors;
  int64_t impressions_sent = 0;
  int64_t clicks_sent = 0;
  int64_t events_not_sent = 0;
  // EventOutcome name ("EVENT_OUTCOME_CHARGED") -> count.
  std::map<std::string, int64_t> event_outcomes;
  LatencySummary event_latency;
};

// A multi-line summary ending in a newline.
std::string FormatText(const LoadReport& report);
// One JSON object on one line, ending in a newline.
std::string FormatJson(const LoadReport& report);

}  // namespace gavel::loadgen

#endif  // GAVEL_TOOLS_LOADGEN_REPORT_H_
