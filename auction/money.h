// The auction's one rounding rule, the quality factor it divides by, and the bid that outranks a
// score (the same rule, made strict).
//
//   double qf = QualityFactor(0.8, /*squashing=*/1.0);                 // 0.8
//   int64_t p = PerClickMicros(/*score=*/720'000.0, qf, /*cap=*/1'000'000);  // 900'000
//   int64_t b = OutbidMicros(/*score=*/720'000.0, qf, /*cap=*/1'000'000);    // 900'001
//
// Pure functions; thread-safe.
#ifndef GAVEL_AUCTION_MONEY_H_
#define GAVEL_AUCTION_MONEY_H_

#include <cmath>
#include <cstdint>

namespace gavel {
namespace auction {

// quality^squashing, computed exactly for the common squashing 0 (returns 1) and 1 (returns
// quality).
inline double QualityFactor(double quality, double squashing) {
  if (squashing == 0.0) return 1.0;
  if (squashing == 1.0) return quality;
  return std::pow(quality, squashing);
}

// Converts an amount in score units (micros x quality factor) to micros per click for an ad whose
// quality factor is `quality_factor` (> 0): score / quality_factor rounded UP to the next micro,
// then capped at `cap_micros`. Rounding up means the ad never pays less than what it must beat.
// Floating-point noise is forgiven: a quotient within one part in 10^12 above an integer counts as
// that integer, so a competitor's bid of 900'000 at the same quality converts back to exactly
// 900'000. Returns 0 for a non-positive score.
int64_t PerClickMicros(double score, double quality_factor, int64_t cap_micros);

// The smallest bid (>= 1 micro) whose score, bid x quality_factor as the auction computes it (one
// double multiplication), is strictly above `score`, capped at `cap_micros` (>= 1): the bid that
// outranks an ad of score `score` whatever the tie-break. It is PerClickMicros(score, ...) when
// that bid's score is above `score`, else a micro more (two at most, where the forgiven noise was
// real): the same rounding, plus the micro that turns a tie into a win. Minimum bids use it.
int64_t OutbidMicros(double score, double quality_factor, int64_t cap_micros);

}  // namespace auction
}  // namespace gavel

#endif  // GAVEL_AUCTION_MONEY_H_
