#include "sim/stats.h"

#include <cmath>

namespace gavel::sim {

double TQuantile975(int dof) {
  static constexpr double kTable[] = {
      0,      12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
      2.2010, 2.1788,  2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796,
      2.0739, 2.0687,  2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (dof < 1) return 0;
  if (dof <= 30) return kTable[dof];
  // t ~ z + c / dof for large dof; c fitted so that dof = 30 matches the table.
  constexpr double kZ = 1.959964;
  return kZ + (kTable[30] - kZ) * 30.0 / dof;
}

Interval MeanCi(absl::Span<const double> samples) {
  Interval out;
  out.n = static_cast<int>(samples.size());
  if (samples.empty()) return out;
  double sum = 0;
  for (double v : samples) sum += v;
  out.mean = sum / out.n;
  if (out.n < 2) return out;
  double ss = 0;
  for (double v : samples) ss += (v - out.mean) * (v - out.mean);
  const double sd = std::sqrt(ss / (out.n - 1));
  out.half_width = TQuantile975(out.n - 1) * sd / std::sqrt(static_cast<double>(out.n));
  return out;
}

}  // namespace gavel::sim
