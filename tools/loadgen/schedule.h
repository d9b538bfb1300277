// When an open-loop load generator means to send each request, and which part of a run counts.
//
//   OpenLoopSchedule schedule(/*rate_per_second=*/2000, absl::Now());
//   absl::Time due = schedule.IntendedTime(i);   // request i is due at start + i / rate
//   int64_t n = schedule.DueBy(absl::Now());      // how many are due by now
//
// Why intended times: a closed-loop client (or an open-loop one that measures from the moment it
// actually sent) waits for a stalled server before sending more, so the requests that would have
// queued behind the stall are never timed: "coordinated omission" (Gil Tene, "How NOT to measure
// latency", 2013; wrk2). Timing every request from the moment the schedule says it should have
// left charges the stall to every request it delayed, as a real arrival process would see it.
//
// Both types are immutable values: thread-safe to share.
#ifndef GAVEL_TOOLS_LOADGEN_SCHEDULE_H_
#define GAVEL_TOOLS_LOADGEN_SCHEDULE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gavel::loadgen {

// A fixed-rate arrival schedule: request i (from 0) is due at start + i / rate, computed from i
// directly so rounding never accumulates over millions of requests.
class OpenLoopSchedule {
 public:
  // Returns the schedule, or kInvalidArgument when `rate_per_second` is not finite and > 0.
  static absl::StatusOr<OpenLoopSchedule> Create(double rate_per_second, absl::Time start);

  // start + floor(i * 1e9 / rate) nanoseconds, for i >= 0.
  absl::Time IntendedTime(int64_t i) const;
  // The number of requests due at or before `now`: the smallest i with IntendedTime(i) > now.
  // 0 before `start`.
  int64_t DueBy(absl::Time now) const;

  double rate_per_second() const { return rate_; }
  absl::Time start() const { return start_; }

 private:
  OpenLoopSchedule(double rate, absl::Time start) : rate_(rate), start_(start) {}
  double rate_;
  absl::Time start_;
};

// The phases of a run: [start, start + warmup) warms caches and connections and is not reported;
// [start + warmup, start + warmup + duration) is measured.
struct RunWindow {
  absl::Time start;
  absl::Duration warmup = absl::ZeroDuration();
  absl::Duration duration = absl::Seconds(10);

  absl::Time measure_start() const { return start + warmup; }
  absl::Time end() const { return start + warmup + duration; }
  // True when a request intended at `t` belongs to the measurement.
  bool Measured(absl::Time t) const { return t >= measure_start() && t < end(); }
};

}  // namespace gavel::loadgen

#endif  // GAVEL_TOOLS_LOADGEN_SCHEDULE_H_
