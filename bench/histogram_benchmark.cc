// What recording a latency costs the load generator (it records every call, under a per-thread
// lock) and what a percentile query costs (once per progress line and report).
//
//   bazel run -c opt --config=opt //bench:histogram_benchmark
#include <cstdint>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "tools/loadgen/histogram.h"

namespace gavel::loadgen {
namespace {

std::vector<int64_t> Latencies(int n) {
  std::mt19937_64 gen(1);
  std::lognormal_distribution<double> latency(12.2, 1.2);  // ~200 us median, in ns
  std::vector<int64_t> values(n);
  for (int64_t& v : values) v = static_cast<int64_t>(latency(gen));
  return values;
}

void BM_HistogramRecord(benchmark::State& state) {
  const std::vector<int64_t> values = Latencies(4096);
  Histogram h;
  size_t i = 0;
  for (auto _ : state) {
    h.Record(values[i++ & 4095]);
  }
  benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_HistogramRecord);

void BM_HistogramPercentile(benchmark::State& state) {
  Histogram h;
  for (int64_t v : Latencies(100'000)) h.Record(v);
  for (auto _ : state) {
    benchmark::DoNotOptimize(h.Percentile(99.9));
  }
}
BENCHMARK(BM_HistogramPercentile);

void BM_HistogramMerge(benchmark::State& state) {
  Histogram a, b;
  for (int64_t v : Latencies(100'000)) b.Record(v);
  for (auto _ : state) {
    a.Merge(b);
  }
  benchmark::DoNotOptimize(a.count());
}
BENCHMARK(BM_HistogramMerge);

}  // namespace
}  // namespace gavel::loadgen
