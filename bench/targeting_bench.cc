// Targeting benchmarks: retrieval + scoring of typical 2-4 token queries, and index build, on
// synthetic catalogs (targeting/synthetic.h).
//
//   bazel run -c opt //bench:targeting_bench -- --targeting_sizes=10000,100000,1000000
//
// BM_RetrieveSynonyms and BM_RetrieveLatencySynonyms are BM_Retrieve and BM_RetrieveLatency on the
// same catalog and queries with a synonyms table (targeting::GenerateSynonyms) for broad match.
// Catalog sizes come from --targeting_sizes (default 10000,100000; the smoke test uses 10000) so
// that `bazel test` never builds a 1M-ad catalog. Counters: candidates, postings read and ads
// considered per query; p50/p99/max of single-query thread CPU time, build bytes per ad (glibc's
// mallinfo2 before and after, the generator's input moved into the snapshot).
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_util.h"
#include "bench/legacy_normalize.h"
#include "benchmark/benchmark.h"
#include "targeting/normalize.h"
#include "targeting/retrieve.h"
#include "targeting/snapshot.h"
#include "targeting/synthetic.h"

namespace gavel::targeting {
namespace {

using Fixture = bench::SyntheticMarket;

// One catalog per size (and with or without the synthetic synonyms table), built on first use and
// kept for the process (benchmark fixtures). Both have the same ads and queries.
const Fixture& GetFixture(int ads, bool synonyms = false) {
  static auto* const cache = new std::map<std::pair<int, bool>, std::unique_ptr<Fixture>>();
  auto& slot = (*cache)[{ads, synonyms}];
  if (slot == nullptr) {
    slot = std::make_unique<Fixture>(bench::MakeSyntheticMarket(ads, 8192, synonyms));
  }
  return *slot;
}

const absl::Time kNow = absl::FromUnixSeconds(1'780'000'000);

void BM_Retrieve(benchmark::State& state, int ads, bool synonyms) {
  const Fixture& f = GetFixture(ads, synonyms);
  Retriever retriever;
  Result result;
  size_t i = 0, candidates = 0, postings = 0, considered = 0;
  for (auto _ : state) {
    const Request& r = f.queries[i++ % f.queries.size()];
    benchmark::DoNotOptimize(retriever.Retrieve(*f.snapshot, r, kNow, false, &result));
    candidates += result.candidates.size();
    postings += result.postings_read;
    considered += result.ads_considered;
  }
  auto avg = [](size_t v) {
    return benchmark::Counter(static_cast<double>(v), benchmark::Counter::kAvgIterations);
  };
  state.counters["candidates"] = avg(candidates);
  state.counters["postings"] = avg(postings);
  state.counters["considered"] = avg(considered);
}

// The benchmark's queries with one typo each: the longest word of 5+ letters gets its 2nd and 3rd
// letters swapped (one edit), so every such query goes through the typo index.
const std::vector<Request>& TypoQueries(int ads) {
  static auto* const cache = new std::map<int, std::vector<Request>>();
  auto& queries = (*cache)[ads];
  if (queries.empty()) {
    for (Request r : GetFixture(ads).queries) {
      size_t best = std::string::npos, best_len = 4, start = 0;
      for (size_t i = 0; i <= r.query.size(); ++i) {
        if (i < r.query.size() && r.query[i] != ' ') continue;
        if (i - start > best_len) best = start, best_len = i - start;
        start = i + 1;
      }
      if (best != std::string::npos) std::swap(r.query[best + 1], r.query[best + 2]);
      queries.push_back(std::move(r));
    }
  }
  return queries;
}

// BM_Retrieve on TypoQueries: the cost of typo tolerance on the queries that need it.
void BM_RetrieveTypos(benchmark::State& state, int ads) {
  const Fixture& f = GetFixture(ads);
  const std::vector<Request>& queries = TypoQueries(ads);
  Retriever retriever;
  Result result;
  size_t i = 0, candidates = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        retriever.Retrieve(*f.snapshot, queries[i++ % queries.size()], kNow, false, &result));
    candidates += result.candidates.size();
  }
  state.counters["candidates"] =
      benchmark::Counter(static_cast<double>(candidates), benchmark::Counter::kAvgIterations);
}

// Thread CPU time in microseconds: on a shared machine, wall time would time the neighbours.
double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// Per-query CPU-time distribution over every sampled query (each timed alone).
void BM_RetrieveLatency(benchmark::State& state, int ads, bool synonyms) {
  const Fixture& f = GetFixture(ads, synonyms);
  Retriever retriever;
  Result result;
  std::vector<double> us;
  us.reserve(f.queries.size());
  for (auto _ : state) {
    us.clear();
    for (const Request& r : f.queries) {
      const double start = ThreadCpuMicros();
      benchmark::DoNotOptimize(retriever.Retrieve(*f.snapshot, r, kNow, false, &result));
      us.push_back(ThreadCpuMicros() - start);
    }
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[us.size() * 99 / 100];
  state.counters["max_us"] = us.back();
}

// The 8,192 synthetic queries (ASCII) and the same number drawn from mixed-script queries, for
// the normaliser benchmarks.
const std::vector<std::string>& NormalizeInputs(bool mixed_scripts) {
  static const auto* const kInputs = [] {
    auto* inputs = new std::vector<std::vector<std::string>>(2);
    for (const Request& r : GetFixture(10'000).queries) (*inputs)[0].push_back(r.query);
    const char* kMixed[] = {"Crème Brûlée Dish",    "МОСКВА сувенир магнит", "ΟΔΥΣΣΕΑΣ βιβλίο",
                            "东京大学 T恤",         "Men's Running-Shoes",   "ｶﾞｰﾃﾞﾝ ホース 10m",
                            "İstanbul çay bardağı", "usb-c cable 2m"};
    for (size_t i = 0; i < (*inputs)[0].size(); ++i) (*inputs)[1].push_back(kMixed[i % 8]);
    return inputs;
  }();
  return (*kInputs)[mixed_scripts ? 1 : 0];
}

// NormalizeText (ICU) on the benchmark's queries; BM_NormalizeLegacy times the hand-written
// normaliser it replaced on the same inputs.
void BM_Normalize(benchmark::State& state, bool mixed_scripts) {
  const std::vector<std::string>& inputs = NormalizeInputs(mixed_scripts);
  TokenizedText t;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(NormalizeText(inputs[i++ % inputs.size()], "query", {}, &t));
  }
}

void BM_NormalizeLegacy(benchmark::State& state, bool mixed_scripts) {
  const std::vector<std::string>& inputs = NormalizeInputs(mixed_scripts);
  bench::legacy::TokenizedText t;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        bench::legacy::NormalizeText(inputs[i++ % inputs.size()], "query", {}, &t));
  }
}

void BM_Build(benchmark::State& state, int ads) {
  double bytes_per_ad = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const size_t before = mallinfo2().uordblks + mallinfo2().hblkhd;
    std::mt19937_64 rng(bench::kSyntheticSeed);
    catalog::Catalog catalog = GenerateCatalog({.num_ads = ads}, rng);
    state.ResumeTiming();
    auto snapshot = CatalogSnapshot::Build(std::move(catalog), 1);
    state.PauseTiming();
    bytes_per_ad = static_cast<double>(mallinfo2().uordblks + mallinfo2().hblkhd - before) / ads;
    state.counters["index_bytes_per_ad"] = static_cast<double>((*snapshot)->index().Bytes()) / ads;
    snapshot->reset();
    state.ResumeTiming();
  }
  state.counters["bytes_per_ad"] = bytes_per_ad;
}

}  // namespace
}  // namespace gavel::targeting

