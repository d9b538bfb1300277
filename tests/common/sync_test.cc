#include "common/sync.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace gavel {
namespace {

struct Counter {
  Mutex mu;
  CondVar cv;
  int value ABSL_GUARDED_BY(mu) = 0;
};

TEST(Mutex, SerializesWritersAcrossThreads) {
  Counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c] {
      for (int i = 0; i < 20000; ++i) {
        MutexLock lock(&c.mu);
        ++c.value;
      }
    });
  }
  for (auto& t : threads) t.join();
  ReaderMutexLock lock(&c.mu);
  EXPECT_EQ(c.value, 80000);
}

TEST(CondVar, WakesAWaiterAfterTheConditionChanges) {
  Counter c;
  std::thread setter([&c] {
    MutexLock lock(&c.mu);
    c.value = 42;
    c.cv.SignalAll();
  });
  {
    MutexLock lock(&c.mu);
    while (c.value != 42) c.cv.Wait(&c.mu);
    EXPECT_EQ(c.value, 42);
  }
  setter.join();
}

TEST(CondVar, WaitWithTimeoutReportsTheTimeout) {
  Counter c;
  MutexLock lock(&c.mu);
  EXPECT_TRUE(c.cv.WaitWithTimeout(&c.mu, absl::Milliseconds(5)));
}

}  // namespace
}  // namespace gavel
