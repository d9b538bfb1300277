#include "suggest/suggest.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/numeric/int128.h"

namespace gavel::suggest {
namespace {

// An unattainable minimum bid sorts above every real one.
constexpr int64_t kUnattainable = std::numeric_limits<int64_t>::max();

int64_t Clamp(int64_t v, const BidLimits& limits) {
  return std::min(std::max(v, limits.floor_micros), limits.cap_micros);
}

}  // namespace

int64_t NearestRank(absl::Span<const int64_t> sorted, int percent) {
  const int64_t n = static_cast<int64_t>(sorted.size());
  int64_t rank = (percent * n + 99) / 100;  // ceil(percent x n / 100)
  rank = std::min(std::max<int64_t>(rank, 1), n);
  return sorted[rank - 1];
}

BidSuggestion SuggestBid(absl::Span<const TargetObservation> history, const BidLimits& limits) {
  BidSuggestion s;
  s.auctions = static_cast<int32_t>(history.size());
  std::vector<int64_t> values;
  for (const TargetObservation& o : history) {
    if (o.won) values.push_back(o.cpc_micros);
  }
  s.wins = static_cast<int32_t>(values.size());
  if (s.wins >= kMinObservations) {
    std::sort(values.begin(), values.end());
    s.has_range = true;
    s.low_micros = Clamp(NearestRank(values, kLowPercent), limits);
    s.median_micros = Clamp(NearestRank(values, kMedianPercent), limits);
    s.high_micros = Clamp(NearestRank(values, kHighPercent), limits);
  }
  if (s.auctions >= kMinObservations) {
    s.has_min_bids = true;
    for (int slot = 0; slot < kSlots; ++slot) {
      values.clear();
      for (const TargetObservation& o : history) {
        const int64_t m = o.min_bid_micros[slot];
        values.push_back(m > 0 ? m : kUnattainable);
      }
      std::sort(values.begin(), values.end());
      const int64_t median = NearestRank(values, kMedianPercent);
      s.min_bid_micros[slot] = median == kUnattainable ? 0 : Clamp(median, limits);
    }
  }
  return s;
}

BudgetDaySuggestion SuggestBudgetDay(const BudgetDayInput& in) {
  BudgetDaySuggestion s;
  s.ran_out = in.out_of_budget_auctions > 0 && in.out_at.has_value();
  if (!s.ran_out) {
    s.suggested_budget_micros = in.daily_budget_micros;
    return s;
  }
  const absl::Duration counted = std::min(in.day_end, in.now) - in.day_start;
  if (counted > absl::ZeroDuration()) {
    const double share = absl::FDivDuration(*in.out_at - in.day_start, counted);
    s.in_budget_share = std::min(1.0, std::max(0.0, share));
  } else {
    s.in_budget_share = 0;
  }
  if (in.in_budget_auctions <= 0) return s;  // no estimate
  const absl::int128 in_budget = in.in_budget_auctions;
  const absl::int128 total = in_budget + in.out_of_budget_auctions;
  s.estimated_missed_clicks =
      static_cast<int64_t>(absl::int128(in.clicks) * in.out_of_budget_auctions / in_budget);
  // Rounded up, so that the suggestion covers the whole day's estimated spend.
  const absl::int128 needed = (absl::int128(in.spend_micros) * total + in_budget - 1) / in_budget;
  const absl::int128 cap = std::numeric_limits<int64_t>::max();
  s.suggested_budget_micros =
      std::max<int64_t>(in.daily_budget_micros, static_cast<int64_t>(std::min(needed, cap)));
  return s;
}

}  // namespace gavel::suggest
