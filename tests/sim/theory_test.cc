// The simulator's components against auction and click-model theory: second-price revenue, GSP vs
// VCG, the Myerson reserve, and the position-based click model.
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "sim/click_model.h"
#include "sim/direct.h"
#include "sim/stats.h"

namespace gavel::sim {
namespace {

constexpr double kUnit = 1e6;  // values are U[0, 1) currency units, in micros

DirectOptions Uniform(int bidders, int slots, auction::Mechanism m, int64_t auctions) {
  DirectOptions o;
  o.bidders = bidders;
  o.value.set_kind(Distribution::UNIFORM);
  o.value.set_min(0);
  o.value.set_max(kUnit);
  o.rules.mechanism = m;
  o.rules.slots = slots;
  o.rules.increment_micros = 0;  // textbook second price: exactly the next bid
  o.rules.min_cpc_micros = 1;
  o.auctions = auctions;
  return o;
}

// |observed - expected| within 4 CI half-widths (about 8 standard errors: flaky once in ~1e15).
void ExpectWithin(const Interval& observed, double expected) {
  EXPECT_NEAR(observed.mean, expected, 4 * observed.half_width + 1.0)
      << "mean " << observed.mean << " +- " << observed.half_width;
}

TEST(SecondPriceTheory, TruthfulRevenueIsTheExpectedSecondHighestValue) {
  for (int n : {2, 3, 5, 10}) {
    std::mt19937_64 gen(1000 + n);
    absl::StatusOr<DirectResult> r =
        RunDirect(Uniform(n, 1, auction::Mechanism::kGeneralizedSecondPrice, 100'000), gen);
    ASSERT_TRUE(r.ok()) << r.status();
    SCOPED_TRACE(n);
    ExpectWithin(r->revenue, kUnit * (n - 1) / (n + 1));  // E[2nd highest of n U[0,1]]
    ExpectWithin(r->welfare, kUnit * n / (n + 1));        // E[highest]
  }
}

TEST(SecondPriceTheory, SingleSlotVcgEqualsSecondPrice) {
  std::mt19937_64 gen_gsp(5), gen_vcg(5);
  auto gsp = RunDirect(Uniform(4, 1, auction::Mechanism::kGeneralizedSecondPrice, 20'000), gen_gsp);
  auto vcg = RunDirect(Uniform(4, 1, auction::Mechanism::kVcg, 20'000), gen_vcg);
  ASSERT_TRUE(gsp.ok() && vcg.ok());
  EXPECT_NEAR(gsp->revenue.mean, vcg->revenue.mean, 1.0);
}

TEST(GspVersusVcg, GspRevenueIsAtLeastVcgRevenueAtTruthfulBids) {
  // Edelman, Ostrovsky and Schwarz (2007): with the same truthful bids, each GSP price is at least
  // the VCG price of the same slot. Same seed = same values for both mechanisms.
  for (int slots : {2, 3, 5}) {
    std::mt19937_64 gen_gsp(77), gen_vcg(77);
    auto gsp =
        RunDirect(Uniform(6, slots, auction::Mechanism::kGeneralizedSecondPrice, 20'000), gen_gsp);
    auto vcg = RunDirect(Uniform(6, slots, auction::Mechanism::kVcg, 20'000), gen_vcg);
    ASSERT_TRUE(gsp.ok()) << gsp.status();
    ASSERT_TRUE(vcg.ok()) << vcg.status();
    SCOPED_TRACE(slots);
    EXPECT_GE(gsp->revenue.mean, vcg->revenue.mean);
    EXPECT_GT(gsp->revenue.mean, vcg->revenue.mean);  // strictly, with two or more slots
    // Same allocation, so the same welfare.
    EXPECT_NEAR(gsp->welfare.mean, vcg->welfare.mean, 1e-6 * gsp->welfare.mean);
  }
}

TEST(ReserveTheory, RevenueRisesThenFallsAroundTheMyersonReserve) {
  // Two bidders, values U[0,1], second price with reserve r: E[revenue] = 1/3 + r^2 - 4r^3/3,
  // maximised at Myerson's r* = 1/2 (virtual value 2v - 1 = 0) with 5/12.
  auto revenue_at = [](double r) {
    DirectOptions o = Uniform(2, 1, auction::Mechanism::kGeneralizedSecondPrice, 200'000);
    o.rules.reserve_micros = static_cast<int64_t>(r * kUnit);
    std::mt19937_64 gen(2024);
    absl::StatusOr<DirectResult> result = RunDirect(o, gen);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->revenue : Interval{};
  };
  const std::vector<double> reserves = {0.0, 0.25, 0.5, 0.75, 0.9};
  std::vector<Interval> rev;
  for (double r : reserves) {
    rev.push_back(revenue_at(r));
    SCOPED_TRACE(r);
    ExpectWithin(rev.back(), kUnit * (1.0 / 3 + r * r - 4 * r * r * r / 3));
  }
  // Rises to the optimum, then falls (each step by more than the confidence intervals).
  EXPECT_GT(rev[1].low(), rev[0].high());
  EXPECT_GT(rev[2].low(), rev[1].high());
  EXPECT_GT(rev[2].low(), rev[3].high());
  EXPECT_GT(rev[3].low(), rev[4].high());
}

TEST(PositionBasedClickModel, CtrBySlotMatchesExaminationProbabilities) {
  ClickSpec spec;
  spec.set_kind(ClickSpec::POSITION_BASED);
  for (double e : {1.0, 0.6, 0.3, 0.1}) spec.add_examination(e);
  spec.set_attractiveness_scale(0.5);
  const ClickModel model(spec);
  const double a = model.Attractiveness(1.0);
  ASSERT_DOUBLE_EQ(a, 0.5);
  std::mt19937_64 gen(3);
  const int n = 200'000;
  std::vector<int> clicks(4, 0);
  std::vector<bool> clicked;
  const std::vector<double> attractiveness(4, a);
  for (int i = 0; i < n; ++i) {
    model.Clicks(attractiveness, 1.0, gen, &clicked);
    for (int s = 0; s < 4; ++s) clicks[s] += clicked[s];
  }
  for (int s = 0; s < 4; ++s) {
    const double p = model.Examination(s) * a;
    const double ctr = static_cast<double>(clicks[s]) / n;
    EXPECT_NEAR(ctr, p, 5 * std::sqrt(p * (1 - p) / n)) << "slot " << s + 1;
  }
}

TEST(CascadeClickModel, ClicksAtMostOnceAndDecaysWithPosition) {
  ClickSpec spec;
  spec.set_kind(ClickSpec::CASCADE);
  spec.set_attractiveness_scale(0.3);
  spec.set_cascade_continue(0.8);
  const ClickModel model(spec);
  std::mt19937_64 gen(4);
  const int n = 100'000;
  std::vector<int> clicks(3, 0);
  std::vector<bool> clicked;
  const std::vector<double> attractiveness(3, 0.3);
  for (int i = 0; i < n; ++i) {
    model.Clicks(attractiveness, 1.0, gen, &clicked);
    int total = 0;
    for (int s = 0; s < 3; ++s) total += clicked[s], clicks[s] += clicked[s];
    ASSERT_LE(total, 1);
  }
  // P(click at s) = a x ((1 - a) x continue)^s.
  for (int s = 0; s < 3; ++s) {
    const double p = 0.3 * std::pow(0.7 * 0.8, s);
    EXPECT_NEAR(static_cast<double>(clicks[s]) / n, p, 5 * std::sqrt(p * (1 - p) / n))
        << "slot " << s + 1;
  }
}

TEST(MeanCi, UsesStudentTForSmallSamples) {
  const Interval ci = MeanCi({1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(ci.mean, 2.0);
  EXPECT_NEAR(ci.half_width, 4.3027 * 1.0 / std::sqrt(3.0), 1e-9);  // s = 1, t(0.975, 2)
  EXPECT_EQ(MeanCi({5.0}).half_width, 0);
  EXPECT_NEAR(TQuantile975(1000), 1.962, 0.001);
}

}  // namespace
}  // namespace gavel::sim
