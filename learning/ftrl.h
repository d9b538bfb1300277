// Logistic regression trained online with FTRL-Proximal (McMahan et al., "Ad Click Prediction: a
// View from the Trenches", KDD 2013, Algorithm 1): per-coordinate learning rates
// alpha / (beta + sqrt(sum of squared gradients)), L1 (which sets rarely useful weights to exactly
// 0, so the model file stays small) and L2 regularisation. Features are binary: an example is the
// list of its active coordinates.
//
//   Ftrl ftrl(/*coordinates=*/1 << 20, {.alpha = 0.05, .beta = 1, .l1 = 0, .l2 = 1});
//   double p = ftrl.Update({0, 17, 4242}, /*clicked=*/true);   // p: the prediction before
//
// Deterministic: the same examples in the same order give the same weights. Not thread-safe.
#ifndef GAVEL_LEARNING_FTRL_H_
#define GAVEL_LEARNING_FTRL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace gavel::learning {

struct FtrlOptions {
  // Defaults: what recovered tests/learning/trainer_test.cc's synthetic truth best (docs/learning.md).
  double alpha = 0.05;  // learning-rate scale, > 0
  double beta = 1.0;    // learning-rate smoothing, >= 0
  double l1 = 0.0;      // >= 0
  double l2 = 1.0;      // >= 0
};

// INVALID_ARGUMENT naming the option ("alpha must be a finite number > 0, got nan").
absl::Status ValidateFtrlOptions(const FtrlOptions& o);

class Ftrl {
 public:
  // `options` must pass ValidateFtrlOptions.
  Ftrl(size_t coordinates, FtrlOptions options);

  // sigmoid(sum of the weights of `x`); every index < coordinates. Repeated indexes count twice.
  double Predict(absl::Span<const uint32_t> x) const;
  // Predicts, then takes one FTRL-Proximal step on (x, clicked). Returns the prediction made before
  // the step (progressive validation).
  double Update(absl::Span<const uint32_t> x, bool clicked);
  // The closed-form weight of coordinate i (0 while |z_i| <= l1).
  double weight(uint32_t i) const;
  size_t coordinates() const { return z_.size(); }

 private:
  const FtrlOptions o_;
  std::vector<double> z_, n_;
};

}  // namespace gavel::learning

#endif  // GAVEL_LEARNING_FTRL_H_
