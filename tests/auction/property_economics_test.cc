// Properties over 100,000 seeded random auctions each, from auction theory: single-slot GSP is
// Vickrey, VCG never charges more than GSP, and at the Edelman-Ostrovsky-Schwarz (2007) lowest
// envy-free equilibrium GSP charges exactly the VCG prices.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

#include "absl/random/distributions.h"
#include "auction/auction.h"
#include "gtest/gtest.h"
#include "tests/auction/random_instance.h"

namespace gavel {
namespace auction {
namespace {

using ::gavel::auction::testing::Instance;
using ::gavel::auction::testing::RandomAds;
using ::gavel::auction::testing::RandomInstance;
using ::gavel::auction::testing::RunSeeded;

using ::gavel::auction::testing::AuctionProperty;
using ::gavel::auction::testing::kSeedQuarters;

TEST_P(AuctionProperty, SingleSlotGspWithoutSquashingIsVickrey) {
  const Rules rules{.slots = 1,
                    .squashing = 0.0,
                    .increment_micros = 0,
                    .min_cpc_micros = 0,
                    .one_winner_per_product = false,
                    .self_competition = SelfCompetition::kOff};
  Auctioneer auctioneer;
  for (const uint64_t seed : Seeds()) {
    std::mt19937_64 gen(seed);
    const std::vector<Candidate> ads = RandomAds(gen);
    const Outcome out = RunSeeded(auctioneer, ads, rules, seed);
    if (ads.empty()) {
      ASSERT_TRUE(out.winners.empty());
      continue;
    }
    std::vector<int64_t> bids;
    for (const Candidate& c : ads) bids.push_back(c.bid_micros);
    std::sort(bids.begin(), bids.end(), std::greater<int64_t>());
    ASSERT_EQ(out.winners.size(), 1u) << "seed " << seed;
    ASSERT_EQ(ads[out.winners[0].index].bid_micros, bids[0]) << "seed " << seed;
    ASSERT_EQ(out.winners[0].price_micros, bids.size() > 1 ? bids[1] : 0) << "seed " << seed;
  }
}

TEST_P(AuctionProperty, VcgPriceNeverExceedsGspPrice) {
  Auctioneer auctioneer;
  for (const uint64_t seed : Seeds()) {
    Instance in = RandomInstance(seed);
    // Per-slot reserves with self-competition can break the inequality (docs/auction.md gives the
    // counterexample): GSP ignores an ad that cannot take the winner's slot, VCG charges for
    // pushing it down a lower one.
    if (!in.rules.slot_reserve_micros.empty()) in.rules.self_competition = SelfCompetition::kOff;
    in.rules.mechanism = Mechanism::kGeneralizedSecondPrice;
    const Outcome gsp = RunSeeded(auctioneer, in.ads, in.rules, seed);
    in.rules.mechanism = Mechanism::kVcg;
    const Outcome vcg = RunSeeded(auctioneer, in.ads, in.rules, seed);
    ASSERT_EQ(gsp.winners.size(), vcg.winners.size()) << "seed " << seed;
    for (size_t i = 0; i < gsp.winners.size(); ++i) {
      ASSERT_EQ(gsp.winners[i].index, vcg.winners[i].index) << "seed " << seed;
      ASSERT_LE(vcg.winners[i].price_micros, gsp.winners[i].price_micros) << "seed " << seed;
    }
  }
}

// Values v_1 > ... > v_n per click and click shares a_1 > ... > a_K. The lowest envy-free
// equilibrium bids are b_{K+1} = v_{K+1} and a_{k-1} b_k = v_k (a_{k-1} - a_k) + a_k b_{k+1}
// (EOS 2007, Theorem 1); losers below K+1 bid their values, the top bidder anything higher.
TEST_P(AuctionProperty, GspAtLowestEnvyFreeEquilibriumChargesVcgPrices) {
  Auctioneer auctioneer;
  for (const uint64_t seed : Seeds()) {
    std::mt19937_64 gen(seed);
    const int slots = absl::Uniform(absl::IntervalClosed, gen, 1, 5);
    const int n = slots + absl::Uniform(absl::IntervalClosed, gen, 1, 4);
    std::vector<double> alpha(slots + 1, 0.0);  // alpha[slots] = 0: no slot
    alpha[0] = absl::Uniform(absl::IntervalOpenClosed, gen, 0.2, 1.0);
    for (int k = 1; k < slots; ++k) alpha[k] = alpha[k - 1] * absl::Uniform(gen, 0.3, 0.95);
    std::vector<int64_t> values(n);
    int64_t v = absl::Uniform<int64_t>(gen, 10'000, 200'000);
    for (int j = n - 1; j >= 0; --j) {
      values[j] = v;
      v += absl::Uniform<int64_t>(gen, 1'000, 1'000'000);
    }
    std::vector<double> bids(n);
    for (int j = 0; j < n; ++j) bids[j] = static_cast<double>(values[j]);
    for (int k = slots - 1; k >= 1; --k) {  // 0-based: bidder k wins slot k
      bids[k] = (values[k] * (alpha[k - 1] - alpha[k]) + bids[k + 1] * alpha[k]) / alpha[k - 1];
    }
    Rules rules{.slots = slots,
                .position_factors = std::vector<double>(alpha.begin(), alpha.end() - 1),
                .increment_micros = 0,
                .min_cpc_micros = 0,
                .self_competition = SelfCompetition::kOff};
    std::vector<Candidate> at_bids(n);
    std::vector<Candidate> at_values(n);
    for (int j = 0; j < n; ++j) {
      at_bids[j] = Candidate{.candidate_id = j + 1,
                             .advertiser_id = j + 1,
                             .campaign_id = j + 1,
                             .product_id = j + 1,
                             .bid_micros = std::llround(bids[j])};
      at_values[j] = at_bids[j];
      at_values[j].bid_micros = values[j];
    }
    rules.mechanism = Mechanism::kGeneralizedSecondPrice;
    const Outcome gsp = RunSeeded(auctioneer, at_bids, rules, seed);
    rules.mechanism = Mechanism::kVcg;
    const Outcome vcg = RunSeeded(auctioneer, at_values, rules, seed);
    ASSERT_EQ(gsp.winners.size(), static_cast<size_t>(slots)) << "seed " << seed;
    ASSERT_EQ(vcg.winners.size(), static_cast<size_t>(slots)) << "seed " << seed;
    for (int k = 0; k < slots; ++k) {
      ASSERT_EQ(gsp.winners[k].index, static_cast<size_t>(k)) << "seed " << seed;
      ASSERT_EQ(vcg.winners[k].index, static_cast<size_t>(k)) << "seed " << seed;
      // Equal up to rounding the equilibrium bids to the micro.
      ASSERT_LE(std::llabs(gsp.winners[k].price_micros - vcg.winners[k].price_micros), 1)
          << "seed " << seed << " slot " << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(SeedQuarters, AuctionProperty, ::testing::Range(0, kSeedQuarters));

}  // namespace
}  // namespace auction
}  // namespace gavel
