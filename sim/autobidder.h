// The simulator's autobidding agents (docs/simulator.md, "Autobidders"): an advertiser with a
// target ACOS (or ROAS) and a daily budget, whose agent rescales all its bids once per simulated
// hour from what Gavel's sales report shows it, as a real advertiser's bidding tool would.
//
//   AcosController c({.target_acos = 0.25, .daily_budget_micros = 50'000'000});
//   for each hour h:
//     double m = c.Update({.spend_micros = spend_this_hour, .sales_micros = sales_this_hour,
//                          .hour_budget_share = weights[h] / total});
//     bids = floor(base_bids x m)   // through a catalog update (the real advertiser's path)
//
// The controller, per hourly step (constants in ControllerConfig, with why each was chosen):
//   1. Smooth what it observed: S = a S + spend(h - lag), R = a R + sales(h), a = exp(-1/tau).
//      Sales are the newly attributed sales Gavel reports this hour; they arrive a conversion lag
//      after the clicks that bought them, so the spend is taken `lag` hours late to match them.
//   2. ACOS error in log space, shrunk towards 0 by a pseudo-count c (c of spend at exactly the
//      target) while little is observed: e = ln((T R + c) / (S + c)) (> 0: ACOS below target).
//   3. Multiplicative (integral) update: ln m += clamp(gain x e, -max_step, max_step); while the
//      agent is starved (no spend at all for starved_hours in a row: it wins nothing, and the
//      pseudo-count would hold its bids there) ln m += max_step instead. While the budget dual
//      below is positive the multiplier may not grow (anti-windup).
//   4. Budget pacing, dual gradient (Balseiro, Lu, Mirrokni 2020): lambda += eta x (spend(h) -
//      B x share(h)) / (B / 24), clamped to [0, max_dual]; share(h) is hour h's share of the
//      day's traffic. The bid multiplier is m / (1 + lambda).
//   5. Clamp the result to [min_multiplier, max_multiplier].
//
// Deterministic (no randomness). Thread-compatible.
#ifndef GAVEL_SIM_AUTOBIDDER_H_
#define GAVEL_SIM_AUTOBIDDER_H_

#include <cstdint>
#include <deque>

namespace gavel::sim {

struct ControllerConfig {
  double target_acos = 0.25;        // > 0 (a ROAS target r is ACOS 1 / r)
  int64_t daily_budget_micros = 0;  // > 0
  double initial_multiplier = 1;
  // Log-multiplier change per unit of log ACOS error and hour. With tau = 6 h the loop (an
  // integrator behind a first-order lag) has damping 1 / (2 sqrt(gain x tau)) = 0.65 at an ACOS
  // elasticity of 1 (bids move ACOS less than 1:1 in a second-price auction, so it is damped more).
  double gain = 0.1;
  // At most e^0.1 = +-10.5% per hour: a 20x correction takes 30 hours, and one noisy hour moves
  // bids little.
  double max_step = 0.1;
  double tau_hours = 6;  // smoothing time constant: about 6 hours of orders per error estimate
  // Spend is matched to sales this many hours later: the mean conversion lag of the default
  // purchase delay (log-normal, median 1 h, sigma 1: mean e^0.5 = 1.65 h), rounded up.
  int lag_hours = 2;
  // Pseudo-count, as a fraction of the daily budget: 0.2% of a day's budget of spend observed at
  // exactly the target, so that the first few orders do not swing the bids. Small: budgets are
  // often far above what an agent spends at its target, and a larger c would shrink the error of
  // a small spender towards 0 and leave its bids where a noisy first day put them.
  double prior_fraction = 0.002;
  // Hours in a row without any spend that mean "starved": a whole day, so that quiet night hours
  // (little traffic, little spend) never count as starving.
  int starved_hours = 24;
  double pacing_rate = 0.05;  // eta: a day spending 1.5x the budget's pace raises lambda by 0.6
  double max_dual = 10;
  double min_multiplier = 0.02, max_multiplier = 50;
};

// What the agent saw in the hour that just ended.
struct HourObservation {
  int64_t spend_micros = 0;  // charged this hour (Gavel's report: spend now - spend an hour ago)
  int64_t sales_micros = 0;  // newly attributed sales (the report's sales now - an hour ago)
  double hour_budget_share = 1.0 / 24;  // the hour's share of the day's traffic
};

class AcosController {
 public:
  explicit AcosController(const ControllerConfig& config);

  // One step (the algorithm above); returns the new bid multiplier.
  double Update(const HourObservation& o);

  double multiplier() const;  // m / (1 + lambda), clamped
  double dual() const { return lambda_; }
  const ControllerConfig& config() const { return c_; }

 private:
  const ControllerConfig c_;
  double log_m_ = 0;
  double lambda_ = 0;
  double spend_ = 0, sales_ = 0;   // smoothed, micros
  std::deque<int64_t> spend_lag_;  // the last lag_hours hours of spend, oldest first
  int hours_without_spend_ = 0;
};

}  // namespace gavel::sim

#endif  // GAVEL_SIM_AUTOBIDDER_H_
