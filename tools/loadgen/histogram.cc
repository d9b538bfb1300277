#include "tools/loadgen/histogram.h"

#include <algorithm>
#include <cmath>

namespace gavel::loadgen {
namespace {

// Bucket layout: a value v with highest set bit e (v in [2^e, 2^(e+1))) is shifted right by
// s = max(0, e - kSubBucketBits), keeping its top kSubBucketBits + 1 bits, and lands in bucket
// s * kSubBuckets + (v >> s). For s = 0 that is v itself (exact); each later power of two adds
// kSubBuckets buckets of width 2^s, and 2^s / 2^e = 1 / kSubBuckets.
constexpr int kMaxShift = 63 - Histogram::kSubBucketBits - 1;
constexpr int kNumBuckets = (kMaxShift + 2) * Histogram::kSubBuckets;

int ShiftOf(int64_t value) {
  const int highest_bit = 63 - __builtin_clzll(static_cast<uint64_t>(value) | 1);
  return std::max(0, highest_bit - Histogram::kSubBucketBits);
}

int ShiftOfIndex(int index) {
  return index < 2 * Histogram::kSubBuckets ? 0 : (index >> Histogram::kSubBucketBits) - 1;
}

}  // namespace

Histogram::Histogram() : counts_(kNumBuckets, 0) {}

int Histogram::BucketIndex(int64_t value) {
  if (value < 0) value = 0;
  const int shift = ShiftOf(value);
  return static_cast<int>(shift * kSubBuckets + (value >> shift));
}

int64_t Histogram::BucketLowest(int index) {
  const int shift = ShiftOfIndex(index);
  return (index - shift * kSubBuckets) << shift;
}

int64_t Histogram::BucketWidth(int index) { return int64_t{1} << ShiftOfIndex(index); }

void Histogram::Record(int64_t value) { RecordN(value, 1); }

void Histogram::RecordN(int64_t value, int64_t n) {
  if (n <= 0) return;
  if (value < 0) value = 0;
  counts_[BucketIndex(value)] += n;
  if (count_ == 0 || value < min_) min_ = value;
  if (count_ == 0 || value > max_) max_ = value;
  count_ += n;
  sum_ += static_cast<double>(value) * static_cast<double>(n);
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (int i = 0; i < kNumBuckets; ++i) counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  if (count_ == 0 || other.max_ > max_) max_ = other.max_;
  count_ += other.count_;
  sum_ += other.sum_;
}

void Histogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
}

double Histogram::Mean() const { return count_ == 0 ? 0 : sum_ / static_cast<double>(count_); }

int64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  if (p >= 100) return max_;
  p = std::max(0.0, p);
  // The small slack keeps p = 99.9 of 1,000 samples at rank 999 despite binary rounding.
  const double exact_rank = p * static_cast<double>(count_) / 100;
  const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(exact_rank - 1e-7)));
  int64_t seen = 0;
  for (int i = 0; i < kNumBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const int64_t middle = BucketLowest(i) + (BucketWidth(i) - 1) / 2;
      return std::clamp(middle, min_, max_);
    }
  }
  return max_;
}

}  // namespace gavel::loadgen
