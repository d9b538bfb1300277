// One snapshot, many readers: retrieval from several threads gives the single-threaded answers.
// Run under --config=tsan to check that the snapshot really is read-only.
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "targeting/retrieve.h"
#include "targeting/synthetic.h"

namespace gavel::targeting {
namespace {

std::vector<std::pair<int32_t, int64_t>> Summary(const Result& r) {
  std::vector<std::pair<int32_t, int64_t>> out;
  for (const Candidate& c : r.candidates) out.emplace_back(c.ad, c.bid_micros);
  return out;
}

TEST(SharedSnapshot, ConcurrentRetrieversAgreeWithSequential) {
  std::mt19937_64 rng(9);
  std::shared_ptr<const CatalogSnapshot> snapshot =
      *CatalogSnapshot::Build(GenerateCatalog({.num_ads = 3'000}, rng), 1);
  QuerySampler sampler(snapshot->catalog());
  std::vector<Request> queries;
  for (int i = 0; i < 100; ++i) queries.push_back(sampler.Sample(rng));
  const absl::Time now = absl::FromUnixSeconds(1'780'000'000);
  std::vector<std::vector<std::pair<int32_t, int64_t>>> expected;
  for (const Request& q : queries) {
    Result r;
    ASSERT_TRUE(Retrieve(*snapshot, q, now, false, &r).ok());
    expected.push_back(Summary(r));
  }
  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::shared_ptr<const CatalogSnapshot> mine = snapshot;  // shared ownership across threads
      Retriever retriever;
      Result r;
      for (size_t i = 0; i < queries.size(); ++i) {
        const bool explain = (i + t) % 3 == 0;
        if (!retriever.Retrieve(*mine, queries[i], now, explain, &r).ok()) ++mismatches[t];
        if (!explain && Summary(r) != expected[i]) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace gavel::targeting
