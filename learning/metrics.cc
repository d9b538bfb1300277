#include "learning/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gavel::learning {

double Entropy(double p) {
  if (p <= 0 || p >= 1) return 0;
  return -(p * std::log(p) + (1 - p) * std::log(1 - p));
}

namespace {

// Mann-Whitney: the probability that a random clicked example is ranked above a random unclicked
// one, ties counting half.
double Auc(absl::Span<const double> p, absl::Span<const bool> y, const std::vector<size_t>& order) {
  double positives = 0, negatives = 0, rank_sum = 0;
  size_t i = 0;
  while (i < order.size()) {
    size_t j = i;
    while (j < order.size() && p[order[j]] == p[order[i]]) ++j;
    const double mid_rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;  // 1-based
    for (size_t k = i; k < j; ++k) {
      if (y[order[k]]) {
        rank_sum += mid_rank;
        ++positives;
      } else {
        ++negatives;
      }
    }
    i = j;
  }
  if (positives == 0 || negatives == 0) return 0.5;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

}  // namespace

Metrics Evaluate(absl::Span<const double> predictions, absl::Span<const bool> clicks,
                 double background_ctr) {
  Metrics m;
  const size_t n = predictions.size();
  m.examples = static_cast<int64_t>(n);
  if (n == 0) return m;
  double loss = 0, predicted = 0;
  for (size_t i = 0; i < n; ++i) {
    const double p = std::clamp(predictions[i], 1e-15, 1 - 1e-15);
    loss -= clicks[i] ? std::log(p) : std::log(1 - p);
    predicted += predictions[i];
    m.clicks += clicks[i];
  }
  m.log_loss = loss / static_cast<double>(n);
  const double h = Entropy(background_ctr);
  m.normalized_entropy = h > 0 ? m.log_loss / h : 0;
  m.predicted_ctr = predicted / static_cast<double>(n);
  m.observed_ctr = static_cast<double>(m.clicks) / static_cast<double>(n);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return predictions[a] < predictions[b]; });
  m.auc = Auc(predictions, clicks, order);
  size_t begin = 0;
  for (size_t d = 0; d < 10; ++d) {
    const size_t size = n / 10 + (d < n % 10 ? 1 : 0);
    Decile dec;
    dec.examples = static_cast<int64_t>(size);
    for (size_t k = begin; k < begin + size; ++k) {
      dec.predicted_ctr += predictions[order[k]];
      dec.observed_ctr += clicks[order[k]];
    }
    if (size > 0) {
      dec.predicted_ctr /= static_cast<double>(size);
      dec.observed_ctr /= static_cast<double>(size);
    }
    m.deciles.push_back(dec);
    begin += size;
  }
  return m;
}

std::string FormatMetrics(const Metrics& m) {
  std::string out = absl::StrFormat(
      "examples %d clicks %d log_loss %.6f ne %.6f auc %.6f predicted_ctr %.6f observed_ctr %.6f "
      "calibration %.4f\n",
      m.examples, m.clicks, m.log_loss, m.normalized_entropy, m.auc, m.predicted_ctr,
      m.observed_ctr, m.calibration());
  for (size_t d = 0; d < m.deciles.size(); ++d) {
    const Decile& dec = m.deciles[d];
    absl::StrAppendFormat(&out, "  decile %d examples %d predicted_ctr %.6f observed_ctr %.6f\n",
                          d + 1, dec.examples, dec.predicted_ctr, dec.observed_ctr);
  }
  return out;
}

}  // namespace gavel::learning
