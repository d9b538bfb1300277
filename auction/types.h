// The vocabulary of one sponsored-product auction: the candidate ads, the rules the auction runs
// under, and the outcome (who won which slot at what price per click, and why the others lost).
//
//   gavel::auction::Rules rules{.mechanism = Mechanism::kGeneralizedSecondPrice, .slots = 3};
//   std::vector<Candidate> ads = {{.candidate_id = 1, .advertiser_id = 7, .bid_micros = 900'000,
//                                  .quality = 0.8}};
//   absl::StatusOr<Outcome> outcome = RunAuction(ads, rules, gen);   // see auction.h
//
// Money is int64 micros (1'000'000 micros = one currency unit) everywhere; scores are doubles.
// The semantics, with formulas and worked examples, are in docs/auction.md.
// Plain value types: thread-compatible (no internal synchronisation, no shared state).
#ifndef GAVEL_AUCTION_TYPES_H_
#define GAVEL_AUCTION_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace gavel {
namespace auction {

// Upper bound for every money amount (bids, reserves, increments): one million currency units per
// click. Keeps sums far from int64 overflow and every bid exactly representable as a double.
inline constexpr int64_t kMaxMicros = 1'000'000'000'000;
inline constexpr int kMaxSlots = 40;

enum class Mechanism { kGeneralizedSecondPrice, kVcg, kFirstPrice };

// kBid: slot s admits an ad whose bid >= reserve_s. kQualityWeighted: the reserve applies to the
// score, so the ad needs bid * quality^a >= reserve_s, i.e. bid >= reserve_s / quality^a.
enum class ReserveMode { kBid, kQualityWeighted };

// Whose ads may set a winner's second price: kAdvertiser (default) ignores the winner's other ads
// from the same advertiser, kCampaign those from the same campaign, kOff nobody.
enum class SelfCompetition { kAdvertiser, kCampaign, kOff };

struct Candidate {
  int64_t candidate_id = 0;  // unique within one auction; also the canonical key for tie-breaking
  int64_t advertiser_id = 0;
  int64_t campaign_id = 0;
  int64_t product_id = 0;
  int64_t bid_micros = 0;  // max cost per click, after bid adjustments; in [1, kMaxMicros]
  double quality = 1.0;    // predicted quality in (0, 1]
};

struct Rules {
  Mechanism mechanism = Mechanism::kGeneralizedSecondPrice;
  int slots = 1;  // in [1, kMaxSlots]
  // Expected click share of each slot, non-increasing, in (0, 1]. Slots beyond the list (all of
  // them when it is empty) use min(last factor, 1 / (slot + 1)): 1, 1/2, 1/3, ... by default.
  // Used by VCG (and the simulator).
  std::vector<double> position_factors;
  int64_t reserve_micros = 0;
  // Slot s uses slot_reserve_micros[s] when s < size(), else reserve_micros. At most `slots`
  // entries.
  std::vector<int64_t> slot_reserve_micros;
  ReserveMode reserve_mode = ReserveMode::kBid;
  double squashing = 1.0;             // a in [0, 1]: score = bid * quality^a
  int64_t increment_micros = 10'000;  // added to a GSP second price
  int64_t min_cpc_micros = 10'000;    // no click costs less; a bid below it is below reserve
  bool one_winner_per_product = true;
  SelfCompetition self_competition = SelfCompetition::kAdvertiser;
};

// What a minimum bid reports when no bid up to MinBidOptions::max_bid_micros would do. Never a
// real minimum: those are at least 1 micro, the smallest valid bid.
inline constexpr int64_t kNoMinBid = 0;

// How Auctioneer::Run reports minimum bids (docs/auction.md, "Minimum bids").
struct MinBidOptions {
  // Also fill Outcome::min_bid_micros_per_slot (every candidate, every slot). Costs a ranking of
  // every eligible ad and one allocation per winner: for explanations, not for serving.
  bool per_slot = false;
  // The largest bid the caller's bidders can set (an API's limit), in [1, kMaxMicros]. A minimum
  // above it is reported as kNoMinBid.
  int64_t max_bid_micros = kMaxMicros;
};

struct Winner {
  size_t index = 0;  // into the candidate span given to the auction
  int slot = 0;  // 0-based; winners are sorted by slot, and a slot nobody qualified for is empty
  int64_t price_micros = 0;  // charged per click; floor_s <= price <= bid
  // The smallest bid with which, everything else unchanged, it gets this slot or a better one
  // whatever the tie-break; at most bid + 1 (when it holds the slot by winning a tie); kNoMinBid
  // above MinBidOptions::max_bid_micros.
  int64_t min_bid_micros = 0;
  double score = 0;
};

enum class LossReason {
  kBelowReserve,      // the bid meets no slot's floor (reserve or min CPC)
  kOutranked,         // eligible, but every slot it could take went to a better-ranked ad
  kDuplicateProduct,  // a better-ranked eligible ad advertises the same product
};

// "BELOW_RESERVE", "OUTRANKED" or "DUPLICATE_PRODUCT".
absl::string_view LossReasonName(LossReason reason);
// "GSP", "VCG" or "FIRST_PRICE".
absl::string_view MechanismName(Mechanism mechanism);

struct Loser {
  size_t index = 0;
  LossReason reason = LossReason::kOutranked;
  double score = 0;
};

// Every candidate appears exactly once: in `winners` (sorted by slot) or `losers` (sorted by
// index).
struct Outcome {
  std::vector<Winner> winners;
  std::vector<Loser> losers;
  // Only with MinBidOptions::per_slot (else empty): `slots` entries per candidate, in input order.
  // Read them with MinBidsPerSlot.
  std::vector<int64_t> min_bid_micros_per_slot;
  int slots = 0;  // the rules' slots when min_bid_micros_per_slot is filled

  // Entry s: the smallest bid with which candidate `index`, everything else unchanged, gets slot s
  // or a better one whatever the tie-break; kNoMinBid above MinBidOptions::max_bid_micros.
  // Non-increasing in s (kNoMinBid counting as above every bid). Empty unless
  // MinBidOptions::per_slot was set.
  absl::Span<const int64_t> MinBidsPerSlot(size_t index) const {
    if (min_bid_micros_per_slot.empty()) return {};
    return absl::MakeConstSpan(min_bid_micros_per_slot).subspan(index * slots, slots);
  }
};

// The position factor of `slot` under `rules` (the default 1 / (slot + 1) when none are given).
// `rules` must be valid.
double PositionFactor(const Rules& rules, int slot);
// The reserve of `slot`: slot_reserve_micros[slot] if given, else reserve_micros.
int64_t SlotReserveMicros(const Rules& rules, int slot);

}  // namespace auction
}  // namespace gavel

#endif  // GAVEL_AUCTION_TYPES_H_
