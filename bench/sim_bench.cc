// Simulator throughput: simulated searches (auctions) per second on one core.
//
// BM_FullEngine runs sim::Simulate on a synthetic catalog of range(0) ads: every search goes
// through targeting retrieval, the billing gate, the auction, click tokens for clicked winners and
// per-minute Billing::Ingest, on a simulated clock. Only the search loop is timed (manual time:
// the run's wall time minus its setup of catalog, snapshot, billing and engine). range(1) is
// retrieval's max_candidates. BM_DirectBidders is the catalog-free path the theory tests use
// (value draws, auction::Auctioneer, position-factor accounting) for comparison.
//
//   bazel run -c opt //bench:sim_bench -- --benchmark_min_time=2
#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "sim/direct.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace gavel::sim {
namespace {

std::string WorkDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return tmp != nullptr ? tmp : "/tmp";
}

void BM_FullEngine(benchmark::State& state) {
  Scenario s;
  s.set_seed(1);
  s.mutable_catalog()->set_num_ads(static_cast<int>(state.range(0)));
  s.mutable_catalog()->set_max_candidates(static_cast<int>(state.range(1)));
  s.mutable_bidding()->set_shading(0.8);
  s.mutable_budgets()->set_multiplier(0.05);
  s.mutable_traffic()->set_queries_per_day(2000);
  s.mutable_invalid()->set_bot_query_fraction(0.01);
  int64_t searches = 0, winners = 0, clicks = 0;
  for (auto _ : state) {
    absl::StatusOr<RunMetrics> m = Simulate(s, {.work_dir = WorkDir()});
    if (!m.ok()) {
      state.SkipWithError(std::string(m.status().message()).c_str());
      return;
    }
    state.SetIterationTime(m->wall_seconds - m->setup_seconds);
    searches += m->searches;
    winners += m->impressions;
    clicks += m->shopper_clicks + m->repeat_clicks + m->bot_clicks;
    s.set_seed(s.seed() + 1);  // fresh traffic each iteration
  }
  state.SetItemsProcessed(searches);
  state.counters["winners_per_search"] =
      static_cast<double>(winners) / static_cast<double>(searches);
  state.counters["clicks_per_search"] = static_cast<double>(clicks) / static_cast<double>(searches);
}
BENCHMARK(BM_FullEngine)
    ->ArgNames({"ads", "max_candidates"})
    ->Args({10'000, 256})
    ->Args({10'000, 32})
    ->Args({2'000, 256})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_DirectBidders(benchmark::State& state) {
  DirectOptions o;
  o.bidders = static_cast<int>(state.range(0));
  o.value.set_kind(Distribution::UNIFORM);
  o.value.set_max(1e6);
  o.rules.slots = 4;
  o.auctions = 10'000;
  std::mt19937_64 gen(1);
  for (auto _ : state) {
    absl::StatusOr<DirectResult> r = RunDirect(o, gen);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * o.auctions);
}
BENCHMARK(BM_DirectBidders)->Arg(10)->Arg(50)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gavel::sim
