#include "learning/ftrl.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace gavel::learning {
namespace {

double Sigmoid(double logit) {
  // Clamped so that a wild weight gives p in (0, 1), never exactly 0 or 1.
  logit = std::clamp(logit, -35.0, 35.0);
  return 1.0 / (1.0 + std::exp(-logit));
}

}  // namespace

absl::Status ValidateFtrlOptions(const FtrlOptions& o) {
  const std::pair<const char*, double> nonnegative[] = {
      {"beta", o.beta}, {"l1", o.l1}, {"l2", o.l2}};
  if (!(std::isfinite(o.alpha) && o.alpha > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("alpha must be a finite number > 0, got ", o.alpha));
  }
  for (const auto& [name, v] : nonnegative) {
    if (!(std::isfinite(v) && v >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " must be a finite number >= 0, got ", v));
    }
  }
  return absl::OkStatus();
}

Ftrl::Ftrl(size_t coordinates, FtrlOptions options)
    : o_(options), z_(coordinates, 0.0), n_(coordinates, 0.0) {}

double Ftrl::weight(uint32_t i) const {
  const double z = z_[i];
  if (std::abs(z) <= o_.l1) return 0;
  const double sign = z < 0 ? -1.0 : 1.0;
  return -(z - sign * o_.l1) / ((o_.beta + std::sqrt(n_[i])) / o_.alpha + o_.l2);
}

double Ftrl::Predict(absl::Span<const uint32_t> x) const {
  double logit = 0;
  for (uint32_t i : x) logit += weight(i);
  return Sigmoid(logit);
}

double Ftrl::Update(absl::Span<const uint32_t> x, bool clicked) {
  // Weights are computed once per step: the gradient of the log loss with respect to each active
  // weight is (p - y), and each coordinate's update uses its weight before the step.
  double logit = 0;
  constexpr size_t kInline = 64;
  double w_inline[kInline];
  std::vector<double> w_heap;
  double* w = w_inline;
  if (x.size() > kInline) {
    w_heap.resize(x.size());
    w = w_heap.data();
  }
  for (size_t k = 0; k < x.size(); ++k) {
    w[k] = weight(x[k]);
    logit += w[k];
  }
  const double p = Sigmoid(logit);
  const double g = p - (clicked ? 1.0 : 0.0);
  for (size_t k = 0; k < x.size(); ++k) {
    const uint32_t i = x[k];
    const double sigma = (std::sqrt(n_[i] + g * g) - std::sqrt(n_[i])) / o_.alpha;
    z_[i] += g - sigma * w[k];
    n_[i] += g * g;
  }
  return p;
}

}  // namespace gavel::learning
