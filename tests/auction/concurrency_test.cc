// Auctions share no state: one Auctioneer per thread gives the same outcomes as a single thread.
// Meant to run under --config=tsan as well.
#include <thread>
#include <vector>

#include "auction/auction.h"
#include "gtest/gtest.h"
#include "tests/auction/random_instance.h"

namespace gavel {
namespace auction {
namespace {

using ::gavel::auction::testing::FatesById;
using ::gavel::auction::testing::Instance;
using ::gavel::auction::testing::RandomInstance;
using ::gavel::auction::testing::RunSeeded;

TEST(Auctioneer, OnePerThreadGivesTheSameOutcomesAsOneThread) {
  constexpr int kThreads = 4;
  constexpr uint64_t kAuctions = 2'000;
  Auctioneer reference;
  std::vector<std::vector<Outcome>> expected(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    for (uint64_t i = 0; i < kAuctions; ++i) {
      const uint64_t seed = t * kAuctions + i;
      const Instance in = RandomInstance(seed);
      expected[t].push_back(RunSeeded(reference, in.ads, in.rules, seed));
    }
  }
  std::vector<std::vector<Outcome>> actual(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &actual] {
      Auctioneer auctioneer;
      for (uint64_t i = 0; i < kAuctions; ++i) {
        const uint64_t seed = t * kAuctions + i;
        const Instance in = RandomInstance(seed);
        actual[t].push_back(RunSeeded(auctioneer, in.ads, in.rules, seed));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    for (uint64_t i = 0; i < kAuctions; ++i) {
      const Instance in = RandomInstance(t * kAuctions + i);
      ASSERT_TRUE(FatesById(in.ads, expected[t][i]) == FatesById(in.ads, actual[t][i]))
          << "thread " << t << " auction " << i;
    }
  }
}

}  // namespace
}  // namespace auction
}  // namespace gavel
