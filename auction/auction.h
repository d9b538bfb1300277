// Runs one sponsored-product auction: filters candidates by reserve, keeps one ad per product,
// ranks by score = bid * quality^a (ties at random), fills the slots and prices each winner under
// GSP, VCG or first price. Semantics, formulas and worked examples: docs/auction.md.
//
//   absl::BitGen gen;                               // or a seeded std::mt19937_64 in tests
//   absl::StatusOr<Outcome> outcome = RunAuction(candidates, rules, gen);
//   for (const Winner& w : outcome->winners) Charge(candidates[w.index], w.price_micros);
//
// A server thread running many auctions keeps one Auctioneer, which reuses its scratch buffers:
//
//   Auctioneer auctioneer;   // one per thread
//   Outcome outcome;         // reused too: its vectors keep their capacity
//   absl::Status s = auctioneer.Run(candidates, rules, gen, &outcome);
//
// An explanation also asks for every candidate's minimum bid per slot (docs/auction.md):
//
//   s = auctioneer.Run(candidates, rules, gen, &outcome, {.per_slot = true});
//   absl::Span<const int64_t> min_bids = outcome.MinBidsPerSlot(i);  // [s]: slot s or better
//
// Randomness (tie-breaking only) is one 64-bit tie-break seed per auction: either drawn from `gen`
// (exactly one absl::Uniform<uint64_t> draw, made after the rules are checked) or given by the
// caller. The same seed gives the same outcome, and the input order of the candidates does not
// matter, so an auction is replayed by running it again with the seed it used:
//
//   uint64_t seed = absl::Uniform<uint64_t>(gen);             // what the generator overload does
//   Outcome first = *RunAuction(candidates, rules, seed);
//   Outcome again = *RunAuction(candidates, rules, seed);     // same winners, slots and prices
#ifndef GAVEL_AUCTION_AUCTION_H_
#define GAVEL_AUCTION_AUCTION_H_

#include <cstdint>
#include <memory>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "auction/types.h"
#include "auction/validate.h"

namespace gavel {
namespace auction {
namespace internal {
struct Scratch;  // Auctioneer's reusable buffers, defined in auction.cc
}  // namespace internal

// Returns the outcome of one auction over `candidates` under `rules`, or INVALID_ARGUMENT with the
// message of ValidateRules / ValidateCandidates. Thread-safe (allocates its own scratch space).
absl::StatusOr<Outcome> RunAuction(absl::Span<const Candidate> candidates, const Rules& rules,
                                   absl::BitGenRef gen);
// The same with the tie-break seed given: draws nothing.
absl::StatusOr<Outcome> RunAuction(absl::Span<const Candidate> candidates, const Rules& rules,
                                   uint64_t tie_break_seed);

// Runs auctions with reusable scratch buffers: after warm-up an auction allocates nothing.
// Not thread-safe: use one Auctioneer per thread. Holds no reference to any auction's inputs.
class Auctioneer {
 public:
  Auctioneer();
  ~Auctioneer();
  Auctioneer(const Auctioneer&) = delete;
  Auctioneer& operator=(const Auctioneer&) = delete;

  // Fills `*outcome` (its previous contents are discarded) and returns OK, or returns
  // INVALID_ARGUMENT as RunAuction does (or ValidateMinBidOptions) and leaves `*outcome` empty.
  // `min_bids` says how minimum bids are reported; the same one generator draw either way.
  absl::Status Run(absl::Span<const Candidate> candidates, const Rules& rules, absl::BitGenRef gen,
                   Outcome* outcome, const MinBidOptions& min_bids = {});
  // The same with the tie-break seed given: draws nothing. Run(c, r, gen, o, m) is
  // Run(c, r, absl::Uniform<uint64_t>(gen), o, m) for rules and options that pass validation.
  absl::Status Run(absl::Span<const Candidate> candidates, const Rules& rules,
                   uint64_t tie_break_seed, Outcome* outcome, const MinBidOptions& min_bids = {});

 private:
  absl::Status RunChecked(absl::Span<const Candidate> candidates, const Rules& rules,
                          uint64_t tie_break_seed, Outcome* outcome, const MinBidOptions& min_bids);

  std::unique_ptr<internal::Scratch> scratch_;
};

}  // namespace auction
}  // namespace gavel

#endif  // GAVEL_AUCTION_AUCTION_H_
