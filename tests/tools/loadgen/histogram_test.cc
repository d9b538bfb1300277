#include "tools/loadgen/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace gavel::loadgen {
namespace {

// The exact order statistic Histogram::Percentile promises to approximate.
int64_t ExactPercentile(std::vector<int64_t> sorted, double p) {
  std::sort(sorted.begin(), sorted.end());
  const double exact_rank = p * static_cast<double>(sorted.size()) / 100;
  const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(exact_rank - 1e-7)));
  return sorted[rank - 1];
}

void ExpectWithinBound(int64_t reported, int64_t exact) {
  EXPECT_LE(std::abs(static_cast<double>(reported - exact)),
            Histogram::kMaxRelativeError * static_cast<double>(exact))
      << "reported " << reported << " exact " << exact;
}

TEST(HistogramBuckets, SmallValuesAreExact) {
  for (int64_t v = 0; v < 2 * Histogram::kSubBuckets; ++v) {
    const int i = Histogram::BucketIndex(v);
    EXPECT_EQ(Histogram::BucketLowest(i), v);
    EXPECT_EQ(Histogram::BucketWidth(i), 1);
  }
}

TEST(HistogramBuckets, EveryValueFallsInsideItsBucketWhoseWidthIsAtMostOne128thOfIt) {
  std::mt19937_64 gen(7);
  std::vector<int64_t> values = {256,  257,  511,       512,
                                 1023, 1024, 1'000'000, std::numeric_limits<int64_t>::max()};
  for (int i = 0; i < 100'000; ++i)
    values.push_back(static_cast<int64_t>(gen() >> (gen() % 63 + 1)));
  for (int64_t v : values) {
    const int i = Histogram::BucketIndex(v);
    const int64_t lowest = Histogram::BucketLowest(i);
    const int64_t width = Histogram::BucketWidth(i);
    ASSERT_LE(lowest, v);
    ASSERT_LE(v - lowest, width - 1) << v;
    if (width > 1) ASSERT_LE(width * Histogram::kSubBuckets, lowest) << v;
  }
}

TEST(HistogramBuckets, IndicesAreContiguousAndMonotone) {
  int previous = Histogram::BucketIndex(0);
  for (int64_t v = 1; v < (int64_t{1} << 20); ++v) {
    const int i = Histogram::BucketIndex(v);
    ASSERT_TRUE(i == previous || i == previous + 1) << v;
    if (i == previous + 1) ASSERT_EQ(Histogram::BucketLowest(i), v);
    previous = i;
  }
}

TEST(Histogram, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.Mean(), 0);
  EXPECT_EQ(h.Percentile(50), 0);
}

TEST(Histogram, TracksExactCountMinMaxAndMean) {
  Histogram h;
  h.Record(1'000);
  h.Record(3'000'000);
  h.RecordN(20, 2);
  h.Record(-5);  // Counts as 0.
  EXPECT_EQ(h.count(), 5);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 3'000'000);
  EXPECT_DOUBLE_EQ(h.Mean(), (1'000 + 3'000'000 + 40) / 5.0);
  EXPECT_EQ(h.Percentile(100), 3'000'000);
}

TEST(Histogram, PercentilesOfRandomLatenciesStayWithinTheDocumentedBound) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 gen(seed);
    // Log-normal around 200us with a heavy tail, in nanoseconds: the shape of RPC latencies.
    std::lognormal_distribution<double> latency(std::log(200'000.0), 1.2);
    std::vector<int64_t> values;
    Histogram h;
    for (int i = 0; i < 50'000; ++i) {
      const int64_t v = static_cast<int64_t>(latency(gen));
      values.push_back(v);
      h.Record(v);
    }
    for (double p : {0.0, 1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
      SCOPED_TRACE(p);
      ExpectWithinBound(h.Percentile(p), ExactPercentile(values, p));
    }
  }
}

TEST(Histogram, PercentileRanksMatchSortedOrderOnSmallExactValues) {
  Histogram h;
  std::vector<int64_t> values;
  for (int64_t v = 1; v <= 100; ++v) {
    values.push_back(v);
    h.Record(v);
  }
  EXPECT_EQ(h.Percentile(50), 50);
  EXPECT_EQ(h.Percentile(99), 99);
  EXPECT_EQ(h.Percentile(99.9), 100);
  EXPECT_EQ(h.Percentile(0), 1);
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 gen(42);
  Histogram a, b, all;
  for (int i = 0; i < 10'000; ++i) {
    const int64_t v = static_cast<int64_t>(gen() % 10'000'000);
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  Histogram merged = a;
  merged.Merge(b);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_DOUBLE_EQ(merged.Mean(), all.Mean());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(merged.Percentile(p), all.Percentile(p));
}

TEST(Histogram, MergeIntoEmptyAndResetStartOver) {
  Histogram a, empty;
  a.Record(500);
  empty.Merge(a);
  EXPECT_EQ(empty.count(), 1);
  EXPECT_EQ(empty.min(), 500);
  a.Reset();
  EXPECT_EQ(a.count(), 0);
  EXPECT_EQ(a.Percentile(99), 0);
}

}  // namespace
}  // namespace gavel::loadgen
