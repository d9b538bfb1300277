#include "tools/loadgen/schedule.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gavel::loadgen {

absl::StatusOr<OpenLoopSchedule> OpenLoopSchedule::Create(double rate_per_second,
                                                          absl::Time start) {
  if (!std::isfinite(rate_per_second) || rate_per_second <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("rate must be a finite number > 0 per second, got ", rate_per_second));
  }
  return OpenLoopSchedule(rate_per_second, start);
}

absl::Time OpenLoopSchedule::IntendedTime(int64_t i) const {
  // long double keeps i * 1e9 exact far beyond any run's request count.
  const long double offset_ns = std::floor(static_cast<long double>(i) * 1e9L / rate_);
  return start_ + absl::Nanoseconds(static_cast<int64_t>(offset_ns));
}

int64_t OpenLoopSchedule::DueBy(absl::Time now) const {
  if (now < start_) return 0;
  const long double elapsed_ns = absl::ToInt64Nanoseconds(now - start_);
  // A first guess from the rate, then corrected against IntendedTime so both agree exactly.
  int64_t n = static_cast<int64_t>(elapsed_ns * rate_ / 1e9L) + 1;
  while (n > 0 && IntendedTime(n - 1) > now) --n;
  while (IntendedTime(n) <= now) ++n;
  return n;
}

}  // namespace gavel::loadgen
