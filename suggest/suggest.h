// Bid and budget suggestions from recorded history: the pure core behind
// CampaignService.GetBidSuggestions and GetBudgetSuggestion. No clock, no I/O, no locks: the same
// observations give the same suggestions. Definitions and worked examples: docs/auction.md
// ("Bid suggestions") and docs/billing.md ("Budget suggestions").
//
//   std::vector<TargetObservation> history = ...;            // one per sampled auction
//   BidSuggestion s = SuggestBid(history, {.floor_micros = 10'000, .cap_micros = kMaxBid});
//   if (s.has_range) Show(s.low_micros, s.median_micros, s.high_micros);
//
//   BudgetDaySuggestion d = SuggestBudgetDay({.daily_budget_micros = 5'000'000, ...});
//
// Plain functions over value types: thread-safe.
#ifndef GAVEL_SUGGEST_SUGGEST_H_
#define GAVEL_SUGGEST_SUGGEST_H_

#include <array>
#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "absl/types/span.h"

namespace gavel::suggest {

// Minimum bids are suggested for slots 1..kSlots.
inline constexpr int kSlots = 3;
// A suggestion needs at least this many observations: the range this many wins, the minimum bids
// this many auctions. Below it the suggestion says "none" (has_range / has_min_bids false).
inline constexpr int kMinObservations = 5;
// The percentiles low, median and high are (nearest rank, see NearestRank).
inline constexpr int kLowPercent = 25, kMedianPercent = 50, kHighPercent = 75;

// One target in one sampled auction in which it competed (was an auction candidate).
struct TargetObservation {
  absl::Time at;
  bool won = false;
  int64_t cpc_micros = 0;  // the price of its best slot when won, else 0
  // Entry s: the smallest bid with which the target would have won slot s + 1 or a better one in
  // that auction (auction::Outcome::MinBidsPerSlot, the smallest over the target's ads); 0 when
  // no bid up to the catalog's maximum would, or the auction had fewer than s + 1 slots.
  std::array<int64_t, kSlots> min_bid_micros{};
};

// What a suggested bid is clamped to: [floor_micros, cap_micros], floor <= cap.
struct BidLimits {
  int64_t floor_micros = 1;  // the auction's lowest admissible bid (min CPC, reserve)
  int64_t cap_micros = 0;    // the largest bid the catalog accepts
};

struct BidSuggestion {
  int32_t auctions = 0;  // observations behind it
  int32_t wins = 0;      // of which won
  // p25 / p50 / p75 of the winning CPCs, clamped to the limits; set only when
  // wins >= kMinObservations.
  bool has_range = false;
  int64_t low_micros = 0, median_micros = 0, high_micros = 0;
  // Entry s: the median (p50, nearest rank) of the per-auction minimum bids for slot s + 1, an
  // unattainable auction counting as above every bid: a bid of it would have won slot s + 1 or
  // better in at least half of the auctions. Clamped to the limits; 0 when that median is
  // unattainable. Set only when auctions >= kMinObservations.
  bool has_min_bids = false;
  std::array<int64_t, kSlots> min_bid_micros{};
};

// The nearest-rank percentile of `sorted` (ascending, non-empty): the value of 1-based rank
// ceil(percent x n / 100), at least rank 1. `percent` in [1, 100].
int64_t NearestRank(absl::Span<const int64_t> sorted, int percent);

// The suggestion for one target from its observations (any order).
BidSuggestion SuggestBid(absl::Span<const TargetObservation> history, const BidLimits& limits);

// One campaign-local day of a campaign, as billing and the recorder saw it.
struct BudgetDayInput {
  int64_t daily_budget_micros = 0;  // the campaign's budget now
  int64_t spend_micros = 0;         // charged that day (billing's daily stats)
  int64_t clicks = 0;               // charged clicks that day
  // Sampled auctions that day in which the campaign had a candidate past targeting: in budget
  // (served or paced out) and held back because its budget was spent.
  int64_t in_budget_auctions = 0;
  int64_t out_of_budget_auctions = 0;
  absl::Time day_start, day_end;     // the local day's bounds
  absl::Time now;                    // the day counts up to min(day_end, now)
  std::optional<absl::Time> out_at;  // the first sampled auction held back for budget
};

struct BudgetDaySuggestion {
  bool ran_out = false;  // some sampled auction held it back for budget
  // (out_at - day_start) / (min(day_end, now) - day_start), in [0, 1]; 1 when it never ran out.
  double in_budget_share = 1;
  // floor(clicks x out_of_budget_auctions / in_budget_auctions): clicks per in-budget auction
  // times the auctions it missed, which weights the missed hours by their traffic; 0 when it
  // never ran out or had no in-budget auction.
  int64_t estimated_missed_clicks = 0;
  // The budget that would have kept it in budget: its spend per in-budget auction times all its
  // auctions, ceil(spend x (in + out) / in), and never below its budget; the budget itself when
  // it never ran out; 0 (no estimate) when it had no in-budget auction.
  int64_t suggested_budget_micros = 0;
};

BudgetDaySuggestion SuggestBudgetDay(const BudgetDayInput& in);

}  // namespace gavel::suggest

#endif  // GAVEL_SUGGEST_SUGGEST_H_
