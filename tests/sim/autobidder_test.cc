// The autobidding controller (sim/autobidder.h) on small deterministic plants: it reaches its
// target ACOS, bids up when it sees nothing, paces down when it overspends, and stays clamped.
#include "sim/autobidder.h"

#include <cmath>
#include <cstdint>

#include "gtest/gtest.h"

namespace gavel::sim {
namespace {

// A market where one hour at bid multiplier m buys spend = 1000 x m^1.5 units and the orders it
// causes are worth spend / acos(m) with acos(m) = 0.1 x sqrt(m): bidding up costs more per sale,
// as in a second-price auction. Sales are reported `lag` hours after the spend that bought them.
struct Plant {
  int lag = 0;
  double Spend(double m) const { return 1e9 * std::pow(m, 1.5); }
  static double Acos(double m) { return 0.1 * std::sqrt(m); }
};

TEST(AcosController, ReachesItsTargetOnAConvexMarket) {
  const Plant plant{.lag = 2};
  AcosController c({.target_acos = 0.2, .daily_budget_micros = 1'000'000'000'000});
  std::vector<double> sales_due(400, 0);
  for (int h = 0; h < 300; ++h) {
    const double m = c.multiplier();
    const double spend = plant.Spend(m);
    sales_due[h + plant.lag] += spend / Plant::Acos(m);
    c.Update({.spend_micros = static_cast<int64_t>(spend),
              .sales_micros = static_cast<int64_t>(sales_due[h])});
  }
  // acos(m) = 0.2 at m = 4.
  EXPECT_NEAR(c.multiplier(), 4.0, 4.0 * 0.02);
  EXPECT_EQ(c.dual(), 0);
}

TEST(AcosController, BidsUpByTheMaximumStepWhileNothingIsObserved) {
  AcosController c({.target_acos = 0.3, .daily_budget_micros = 100'000'000});
  EXPECT_DOUBLE_EQ(c.multiplier(), 1);
  EXPECT_NEAR(c.Update({}), std::exp(0.1), 1e-12);
  EXPECT_NEAR(c.Update({}), std::exp(0.2), 1e-12);
}

TEST(AcosController, BidsUpWhenItStopsWinning) {
  // On target for a day, then nothing: after 24 hours in a row without spend the agent bids up by
  // the maximum step each hour (before that the pseudo-count holds its bids).
  AcosController c({.target_acos = 0.25, .daily_budget_micros = 24'000'000'000, .lag_hours = 0});
  for (int h = 0; h < 24; ++h) c.Update({.spend_micros = 100'000'000, .sales_micros = 400'000'000});
  const double on_target = c.multiplier();
  EXPECT_NEAR(on_target, 1, 1e-9);
  int hours = 0;
  double m = on_target;
  while (m == on_target && hours < 100) {
    m = c.Update({});
    ++hours;
  }
  EXPECT_EQ(hours, 24);
  EXPECT_NEAR(m, std::exp(0.1), 1e-9);
  EXPECT_NEAR(c.Update({}), std::exp(0.2), 1e-9);
  // One paid click resets the count.
  c.Update({.spend_micros = 1});
  EXPECT_NEAR(c.multiplier(), std::exp(0.2), 1e-3);
}

TEST(AcosController, StepIsClampedAndErrorSignIsRight) {
  // ACOS 100x the target with spend on the budget's pace (no dual): the step is -max_step (lag 0
  // so the spend counts at once; prior 0.2% of 24,000 units = 48 units against 1,000 spent).
  AcosController high({.target_acos = 0.1, .daily_budget_micros = 24'000'000'000, .lag_hours = 0});
  EXPECT_NEAR(high.Update({.spend_micros = 1'000'000'000, .sales_micros = 10'000'000}),
              std::exp(-0.1), 1e-12);
  EXPECT_EQ(high.dual(), 0);
  // ACOS below target: bids go up by gain x the log error when that is under the clamp.
  AcosController low(
      {.target_acos = 0.5, .daily_budget_micros = 24'000'000'000'000, .lag_hours = 0});
  const double spend = 400e9, sales = 1000e9, prior = 0.002 * 24e12;
  const double expected = std::exp(0.1 * std::log((0.5 * sales + prior) / (spend + prior)));
  EXPECT_GT(expected, 1);
  EXPECT_LT(expected, std::exp(0.1));
  EXPECT_NEAR(low.Update({.spend_micros = 400'000'000'000, .sales_micros = 1'000'000'000'000}),
              expected, 1e-12);
}

TEST(AcosController, OverspendingRaisesTheDualAndLowersBids) {
  // Spending 3x the hour's share of the budget while ACOS is on target: only the dual moves.
  AcosController c({.target_acos = 0.25, .daily_budget_micros = 24'000'000, .lag_hours = 0});
  double m = 1;
  for (int h = 0; h < 5; ++h) {
    m = c.Update(
        {.spend_micros = 3'000'000, .sales_micros = 12'000'000, .hour_budget_share = 1.0 / 24});
  }
  // lambda = 5 x 0.05 x (3 - 1) / 1 = 0.5; the ACOS step is 0, so m = 1 / 1.5.
  EXPECT_NEAR(c.dual(), 0.5, 1e-12);
  EXPECT_NEAR(m, 1 / 1.5, 1e-12);
  // Under-spending brings the dual back to 0, not below.
  for (int h = 0; h < 50; ++h) c.Update({.spend_micros = 0, .sales_micros = 0});
  EXPECT_EQ(c.dual(), 0);
}

TEST(AcosController, MultiplierStaysWithinItsClamp) {
  AcosController c({.target_acos = 0.25, .daily_budget_micros = 1'000'000});
  for (int h = 0; h < 1000; ++h) c.Update({});
  EXPECT_DOUBLE_EQ(c.multiplier(), 50);
  AcosController d({.target_acos = 0.25, .daily_budget_micros = 1'000'000'000'000, .lag_hours = 0});
  for (int h = 0; h < 1000; ++h) d.Update({.spend_micros = 1'000'000'000, .sales_micros = 1});
  EXPECT_NEAR(d.multiplier(), 0.02, 1e-12);
}

}  // namespace
}  // namespace gavel::sim
