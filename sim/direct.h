// Direct bidders: auctions without a catalog, for checking the auction library against theory.
// Each auction draws every bidder's value per click from a distribution, bids value x shading,
// runs auction::Auctioneer under the given rules, and scores the outcome with each slot's position
// factor as its expected clicks (the model VCG prices with).
//
//   DirectOptions o{.bidders = 2, .rules = {.slots = 1, .increment_micros = 0, .min_cpc_micros =
//   1},
//                   .auctions = 100'000};
//   o.value.set_kind(Distribution::UNIFORM); o.value.set_max(1e6);   // U[0, 1) units, in micros
//   absl::StatusOr<DirectResult> r = RunDirect(o, gen);   // r->revenue.mean ~ (n-1)/(n+1) x 1e6
//
// Thread-compatible; randomness only from `gen`.
#ifndef GAVEL_SIM_DIRECT_H_
#define GAVEL_SIM_DIRECT_H_

#include <cstdint>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "auction/types.h"
#include "sim/scenario.pb.h"
#include "sim/stats.h"

namespace gavel::sim {

struct DirectOptions {
  int bidders = 2;
  Distribution value;    // per click, micros; drawn per bidder per auction
  double shading = 1.0;  // bid = floor(value x shading), at least 1 micro
  double quality = 1.0;  // every bidder's quality
  auction::Rules rules;
  int64_t auctions = 100'000;
};

// Per-auction means with 95% confidence intervals, in micros.
struct DirectResult {
  Interval revenue;  // sum over winners of price x position factor
  Interval welfare;  // sum over winners of value x position factor
  Interval surplus;  // welfare - revenue
};

// INVALID_ARGUMENT from the auction library for bad rules, or for bidders < 1 / auctions < 2.
absl::StatusOr<DirectResult> RunDirect(const DirectOptions& o, absl::BitGenRef gen);

}  // namespace gavel::sim

#endif  // GAVEL_SIM_DIRECT_H_