int main(int argc, char** argv) {
  using namespace gavel::targeting;  // NOLINT: benchmark registration only
  for (bool mixed : {false, true}) {
    const std::string inputs = mixed ? "/mixed_scripts" : "/synthetic";
    benchmark::RegisterBenchmark(("BM_Normalize" + inputs).c_str(), BM_Normalize, mixed);
    benchmark::RegisterBenchmark(("BM_NormalizeLegacy" + inputs).c_str(), BM_NormalizeLegacy,
                                 mixed);
  }
  for (int ads : gavel::bench::TakeSizesFlag(&argc, argv, "--targeting_sizes", {10'000, 100'000})) {
    const std::string n = std::to_string(ads);
    benchmark::RegisterBenchmark(("BM_Retrieve/ads:" + n).c_str(), BM_Retrieve, ads, false)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_RetrieveSynonyms/ads:" + n).c_str(), BM_Retrieve, ads, true)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_RetrieveTypos/ads:" + n).c_str(), BM_RetrieveTypos, ads)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_RetrieveLatency/ads:" + n).c_str(), BM_RetrieveLatency, ads,
                                 false)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
    benchmark::RegisterBenchmark(("BM_RetrieveLatencySynonyms/ads:" + n).c_str(),
                                 BM_RetrieveLatency, ads, true)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
    benchmark::RegisterBenchmark(("BM_Build/ads:" + n).c_str(), BM_Build, ads)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
