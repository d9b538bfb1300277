// A log-linear latency histogram in the style of HdrHistogram: exact below 256, then 128 buckets
// per power of two, so a recorded value is known to within 1/128 of itself and every reported
// percentile is within 1/256 (0.4%) of the exact order statistic of the same rank.
//
//   Histogram h;
//   h.Record(absl::ToInt64Nanoseconds(latency));
//   int64_t p99_ns = h.Percentile(99.0);
//
// Why log-linear: latencies span five orders of magnitude (tens of microseconds to seconds), and
// percentiles of a long tail need relative, not absolute, precision. A fixed 7,296-slot array
// covers every non-negative int64 with no allocation per sample, and two histograms merge by
// adding counts, so each load-generator thread records into its own and the report merges them.
//
// Not thread-safe: callers serialise access (the load generator keeps one per thread, under a
// gavel::Mutex). Copyable.
#ifndef GAVEL_TOOLS_LOADGEN_HISTOGRAM_H_
#define GAVEL_TOOLS_LOADGEN_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace gavel::loadgen {

class Histogram {
 public:
  // Values below 2 * kSubBuckets are counted exactly; above, each [2^e, 2^(e+1)) is split into
  // kSubBuckets equal buckets.
  static constexpr int kSubBucketBits = 7;
  static constexpr int64_t kSubBuckets = int64_t{1} << kSubBucketBits;
  // Upper bound of |reported - exact| / exact for Percentile(); see the file comment.
  static constexpr double kMaxRelativeError = 1.0 / (2 * kSubBuckets);

  Histogram();

  // Counts `value`; negative values count as 0.
  void Record(int64_t value);
  // Counts `value` `n` times (n >= 0).
  void RecordN(int64_t value, int64_t n);
  // Adds every count of `other` to this histogram.
  void Merge(const Histogram& other);
  // Forgets everything recorded.
  void Reset();

  int64_t count() const { return count_; }
  // Exact smallest and largest recorded values; 0 when empty.
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return count_ == 0 ? 0 : max_; }
  // Exact arithmetic mean of the recorded values; 0 when empty.
  double Mean() const;

  // The value at percentile `p` in [0, 100]: the recorded value of rank ceil(p/100 * count)
  // (rank 1 for p = 0), reported as the middle of its bucket clamped to [min(), max()]. Within
  // kMaxRelativeError of the exact order statistic. 0 when empty; p = 100 returns max() exactly.
  int64_t Percentile(double p) const;

  // Bucket arithmetic, exposed for tests: the bucket a value falls in, and a bucket's bounds.
  static int BucketIndex(int64_t value);
  static int64_t BucketLowest(int index);
  static int64_t BucketWidth(int index);

 private:
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  // Sum of recorded values as a double: int64 nanosecond sums overflow after ~292 CPU-years, and a
  // mean needs no more than double's precision.
  double sum_ = 0;
};

}  // namespace gavel::loadgen

#endif  // GAVEL_TOOLS_LOADGEN_HISTOGRAM_H_
