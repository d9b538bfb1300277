// How good click predictions are, on labelled examples: log loss, normalized entropy (He et al.,
// "Practical Lessons from Predicting Clicks on Ads at Facebook", ADKDD 2014: the log loss divided
// by the entropy of a background CTR, so a model that always predicts the background CTR scores
// 1 and lower is better), AUC and calibration (mean predicted / observed CTR), overall and per
// decile of prediction.
//
//   Metrics m = Evaluate(predictions, clicks, /*background_ctr=*/0.021);
//
// Pure. Thread-safe (no state).
#ifndef GAVEL_LEARNING_METRICS_H_
#define GAVEL_LEARNING_METRICS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace gavel::learning {

struct Decile {
  int64_t examples = 0;
  double predicted_ctr = 0, observed_ctr = 0;  // means over the decile's examples
};

struct Metrics {
  int64_t examples = 0, clicks = 0;
  double log_loss = 0;  // mean of -(y log p + (1 - y) log(1 - p)), natural log
  double normalized_entropy = 0;
  double auc = 0;  // 0.5 when every label is the same
  double predicted_ctr = 0, observed_ctr = 0;
  // Examples sorted by prediction, cut into 10 groups of equal size (the first ones take the
  // remainder), lowest predictions first. Empty without examples.
  std::vector<Decile> deciles;
  double calibration() const { return observed_ctr > 0 ? predicted_ctr / observed_ctr : 0; }
};

// The entropy of a Bernoulli(p) in nats; 0 at p = 0 or 1.
double Entropy(double p);
// `predictions[i]` in (0, 1) (clamped to [1e-15, 1 - 1e-15] for the log), `clicks[i]` its label.
// `background_ctr` in (0, 1) normalizes the entropy.
Metrics Evaluate(absl::Span<const double> predictions, absl::Span<const bool> clicks,
                 double background_ctr);
// A few lines for people: "examples 1000 clicks 21 log_loss 0.0981 ne 0.982 auc 0.713 ...".
std::string FormatMetrics(const Metrics& m);

}  // namespace gavel::learning

#endif  // GAVEL_LEARNING_METRICS_H_
