#include "auction/money.h"

#include <algorithm>
#include <cmath>

namespace gavel {
namespace auction {

int64_t PerClickMicros(double score, double quality_factor, int64_t cap_micros) {
  if (!(score > 0.0)) return 0;
  const double quotient = score / quality_factor;
  // Compared as doubles first: a quotient beyond int64 must not be converted.
  if (!(quotient < static_cast<double>(cap_micros))) return cap_micros;
  const double rounded = std::ceil(quotient - quotient * 1e-12);
  return std::min(cap_micros, static_cast<int64_t>(rounded));
}

}  // namespace auction
}  // namespace gavel
