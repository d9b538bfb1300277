#include "sim/direct.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auction/auction.h"
#include "sim/market.h"

namespace gavel::sim {

absl::StatusOr<DirectResult> RunDirect(const DirectOptions& o, absl::BitGenRef gen) {
  if (o.bidders < 1 || o.auctions < 2) {
    return absl::InvalidArgumentError(absl::StrCat("bidders must be >= 1 and auctions >= 2, got ",
                                                   o.bidders, " and ", o.auctions));
  }
  auction::Auctioneer auctioneer;
  auction::Outcome outcome;
  std::vector<auction::Candidate> candidates(o.bidders);
  std::vector<int64_t> values(o.bidders);
  std::vector<double> revenue, welfare, surplus;
  revenue.reserve(o.auctions);
  welfare.reserve(o.auctions);
  surplus.reserve(o.auctions);
  for (int64_t a = 0; a < o.auctions; ++a) {
    for (int b = 0; b < o.bidders; ++b) {
      values[b] =
          std::clamp<int64_t>(static_cast<int64_t>(Sample(o.value, gen)), 0, auction::kMaxMicros);
      candidates[b] = {
          .candidate_id = b,
          .advertiser_id = b,
          .campaign_id = b,
          .product_id = b,
          .bid_micros = std::clamp<int64_t>(
              static_cast<int64_t>(std::floor(static_cast<double>(values[b]) * o.shading)), 1,
              auction::kMaxMicros),
          .quality = o.quality};
    }
    absl::Status st = auctioneer.Run(candidates, o.rules, gen, &outcome);
    if (!st.ok()) return st;
    double r = 0, w = 0;
    for (const auction::Winner& win : outcome.winners) {
      const double clicks = auction::PositionFactor(o.rules, win.slot);
      r += clicks * static_cast<double>(win.price_micros);
      w += clicks * static_cast<double>(values[win.index]);
    }
    revenue.push_back(r);
    welfare.push_back(w);
    surplus.push_back(w - r);
  }
  return DirectResult{
      .revenue = MeanCi(revenue), .welfare = MeanCi(welfare), .surplus = MeanCi(surplus)};
}

}  // namespace gavel::sim
