#include "learning/metrics.h"

#include <cmath>

#include "gtest/gtest.h"

namespace gavel::learning {
namespace {

TEST(Metrics, LogLossNeAucAndCalibrationByHand) {
  const double p[] = {0.1, 0.4, 0.35, 0.8};
  const bool y[] = {false, false, true, true};
  const Metrics m = Evaluate(p, y, /*background_ctr=*/0.5);
  const double loss = -(std::log(0.9) + std::log(0.6) + std::log(0.35) + std::log(0.8)) / 4;
  EXPECT_NEAR(m.log_loss, loss, 1e-12);
  EXPECT_NEAR(m.normalized_entropy, loss / std::log(2.0), 1e-12);
  // Pairs (clicked, unclicked): (0.35, 0.1) right, (0.35, 0.4) wrong, (0.8, both) right: 3 / 4.
  EXPECT_DOUBLE_EQ(m.auc, 0.75);
  EXPECT_DOUBLE_EQ(m.predicted_ctr, 1.65 / 4);
  EXPECT_DOUBLE_EQ(m.observed_ctr, 0.5);
  EXPECT_EQ(m.examples, 4);
  EXPECT_EQ(m.clicks, 2);
  // 4 examples in 10 deciles: the first four take one each, sorted by prediction.
  ASSERT_EQ(m.deciles.size(), 10u);
  EXPECT_EQ(m.deciles[1].examples, 1);
  EXPECT_DOUBLE_EQ(m.deciles[1].predicted_ctr, 0.35);
  EXPECT_DOUBLE_EQ(m.deciles[1].observed_ctr, 1);
  EXPECT_EQ(m.deciles[9].examples, 0);
}

TEST(Metrics, TiesCountHalfInAuc) {
  const double p[] = {0.3, 0.3};
  const bool y[] = {true, false};
  EXPECT_DOUBLE_EQ(Evaluate(p, y, 0.5).auc, 0.5);
}

TEST(Metrics, PredictingTheBackgroundCtrScoresNeOne) {
  std::vector<double> p(1000, 0.1);
  std::unique_ptr<bool[]> y(new bool[1000]());
  for (int i = 0; i < 100; ++i) y[i * 10] = true;
  const Metrics m = Evaluate(p, absl::MakeConstSpan(y.get(), 1000), 0.1);
  EXPECT_NEAR(m.normalized_entropy, 1.0, 1e-12);
  EXPECT_NEAR(m.calibration(), 1.0, 1e-12);
}

}  // namespace
}  // namespace gavel::learning
