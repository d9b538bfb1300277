// The bid landscape's recording path and the suggestion core: LandscapeRecorder::Record for one
// sampled auction (what a serving thread pays 1 in --landscape_sample_every auctions), and
// SuggestBid over a full per-target history (what GetBidSuggestions pays per target).
//
//   bazel run -c opt //bench:suggest_bench
//
// The recorder is warm (its targets exist): the steady state, not the first sight of a target.
#include <random>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "engine/engine.h"
#include "suggest/landscape.h"
#include "suggest/suggest.h"

namespace gavel::suggest {
namespace {

// An auction with `targets` candidates with manual targets over `campaigns` campaigns, drawn from
// a pool of 1000 campaigns x 20 targets.
struct Auctions {
  std::vector<std::string> ids;  // keeps the views below alive
  std::vector<std::vector<engine::TargetSample>> targets;
  std::vector<std::vector<engine::CampaignSample>> campaigns;
};

Auctions MakeAuctions(int n, int targets, int campaigns) {
  std::mt19937_64 gen(7);
  Auctions a;
  a.ids.reserve(1000 * 21);
  for (int c = 0; c < 1000; ++c) {
    a.ids.push_back(absl::StrCat("campaign-", c));
    for (int t = 0; t < 20; ++t) a.ids.push_back(absl::StrCat("target-", c, "-", t));
  }
  for (int i = 0; i < n; ++i) {
    std::vector<engine::TargetSample> ts;
    std::vector<engine::CampaignSample> cs;
    for (int k = 0; k < campaigns; ++k) {
      const int c = absl::Uniform(gen, 0, 1000);
      cs.push_back({.campaign_id = a.ids[c * 21], .out_of_budget = absl::Bernoulli(gen, 0.1)});
      for (int j = 0; j < targets / campaigns; ++j) {
        const int t = absl::Uniform(gen, 0, 20);
        const bool won = ts.size() < 4;
        ts.push_back({.campaign_id = a.ids[c * 21],
                      .target_id = a.ids[c * 21 + 1 + t],
                      .won = won,
                      .cpc_micros = won ? absl::Uniform<int64_t>(gen, 10'000, 2'000'000) : 0,
                      .min_bid_micros = {900'000, 700'000, 500'000}});
      }
    }
    a.targets.push_back(std::move(ts));
    a.campaigns.push_back(std::move(cs));
  }
  return a;
}

void BM_LandscapeRecord(benchmark::State& state) {
  const int targets = static_cast<int>(state.range(0));
  Auctions a = MakeAuctions(1024, targets, 4);
  LandscapeRecorder recorder;
  absl::Time at = absl::FromUnixSeconds(1'800'000'000);
  for (size_t i = 0; i < a.targets.size(); ++i) {  // warm: every target seen
    recorder.Record({.at = at, .targets = a.targets[i], .campaigns = a.campaigns[i]});
  }
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ % a.targets.size();
    at += absl::Milliseconds(1);
    recorder.Record({.at = at, .targets = a.targets[k], .campaigns = a.campaigns[k]});
  }
}
BENCHMARK(BM_LandscapeRecord)->Arg(4)->Arg(16)->Arg(64);

void BM_SuggestBid(benchmark::State& state) {
  std::mt19937_64 gen(11);
  std::vector<TargetObservation> history(state.range(0));
  for (TargetObservation& o : history) {
    o.won = absl::Bernoulli(gen, 0.5);
    o.cpc_micros = o.won ? absl::Uniform<int64_t>(gen, 10'000, 2'000'000) : 0;
    o.min_bid_micros = {absl::Uniform<int64_t>(gen, 1, 3'000'000), 500'000, 0};
  }
  const BidLimits limits{.floor_micros = 10'000, .cap_micros = 1'000'000'000};
  for (auto _ : state) benchmark::DoNotOptimize(SuggestBid(history, limits));
}
BENCHMARK(BM_SuggestBid)->Arg(100);

}  // namespace
}  // namespace gavel::suggest

BENCHMARK_MAIN();
