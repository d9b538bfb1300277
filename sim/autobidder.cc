#include "sim/autobidder.h"

#include <algorithm>
#include <cmath>

namespace gavel::sim {

AcosController::AcosController(const ControllerConfig& config)
    : c_(config), log_m_(std::log(config.initial_multiplier)) {}

double AcosController::Update(const HourObservation& o) {
  const double budget = static_cast<double>(c_.daily_budget_micros);
  // 1. Smoothing, with the spend delayed by the conversion lag.
  spend_lag_.push_back(o.spend_micros);
  int64_t matched_spend = 0;
  if (static_cast<int>(spend_lag_.size()) > c_.lag_hours) {
    matched_spend = spend_lag_.front();
    spend_lag_.pop_front();
  }
  const double a = std::exp(-1 / c_.tau_hours);
  spend_ = a * spend_ + static_cast<double>(matched_spend);
  sales_ = a * sales_ + static_cast<double>(o.sales_micros);

  // 4 (first, for the anti-windup in 3). Budget pacing dual.
  const double pace = budget * o.hour_budget_share;
  lambda_ = std::clamp(
      lambda_ + c_.pacing_rate * (static_cast<double>(o.spend_micros) - pace) / (budget / 24), 0.0,
      c_.max_dual);

  // 2-3. ACOS error and the multiplicative step.
  hours_without_spend_ = o.spend_micros > 0 ? 0 : hours_without_spend_ + 1;
  double step;
  const double prior = c_.prior_fraction * budget;
  if (hours_without_spend_ >= c_.starved_hours || (spend_ == 0 && sales_ == 0)) {
    step = c_.max_step;
  } else {
    const double e = std::log((c_.target_acos * sales_ + prior) / (spend_ + prior));
    step = std::clamp(c_.gain * e, -c_.max_step, c_.max_step);
  }
  if (lambda_ > 0) step = std::min(step, 0.0);
  log_m_ = std::clamp(log_m_ + step, std::log(c_.min_multiplier), std::log(c_.max_multiplier));
  return multiplier();
}

double AcosController::multiplier() const {
  return std::clamp(std::exp(log_m_) / (1 + lambda_), c_.min_multiplier, c_.max_multiplier);
}

}  // namespace gavel::sim
