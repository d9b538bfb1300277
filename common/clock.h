// The only way time reaches billing/ and engine/: an injected Clock (Envoy's TimeSource), so token
// expiry, budget days, pacing and the invalid-click windows are testable without sleeping.
//
//   gavel::SimulatedClock clock(absl::FromUnixSeconds(1'700'000'000));
//   clock.Advance(absl::Minutes(5));
//   absl::Time now = clock.Now();
//
// Both implementations are thread-safe. Callers own their clocks; every type that takes a
// `const Clock*` does not own it, and the clock must outlive that object.
#ifndef GAVEL_COMMON_CLOCK_H_
#define GAVEL_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gavel {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current instant.
  virtual absl::Time Now() const = 0;
};

// Wall-clock time (absl::Now()).
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that moves only when told to. Now() never blocks; Set/Advance may go backwards.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(absl::Time start = absl::UnixEpoch())
      : nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  void Set(absl::Time t) { nanos_.store(absl::ToUnixNanos(t)); }
  void Advance(absl::Duration d) { nanos_.fetch_add(absl::ToInt64Nanoseconds(d)); }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace gavel

#endif  // GAVEL_COMMON_CLOCK_H_
