// Checks auction inputs before they reach the pricing code, so a bad config or a bad ad is reported
// by name instead of producing a strange price.
//
//   absl::Status s = ValidateRules(rules);
//   // s.message() == "slots must be in [1, 40], got 0"
//   s = ValidateCandidates(ads);  // "candidates[3].quality must be in (0, 1], got 1.5"
//
// Pure functions; thread-safe.
#ifndef GAVEL_AUCTION_VALIDATE_H_
#define GAVEL_AUCTION_VALIDATE_H_

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "auction/types.h"

namespace gavel {
namespace auction {

// OK, or INVALID_ARGUMENT naming the first bad field and its value: slots outside [1, 40],
// squashing outside [0, 1] (or NaN), a position factor outside (0, 1], increasing, or fewer than
// `slots` of them, more slot reserves than slots, a money amount outside [0, kMaxMicros], or an
// unknown enum value.
absl::Status ValidateRules(const Rules& rules);

// OK, or INVALID_ARGUMENT "max_bid_micros must be in [1, 1000000000000], got 0".
absl::Status ValidateMinBidOptions(const MinBidOptions& options);

// OK, or INVALID_ARGUMENT naming the first bad candidate by index: bid_micros outside
// [1, kMaxMicros], quality outside (0, 1] or NaN. Candidate ids are not checked for uniqueness
// (that would cost a hash set per auction); with duplicate ids, ties may depend on input order.
absl::Status ValidateCandidates(absl::Span<const Candidate> candidates);

// The per-candidate check behind ValidateCandidates, for callers that loop themselves.
inline bool IsValidCandidate(const Candidate& c) {
  return c.bid_micros >= 1 && c.bid_micros <= kMaxMicros && c.quality > 0.0 && c.quality <= 1.0;
}

}  // namespace auction
}  // namespace gavel

#endif  // GAVEL_AUCTION_VALIDATE_H_
