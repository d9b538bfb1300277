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

int64_t OutbidMicros(double score, double quality_factor, int64_t cap_micros) {
  int64_t bid = std::max<int64_t>(1, PerClickMicros(score, quality_factor, cap_micros));
  // The ranking compares these very products, so the check is exact.
  while (bid < cap_micros && !(static_cast<double>(bid) * quality_factor > score)) ++bid;
  return std::min(bid, cap_micros);
}

}  // namespace auction
}  // namespace gavel
