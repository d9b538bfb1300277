#include "bench/bench_util.h"

#include <cstdlib>
#include <filesystem>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "targeting/synthetic.h"

namespace gavel::bench {

SyntheticMarket MakeSyntheticMarket(int ads, int queries, bool synonyms) {
  std::mt19937_64 rng(kSyntheticSeed);
  SyntheticMarket m;
  catalog::Catalog catalog = targeting::GenerateCatalog({.num_ads = ads}, rng);
  if (synonyms) {
    std::mt19937_64 synonyms_rng(kSyntheticSeed + 1);
    catalog.synonyms = targeting::GenerateSynonyms(synonyms_rng);
  }
  auto snapshot = targeting::CatalogSnapshot::Build(std::move(catalog), 1);
  if (!snapshot.ok()) std::abort();
  m.snapshot = *std::move(snapshot);
  const targeting::QuerySampler sampler(m.snapshot->catalog());
  m.queries.reserve(queries);
  for (int i = 0; i < queries; ++i) m.queries.push_back(sampler.Sample(rng));
  return m;
}

std::vector<int> TakeSizesFlag(int* argc, char** argv, absl::string_view flag,
                               std::vector<int> defaults) {
  const std::string prefix = absl::StrCat(flag, "=");
  std::vector<int> sizes = std::move(defaults);
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    absl::string_view arg = argv[i];
    if (!absl::StartsWith(arg, prefix)) {
      argv[out++] = argv[i];
      continue;
    }
    sizes.clear();
    for (absl::string_view s : absl::StrSplit(arg.substr(prefix.size()), ',')) {
      int n = 0;
      if (absl::SimpleAtoi(s, &n) && n > 0) sizes.push_back(n);
    }
  }
  *argc = out;
  return sizes;
}

std::string BenchDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/gavel_bench_", name);
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace gavel::bench
