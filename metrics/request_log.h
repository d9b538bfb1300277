// The structured request log (--request_log=FILE): one JSON line per auction, for debugging.
// Off by default. The serving thread formats its line and hands it to a bounded queue; one writer
// thread of its own appends queued lines to the file, so no file I/O happens on a serving thread.
//
//   absl::StatusOr<std::unique_ptr<RequestLog>> log = RequestLog::Open("/var/log/gavel.jsonl");
//   (*log)->Append(AuctionLogLine(now, nanos, result));   // on the serving thread
//
// A line that finds the queue full (kMaxQueuedLines) is dropped and counted (dropped()), rather
// than making an auction wait for the disk. Lines reach the file in the order they were queued,
// within about 100 ms; the destructor writes what is queued and closes the file. Thread-safe.
#ifndef GAVEL_METRICS_REQUEST_LOG_H_
#define GAVEL_METRICS_REQUEST_LOG_H_

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sync.h"
#include "engine/engine.h"

namespace gavel::metrics {

inline constexpr size_t kMaxQueuedLines = 65'536;

// {"time":"2026-12-02T11:53:34.123456Z","request_id":"r-1","auction_id":"...","latency_us":182,
//  "mechanism":"GSP","catalog_version":3,"winners":[{"slot":1,"ad_id":"ad-7",
//  "campaign_id":"c-1","cpc_micros":450000}]} and a newline. Strings are JSON-escaped.
std::string AuctionLogLine(absl::Time at, int64_t latency_nanos, const engine::AuctionResult& r);

class RequestLog {
 public:
  // Opens `path` for appending (created if missing). kInvalidArgument naming the path if it cannot
  // be opened.
  static absl::StatusOr<std::unique_ptr<RequestLog>> Open(const std::string& path);
  ~RequestLog();

  void Append(std::string line);
  int64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  explicit RequestLog(std::FILE* file);
  void Write();

  std::FILE* const file_;
  Mutex mu_;
  CondVar cv_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> dropped_{0};
  std::thread writer_;
};

}  // namespace gavel::metrics

#endif  // GAVEL_METRICS_REQUEST_LOG_H_
