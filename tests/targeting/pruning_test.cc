// Early termination is exact: over 400 sampled queries, the pruned top K equals the top K of an
// exhaustive read (explain mode reads every posting and prunes nothing).
#include <random>

#include "gtest/gtest.h"
#include "targeting/retrieve.h"
#include "targeting/synthetic.h"

namespace gavel::targeting {
namespace {

TEST(EarlyTermination, PrunedTopKEqualsExhaustiveTopK) {
  for (uint64_t seed : {1, 2}) {
    std::mt19937_64 rng(seed);
    auto snapshot = *CatalogSnapshot::Build(GenerateCatalog({.num_ads = 3'000}, rng), 1);
    QuerySampler sampler(snapshot->catalog());
    const absl::Time now = absl::FromUnixSeconds(1'780'000'000);
    Retriever retriever;
    int64_t pruned_postings = 0, all_postings = 0;
    for (int i = 0; i < 200; ++i) {
      Request r = sampler.Sample(rng);
      r.slots = 1 + i % 6;
      Result pruned, full;
      ASSERT_TRUE(retriever.Retrieve(*snapshot, r, now, false, &pruned).ok());
      ASSERT_TRUE(retriever.Retrieve(*snapshot, r, now, true, &full).ok());
      ASSERT_EQ(pruned.candidates.size(), full.candidates.size()) << r.query;
      for (size_t k = 0; k < pruned.candidates.size(); ++k) {
        EXPECT_EQ(pruned.candidates[k].ad, full.candidates[k].ad) << r.query << " rank " << k;
        EXPECT_EQ(pruned.candidates[k].bid_micros, full.candidates[k].bid_micros);
        EXPECT_EQ(pruned.candidates[k].matched.target, full.candidates[k].matched.target);
      }
      pruned_postings += pruned.postings_read;
      all_postings += full.postings_read;
    }
    EXPECT_LT(pruned_postings, all_postings) << "pruning never kicked in";
  }
}

}  // namespace
}  // namespace gavel::targeting
