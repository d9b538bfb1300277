// Means and confidence intervals across independent runs (seeds).
//
//   Interval ci = MeanCi({10.2, 9.8, 10.5, 10.1, 9.9});   // 95%, Student's t with n-1 dof
//   printf("%.2f +- %.2f", ci.mean, ci.half_width);
//
// Pure functions; thread-safe.
#ifndef GAVEL_SIM_STATS_H_
#define GAVEL_SIM_STATS_H_

#include "absl/types/span.h"

namespace gavel::sim {

struct Interval {
  double mean = 0;
  double half_width = 0;  // 0 for fewer than two samples
  int n = 0;
  double low() const { return mean - half_width; }
  double high() const { return mean + half_width; }
};

// The two-sided 97.5% quantile of Student's t with `dof` degrees of freedom (>= 1); exact table
// values to 30, then interpolated in 1/dof towards the normal's 1.95996.
double TQuantile975(int dof);

// Sample mean and the 95% confidence interval mean +- t(0.975, n-1) x s / sqrt(n).
Interval MeanCi(absl::Span<const double> samples);

}  // namespace gavel::sim

#endif  // GAVEL_SIM_STATS_H_
