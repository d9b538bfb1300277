// The cost of recording metrics on the auction path (metrics/registry.h, metrics/gavel_metrics.h)
// and of rendering the ad-operations page for a large catalog (metrics/ops_page.h).
//
//   bazel run -c opt //bench:metrics_bench
//   bazel run -c opt //bench:metrics_bench -- --ops_campaigns=50000
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "billing/billing.h"
#include "common/clock.h"
#include "engine/billing_gate.h"
#include "engine/engine.h"
#include "metrics/gavel_metrics.h"
#include "metrics/ops_page.h"
#include "metrics/registry.h"
#include "targeting/synthetic.h"

namespace gavel {
namespace {

void BM_CounterAdd(benchmark::State& state) {
  static metrics::Counter* const counter = new metrics::Counter;
  for (auto _ : state) counter->Add();
  benchmark::DoNotOptimize(counter->Value());
}
BENCHMARK(BM_CounterAdd)->Threads(1)->Threads(2);

void BM_HistogramObserve(benchmark::State& state) {
  static metrics::Registry* const registry = new metrics::Registry;
  static metrics::Histogram* const h = registry->AddHistogram(
      "h_seconds", "H.", {}, metrics::Buckets::kLatencyNanos, metrics::Histogram::kNanosPerSecond);
  int64_t v = 0;
  for (auto _ : state) {
    h->Observe(200'000 + (v++ & 0xffff));  // around 0.2 ms, a typical auction
  }
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

// Everything the server records for one successful auction with two winners.
void BM_RecordAuction(benchmark::State& state) {
  static metrics::Registry* const registry = new metrics::Registry;
  static metrics::GavelMetrics* const m = new metrics::GavelMetrics(registry);
  engine::AuctionResult result;
  result.winners.resize(2);
  result.winners[0].cpc_micros = 1'200'000;
  result.winners[1].cpc_micros = 800'000;
  result.stats.candidates = 40;
  result.stats.losses[static_cast<int>(engine::LossReason::kOutranked)] = 30;
  result.stats.losses[static_cast<int>(engine::LossReason::kBelowReserve)] = 8;
  result.stats.phase_nanos = {90'000, 20'000, 15'000, 6'000};
  const metrics::GavelMetrics::Call call{
      .placement = catalog::Placement::kTopOfSearch, .slots = 4, .nanos = 180'000};
  for (auto _ : state) m->RecordAuction(call, result);
}
BENCHMARK(BM_RecordAuction)->Threads(1)->Threads(2);

void BM_RenderMetrics(benchmark::State& state) {
  metrics::Registry registry;
  metrics::GavelMetrics m(&registry);
  for (auto _ : state) benchmark::DoNotOptimize(registry.Render());
}
BENCHMARK(BM_RenderMetrics);

// A catalog with about `campaigns` campaigns of one ad each, and billing knowing their budgets.
struct OpsFixture {
  gavel::RealClock clock;
  std::shared_ptr<const targeting::CatalogSnapshot> snapshot;
  std::unique_ptr<billing::Billing> billing;
};

OpsFixture& GetOps(int campaigns) {
  static auto* const cache = new std::map<int, std::unique_ptr<OpsFixture>>();
  auto& slot = (*cache)[campaigns];
  if (slot != nullptr) return *slot;
  auto f = std::make_unique<OpsFixture>();
  std::mt19937_64 rng(bench::kSyntheticSeed);
  auto snapshot = targeting::CatalogSnapshot::Build(
      targeting::GenerateCatalog(
          {.num_ads = campaigns, .ads_per_ad_group = 1, .ad_groups_per_campaign = 1}, rng),
      1);
  if (!snapshot.ok()) std::abort();
  f->snapshot = *std::move(snapshot);
  billing::BillingConfig config{.keyring = billing::Keyring::InsecureDevDefault(),
                                .ledger = {.dir = bench::BenchDir(absl::StrCat("ops_", campaigns)),
                                           .snapshot_every_records = 0}};
  f->billing = *billing::Billing::Open(config, &f->clock);
  if (!f->billing->UpsertCampaigns(engine::BudgetsFromCatalog(f->snapshot->catalog())).ok()) {
    std::abort();
  }
  slot = std::move(f);
  return *slot;
}

// One page as GET / serves it: rank every campaign by spend, the first page's details, HTML.
void BM_OpsPage(benchmark::State& state, int campaigns, bool search) {
  OpsFixture& f = GetOps(campaigns);
  const metrics::OpsQuery query{.page = 3, .search = search ? "cmp-12" : ""};
  size_t bytes = 0;
  int matching = 0;
  for (auto _ : state) {
    metrics::OpsView view = metrics::CollectOps(*f.snapshot, *f.billing, f.clock.Now(), query);
    matching = view.matching;
    bytes = metrics::RenderOpsPage(view).size();
  }
  state.counters["matching"] = matching;
  state.counters["campaigns"] = static_cast<double>(f.snapshot->catalog().campaigns.size());
  state.counters["html_bytes"] = static_cast<double>(bytes);
}

}  // namespace
}  // namespace gavel

int main(int argc, char** argv) {
  for (int n : gavel::bench::TakeSizesFlag(&argc, argv, "--ops_campaigns", {50'000})) {
    benchmark::RegisterBenchmark(absl::StrCat("BM_OpsPage/campaigns:", n).c_str(),
                                 gavel::BM_OpsPage, n, false)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(absl::StrCat("BM_OpsPage/search/campaigns:", n).c_str(),
                                 gavel::BM_OpsPage, n, true)
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
