// What the benchmark binaries share: their synthetic market (catalog and queries), the catalog
// sizes they take from the command line, and a scratch directory.
//
//   for (int ads : TakeSizesFlag(&argc, argv, "--engine_sizes", {10'000, 100'000})) { ... }
//   SyntheticMarket m = MakeSyntheticMarket(ads);   // the same catalog and queries in every bench
//
// Not thread-safe (benchmark set-up only).
#ifndef GAVEL_BENCH_BENCH_UTIL_H_
#define GAVEL_BENCH_BENCH_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "targeting/retrieve.h"
#include "targeting/snapshot.h"

namespace gavel::bench {

inline constexpr uint64_t kSyntheticSeed = 20260601;

struct SyntheticMarket {
  std::shared_ptr<const targeting::CatalogSnapshot> snapshot;
  std::vector<targeting::Request> queries;
};

// targeting::GenerateCatalog with `ads` ads and `queries` QuerySampler queries, both drawn from one
// std::mt19937_64 seeded with kSyntheticSeed (so targeting_bench and engine_bench time the same
// queries). With `synonyms`, the catalog also gets targeting::GenerateSynonyms' table, drawn from
// its own generator, so catalog and queries are the same as without. Aborts if the generated
// catalog does not build.
SyntheticMarket MakeSyntheticMarket(int ads, int queries = 8192, bool synonyms = false);

// Removes every `flag`=N,N,... argument from argv and returns the last one's positive sizes;
// `defaults` when there is none. (Google Benchmark rejects flags it does not know.)
std::vector<int> TakeSizesFlag(int* argc, char** argv, absl::string_view flag,
                               std::vector<int> defaults);

// An empty directory for benchmark `name` under TEST_TMPDIR (or /tmp); anything there is removed.
std::string BenchDir(const std::string& name);

}  // namespace gavel::bench

#endif  // GAVEL_BENCH_BENCH_UTIL_H_
