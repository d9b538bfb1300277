#include "learning/ftrl.h"

#include <cmath>

#include "gtest/gtest.h"

namespace gavel::learning {
namespace {

// Two steps on one coordinate with alpha = beta = 1 and no regularisation, computed by hand from
// McMahan et al. 2013, Algorithm 1:
//   step 1 (click):    w = 0, p = 0.5, g = -0.5, sigma = 0.5, z = -0.5, n = 0.25, w' = 0.5/1.5
//   step 2 (no click): p = sigmoid(1/3) = 0.58257020646, g = p, n = 0.25 + g^2 = 0.58938804546,
//                      sigma = sqrt(n) - 0.5, z = -0.5 + g - sigma/3 = -0.00666850119,
//                      w'' = -z / (1 + sqrt(n)) = 0.00377238240
TEST(Ftrl, MatchesAHandComputedExample) {
  Ftrl ftrl(1, {.alpha = 1, .beta = 1, .l1 = 0, .l2 = 0});
  const uint32_t x[] = {0};
  EXPECT_DOUBLE_EQ(ftrl.Update(x, true), 0.5);
  EXPECT_NEAR(ftrl.weight(0), 1.0 / 3, 1e-12);
  EXPECT_NEAR(ftrl.Update(x, false), 0.5825702064623147, 1e-12);
  EXPECT_NEAR(ftrl.weight(0), 0.0037723824009054064, 1e-12);
}

TEST(Ftrl, L1KeepsSmallEvidenceAtExactlyZero) {
  // After one click |z| = 0.5: below l1 = 1 the weight is 0, above l1 = 0.25 it is shrunk by l1.
  Ftrl strong(1, {.alpha = 1, .beta = 1, .l1 = 1, .l2 = 0});
  Ftrl weak(1, {.alpha = 1, .beta = 1, .l1 = 0.25, .l2 = 0});
  const uint32_t x[] = {0};
  strong.Update(x, true);
  weak.Update(x, true);
  EXPECT_EQ(strong.weight(0), 0.0);
  EXPECT_NEAR(weak.weight(0), 0.25 / 1.5, 1e-12);
}

TEST(Ftrl, L2ShrinksTheWeight) {
  Ftrl ftrl(1, {.alpha = 1, .beta = 1, .l1 = 0, .l2 = 1.5});
  const uint32_t x[] = {0};
  ftrl.Update(x, true);
  EXPECT_NEAR(ftrl.weight(0), 0.5 / (1.5 + 1.5), 1e-12);
}

TEST(Ftrl, CoordinatesLearnTheirOwnRates) {
  Ftrl ftrl(3, {.alpha = 1, .beta = 1, .l1 = 0, .l2 = 0});
  const uint32_t both[] = {0, 1}, first[] = {0};
  ftrl.Update(both, true);
  ftrl.Update(first, true);
  EXPECT_EQ(ftrl.weight(2), 0.0);  // never seen
  EXPECT_GT(ftrl.weight(0), ftrl.weight(1));
}

TEST(Ftrl, OptionsAreValidatedByName) {
  EXPECT_EQ(ValidateFtrlOptions({.alpha = 0}).message(), "alpha must be a finite number > 0, got 0");
  EXPECT_EQ(ValidateFtrlOptions({.alpha = std::nan("")}).message(),
            "alpha must be a finite number > 0, got nan");
  EXPECT_EQ(ValidateFtrlOptions({.l1 = -1}).message(), "l1 must be a finite number >= 0, got -1");
  EXPECT_TRUE(ValidateFtrlOptions({}).ok());
}

}  // namespace
}  // namespace gavel::learning
