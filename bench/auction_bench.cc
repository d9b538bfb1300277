// Auction core throughput: RunAuction through a reused Auctioneer, for 10 to 10,000 candidates and
// 1 to 10 slots under each mechanism, next to a baseline that only selects the top K of the same
// precomputed scores (std::nth_element + sort of K). docs/performance.md reports the ratio.
//
//   bazel run -c opt //bench:auction_bench -- --benchmark_filter='/1000/5$'
#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "absl/random/distributions.h"
#include "auction/auction.h"
#include "benchmark/benchmark.h"

namespace gavel {
namespace auction {
namespace {

// Distinct products, a few ads per advertiser, bids and qualities spread like a real query's.
std::vector<Candidate> MakeCandidates(int n) {
  std::mt19937_64 gen(42);
  std::vector<Candidate> ads(n);
  for (int i = 0; i < n; ++i) {
    ads[i].candidate_id = i + 1;
    ads[i].advertiser_id = 1 + i / 4;
    ads[i].campaign_id = 1 + i / 2;
    ads[i].product_id = 1 + i;
    ads[i].bid_micros = absl::Uniform<int64_t>(gen, 10'000, 3'000'000);
    ads[i].quality = absl::Uniform(absl::IntervalOpenClosed, gen, 0.0, 1.0);
  }
  std::shuffle(ads.begin(), ads.end(), gen);
  return ads;
}

template <Mechanism kMechanism>
void BM_Auction(benchmark::State& state) {
  const std::vector<Candidate> ads = MakeCandidates(static_cast<int>(state.range(0)));
  const Rules rules{.mechanism = kMechanism, .slots = static_cast<int>(state.range(1))};
  Auctioneer auctioneer;
  Outcome outcome;
  std::mt19937_64 gen(7);
  for (auto _ : state) {
    const absl::Status status = auctioneer.Run(ads, rules, gen, &outcome);
    if (!status.ok()) state.SkipWithError("auction failed");
    benchmark::DoNotOptimize(outcome.winners.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The floor any auction pays: copy the precomputed scores and select the top K.
void BM_TopKBaseline(benchmark::State& state) {
  const std::vector<Candidate> ads = MakeCandidates(static_cast<int>(state.range(0)));
  const size_t k = std::min<size_t>(ads.size(), state.range(1));
  std::vector<double> scores;
  for (const Candidate& c : ads) scores.push_back(static_cast<double>(c.bid_micros) * c.quality);
  std::vector<double> work(scores.size());
  for (auto _ : state) {
    std::copy(scores.begin(), scores.end(), work.begin());
    std::nth_element(work.begin(), work.begin() + k - 1, work.end(), std::greater<double>());
    std::sort(work.begin(), work.begin() + k, std::greater<double>());
    benchmark::DoNotOptimize(work.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"candidates", "slots"});
  for (int n : {10, 100, 1'000, 10'000}) {
    for (int slots : {1, 5, 10}) b->Args({n, slots});
  }
}

BENCHMARK(BM_TopKBaseline)->Apply(Sizes);
BENCHMARK_TEMPLATE(BM_Auction, Mechanism::kGeneralizedSecondPrice)->Apply(Sizes);
BENCHMARK_TEMPLATE(BM_Auction, Mechanism::kVcg)->Apply(Sizes);
BENCHMARK_TEMPLATE(BM_Auction, Mechanism::kFirstPrice)->Apply(Sizes);

}  // namespace
}  // namespace auction
}  // namespace gavel
