// The whole auction path without the transport: engine::Engine::RunAuction as gavel_server runs it
// (retrieval and scoring, the budget and pacing gate over billing, the auction, a signed click and
// impression token per winner), on synthetic catalogs, next to its baseline in the same run:
// retrieval and scoring alone (targeting::Retriever on the same queries), the part no auction can
// skip. The difference is what the engine adds.
//
//   bazel run -c opt //bench:engine_bench -- --engine_sizes=10000,100000,1000000
//
// Catalog sizes come from --engine_sizes (default 10000,100000; the smoke test uses 10000).
// Billing runs on a real ledger directory under TEST_TMPDIR or /tmp, with every catalog campaign's
// budget and pacing loaded as the server loads them; no click is ingested, so budgets stay open.
// BM_EngineAuctionLandscape is BM_EngineAuction with the bid landscape recorder fed as
// gavel_server feeds it (--landscape_sample_every, default 100), and with every auction sampled.
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "billing/billing.h"
#include "common/clock.h"
#include "engine/billing_gate.h"
#include "engine/engine.h"
#include "suggest/landscape.h"
#include "targeting/retrieve.h"
#include "targeting/snapshot.h"

namespace gavel::engine {
namespace {

constexpr int kSlots = 4;

struct Fixture {
  gavel::SimulatedClock clock{absl::FromUnixSeconds(1'780'000'000)};
  std::shared_ptr<const targeting::CatalogSnapshot> snapshot;
  std::vector<AuctionRequest> requests;
  std::unique_ptr<billing::Billing> billing;
  std::unique_ptr<BillingGate> gate;
  std::unique_ptr<Engine> engine;
  // The same engine feeding the bid landscape as gavel_server does, 1 in `sample_every` auctions
  // per thread (BM_EngineAuctionLandscape), next to `engine` without it in the same run.
  suggest::LandscapeRecorder recorder;
  std::map<int, std::unique_ptr<Engine>> sampled;
};

// One fixture per size, built on first use and kept for the process.
Fixture& GetFixture(int ads) {
  static auto* const cache = new std::map<int, std::unique_ptr<Fixture>>();
  auto& slot = (*cache)[ads];
  if (slot != nullptr) return *slot;
  auto f = std::make_unique<Fixture>();
  bench::SyntheticMarket market = bench::MakeSyntheticMarket(ads);
  f->snapshot = std::move(market.snapshot);
  for (size_t i = 0; i < market.queries.size(); ++i) {
    AuctionRequest r;
    r.request_id = absl::StrCat("r", i);
    r.targeting = std::move(market.queries[i]);
    r.targeting.slots = kSlots;
    r.targeting.shopper.user_id = absl::StrCat("user-", i % 1000);
    f->requests.push_back(std::move(r));
  }
  billing::BillingConfig config{
      .keyring = billing::Keyring::InsecureDevDefault(),
      .ledger = {.dir = bench::BenchDir(absl::StrCat("engine_", ads)),
                 .snapshot_every_records = 0}};
  f->billing = *billing::Billing::Open(config, &f->clock);
  if (!f->billing->UpsertCampaigns(BudgetsFromCatalog(f->snapshot->catalog())).ok()) std::abort();
  f->gate = std::make_unique<BillingGate>(f->billing.get());
  f->engine = std::make_unique<Engine>(f->gate.get(), &f->billing->issuer(), &f->clock);
  f->engine->Publish(std::make_shared<const Serving>(Serving{.catalog = f->snapshot}));
  for (int every : {1, 32, 100}) {
    auto e = std::make_unique<Engine>(f->gate.get(), &f->billing->issuer(), &f->clock);
    e->SetLandscape(&f->recorder, every);
    e->Publish(std::make_shared<const Serving>(Serving{.catalog = f->snapshot}));
    f->sampled[every] = std::move(e);
  }
  slot = std::move(f);
  return *slot;
}

// `tokens`: sign a click and an impression token per winner, as the server does; without them the
// difference shows what signing costs.
// `sample_every`: 0 = the engine without a landscape, else the one sampling 1 in that many.
// `search`: the requests on top of search, so the tokens carry the normalised query as the search
// term (docs/billing.md, "Tokens"); otherwise the placement is unspecified and they carry none.
void BM_EngineAuction(benchmark::State& state, int ads, bool tokens, int sample_every,
                      bool search) {
  Fixture& f = GetFixture(ads);
  Engine* engine = sample_every == 0 ? f.engine.get() : f.sampled.at(sample_every).get();
  for (AuctionRequest& r : f.requests) {
    r.issue_tokens = tokens;
    r.targeting.placement =
        search ? catalog::Placement::kTopOfSearch : catalog::Placement::kUnspecified;
  }
  absl::BitGen gen(std::seed_seq{bench::kSyntheticSeed});
  AuctionResult result;
  size_t i = 0, winners = 0;
  for (auto _ : state) {
    if (!engine->RunAuction(f.requests[i++ % f.requests.size()], gen, &result).ok()) {
      state.SkipWithError("auction failed");
      break;
    }
    winners += result.winners.size();
  }
  state.counters["winners"] =
      benchmark::Counter(static_cast<double>(winners), benchmark::Counter::kAvgIterations);
}

// Baseline: retrieval and scoring of the same queries (the hour set as the engine sets it).
void BM_RetrieveBaseline(benchmark::State& state, int ads) {
  Fixture& f = GetFixture(ads);
  targeting::Retriever retriever;
  targeting::Result result;
  std::vector<targeting::Request> queries;
  for (const AuctionRequest& r : f.requests) {
    queries.push_back(r.targeting);
    queries.back().shopper.local_hour =
        absl::ToCivilHour(f.clock.Now(), absl::UTCTimeZone()).hour();
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(retriever.Retrieve(*f.snapshot, queries[i++ % queries.size()],
                                                f.clock.Now(), false, &result));
  }
}

}  // namespace
}  // namespace gavel::engine

// --engine_auctions=N --engine_sample_every=S: no benchmark, just N auctions (queries 0..N-1) on
// the first --engine_sizes catalog with the landscape sampling 1 in S (0 = the engine without
// it), for counting instructions under valgrind --tool=callgrind
// --toggle-collect='gavel::engine::Engine::RunAuction*' (docs/performance.md, "Suggestions").
int RunFixed(int ads, int auctions, int sample_every) {
  gavel::engine::Fixture& f = gavel::engine::GetFixture(ads);
  gavel::engine::Engine* engine =
      sample_every == 0 ? f.engine.get() : f.sampled.at(sample_every).get();
  absl::BitGen gen(std::seed_seq{gavel::bench::kSyntheticSeed});
  gavel::engine::AuctionResult result;
  for (int i = 0; i < auctions; ++i) {
    if (!engine->RunAuction(f.requests[i % f.requests.size()], gen, &result).ok()) return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  const std::vector<int> fixed =
      gavel::bench::TakeSizesFlag(&argc, argv, "--engine_auctions", {});
  const std::vector<int> every =
      gavel::bench::TakeSizesFlag(&argc, argv, "--engine_sample_every", {0});
  if (!fixed.empty()) {
    return RunFixed(gavel::bench::TakeSizesFlag(&argc, argv, "--engine_sizes", {10'000})[0],
                    fixed[0], every.empty() ? 0 : every[0]);
  }
  for (int ads : gavel::bench::TakeSizesFlag(&argc, argv, "--engine_sizes", {10'000, 100'000})) {
    benchmark::RegisterBenchmark(absl::StrCat("BM_EngineAuction/ads:", ads).c_str(),
                                 gavel::engine::BM_EngineAuction, ads, true, 0, false)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(absl::StrCat("BM_EngineAuctionSearch/ads:", ads).c_str(),
                                 gavel::engine::BM_EngineAuction, ads, true, 0, true)
        ->Unit(benchmark::kMicrosecond);
    for (int every : {100, 32, 1}) {
      benchmark::RegisterBenchmark(
          absl::StrCat("BM_EngineAuctionLandscape/ads:", ads, "/sample_every:", every).c_str(),
          gavel::engine::BM_EngineAuction, ads, true, every, false)
          ->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark(absl::StrCat("BM_EngineAuctionNoTokens/ads:", ads).c_str(),
                                 gavel::engine::BM_EngineAuction, ads, false, 0, false)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(absl::StrCat("BM_RetrieveBaseline/ads:", ads).c_str(),
                                 gavel::engine::BM_RetrieveBaseline, ads)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
