// The training log's writer: an append-only directory of rotated files of training records
// (docs/learning.md, "Training log"), fed from serving threads without making them wait for disk.
//
//   absl::StatusOr<std::unique_ptr<TrainingLog>> log = TrainingLog::Open({.dir = "/var/gavel/t"});
//   (*log)->Append(EncodeImpression(impression));   // never blocks on I/O; false = dropped
//
// Append puts a line on a bounded in-memory queue (one short mutex hold, no I/O); one writer
// thread of its own drains the queue to the current file. When the queue holds `queue_capacity`
// lines, Append drops the line and counts it (stats().dropped): training data is a sample, and an
// auction must never wait for a disk. Files are named training-<UTC yyyymmddThhmmss>-<seq>.log,
// start with kLogHeader, hold whole lines only, and are closed and replaced once they reach
// `max_file_bytes` or are `max_file_age` old. A write error stops the writer (lines queued after
// it are dropped and counted) and is reported by stats().error; serving goes on.
//
// Thread-safe. The destructor writes every line queued before it, then joins the writer thread.
#ifndef GAVEL_LEARNING_TRAINING_LOG_H_
#define GAVEL_LEARNING_TRAINING_LOG_H_

#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sync.h"

namespace gavel::learning {

struct TrainingLogOptions {
  std::string dir;                             // must exist and be writable
  int64_t max_file_bytes = int64_t{64} << 20;  // rotate at this size (>= 4096)
  absl::Duration max_file_age = absl::Hours(1);
  int queue_capacity = 65536;  // lines waiting for the writer, >= 1
  // The time files are named and aged by; tests inject one.
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

struct TrainingLogStats {
  int64_t appended = 0;  // lines accepted by Append
  int64_t dropped = 0;   // lines refused: queue full, or the writer stopped on an error
  int64_t written = 0;   // lines in files
  int64_t files = 0;     // files opened
  std::string error;     // the write error that stopped the writer; empty while healthy
};

class TrainingLog {
 public:
  // INVALID_ARGUMENT naming the option for a bad option; NOT_FOUND if `dir` is not a directory.
  static absl::StatusOr<std::unique_ptr<TrainingLog>> Open(TrainingLogOptions options);
  ~TrainingLog();

  // Queues one line (it must end in '\n'). True if queued, false if dropped.
  bool Append(std::string line);
  // Blocks until every line appended before the call is written (tests, shutdown).
  void Flush();
  TrainingLogStats stats() const;

 private:
  explicit TrainingLog(TrainingLogOptions options);
  void Run();
  // Writes `lines` to the current file, rotating first when it is full or old. Returns false on a
  // write error (recorded in error_).
  bool WriteLines(std::deque<std::string>& lines);
  bool Rotate();

  const TrainingLogOptions options_;
  mutable Mutex mu_;
  CondVar work_cv_;     // lines queued, or stopping
  CondVar drained_cv_;  // the writer finished a batch, or stopped
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t in_progress_ ABSL_GUARDED_BY(mu_) = 0;  // lines taken by the writer, not yet written
  TrainingLogStats stats_ ABSL_GUARDED_BY(mu_);
  // Writer thread only.
  std::FILE* file_ = nullptr;
  int64_t file_bytes_ = 0;
  absl::Time file_opened_;
  int64_t seq_ = 0;
  std::thread writer_;
};

}  // namespace gavel::learning

#endif  // GAVEL_LEARNING_TRAINING_LOG_H_
