// The ground-truth click model and the learning experiment (sim/truth_model.h, sim/learning_run.h).
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "sim/learning_run.h"
#include "sim/market.h"
#include "sim/scenario.h"
#include "sim/truth_model.h"

namespace gavel::sim {
namespace {

namespace fs = std::filesystem;

// tests/sim/learning_tiny.textproto, a little smaller still.
constexpr char kTiny[] = R"pb(
  seed: 5
  catalog { num_ads: 300 }
  bidding { shading: 0.8 }
  budgets { multiplier: 0.2 }
  traffic { queries_per_day: 3000 }
  shoppers { num_shoppers: 800 }
  truth { category_sigma: 1.0 }
  learning { hash_bits: 14 epochs: 3 }
)pb";

Scenario Tiny() {
  absl::StatusOr<Scenario> s = ParseScenario(kTiny, /*json=*/false);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TmpDir(const std::string& name) {
  return (fs::path(std::getenv("TEST_TMPDIR")) / name).string();
}

TEST(BuildTruth, SlotWeightIsTheLogOfExaminationAndLinesOverrideTheBuiltIns) {
  Scenario s = Tiny();
  s.mutable_truth()->add_weights("match exact 2.5");
  const Market market = BuildMarket(s);
  absl::StatusOr<TruthModel> truth = BuildTruth(s, market.catalog);
  ASSERT_TRUE(truth.ok()) << truth.status();
  EXPECT_NE(truth->text.find("\nslot 2 -0.356675\n"), std::string::npos) << truth->text;
  EXPECT_NE(truth->text.find("\nmatch exact 2.5\n"), std::string::npos);
  EXPECT_EQ(truth->text.find("match exact 0.3"), std::string::npos);
  EXPECT_NE(truth->text.find("\ncategory "), std::string::npos);
  // sigmoid(bias + weights + log(0.7)) at slot 2 vs slot 1: the examination ratio, in the logit.
  const std::vector<targeting::NamedFeature> f = {{"match", "exact", ""}};
  const double p1 = truth->ClickProbability(f, 1), p2 = truth->ClickProbability(f, 2);
  EXPECT_NEAR(std::log(p2 / (1 - p2)) - std::log(p1 / (1 - p1)), std::log(0.7), 1e-5);
  EXPECT_NEAR(p1, 1 / (1 + std::exp(-(-3.3 + 2.5))), 1e-6);
}

TEST(BuildTruth, BadWeightLineNamesTheEntry) {
  Scenario s = Tiny();
  s.mutable_truth()->add_weights("match exact 0.1");
  s.mutable_truth()->add_weights("colour red 0.3");
  absl::StatusOr<TruthModel> truth = BuildTruth(s, BuildMarket(s).catalog);
  ASSERT_EQ(truth.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(truth.status().message(), "truth.weights[1]: ")) << truth.status();
  EXPECT_NE(truth.status().message().find("unknown feature \"colour\""), std::string::npos);
}

TEST(ValidateScenario, LearningNeedsTruthAndTruthNeedsPositionBasedClicks) {
  Scenario s = Tiny();
  s.clear_truth();
  EXPECT_EQ(ValidateScenario(s).message(), "learning needs a truth model (truth {})");
  s = Tiny();
  s.mutable_clicks()->set_kind(ClickSpec::CASCADE);
  EXPECT_EQ(ValidateScenario(s).message(), "truth needs clicks.kind POSITION_BASED");
  s = Tiny();
  s.set_days(2);
  EXPECT_EQ(ValidateScenario(s).code(), absl::StatusCode::kInvalidArgument);
  s = Tiny();
  s.mutable_direct()->set_bidders(3);
  EXPECT_EQ(ValidateScenario(s).message(), "learning and direct cannot both be set");
  s.clear_learning();
  s.mutable_direct()->set_bidders(0);
  EXPECT_EQ(ValidateScenario(s).message(), "direct.bidders must be in [1, 1000], got 0");
}

TEST(RunLearning, BadTrainerOptionIsNamed) {
  Scenario s = Tiny();
  s.mutable_learning()->set_epochs(0);
  absl::StatusOr<LearningRun> r = RunLearning(s, {.work_dir = TmpDir("bad_epochs")});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "learning.epochs must be in [1, 100], got 0");
}

TEST(RunLearning, LearnsFromDayOneAndIsByteForByteDeterministic) {
  const Scenario s = Tiny();
  absl::StatusOr<LearningRun> a = RunLearning(s, {.work_dir = TmpDir("a")});
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<LearningRun> b = RunLearning(s, {.work_dir = TmpDir("b")});
  ASSERT_TRUE(b.ok()) << b.status();

  // Day 1's log went through learning/ and the trainer read all of it back.
  EXPECT_GT(a->day1_impressions, 1000);
  EXPECT_GT(a->day1_clicks, 20);
  EXPECT_EQ(a->train.train_examples + a->train.holdout_examples, a->day1_impressions);
  // Day 2 served the same searches twice.
  EXPECT_EQ(a->day2_default.searches, a->day2_learned.searches);
  EXPECT_EQ(a->learned.examples, a->truth.examples);
  EXPECT_GT(a->learned.examples, 1000);
  // The learned model beats the default one and does not beat the truth by much (it cannot in
  // expectation; a small sample allows a little).
  EXPECT_LT(a->learned.normalized_entropy, a->default_model.normalized_entropy);
  EXPECT_LT(a->truth.normalized_entropy, a->default_model.normalized_entropy);
  EXPECT_GT(a->learned.normalized_entropy, a->truth.normalized_entropy - 0.02);

  for (const char* f :
       {"learned_model.txt", "truth_model.txt", "day1/training-20260105T000000-0.log",
        "day2/training-20260106T000000-0.log"}) {
    const std::string x = Slurp(fs::path(TmpDir("a")) / f);
    EXPECT_FALSE(x.empty()) << f;
    EXPECT_EQ(x, Slurp(fs::path(TmpDir("b")) / f)) << f;
  }
  ASSERT_TRUE(WriteLearningReport(TmpDir("a"), {5}, {*a}).ok());
  ASSERT_TRUE(WriteLearningReport(TmpDir("b"), {5}, {*b}).ok());
  for (const char* f : {"learning.csv", "learning_summary.csv"}) {
    EXPECT_EQ(Slurp(fs::path(TmpDir("a")) / f), Slurp(fs::path(TmpDir("b")) / f)) << f;
  }
  // One seed: no interval.
  EXPECT_NE(Slurp(fs::path(TmpDir("a")) / "learning_summary.csv").find("\nne_learned,1,0."),
            std::string::npos);
  EXPECT_NE(LearningSummary({*a}).find("one seed: no confidence interval"), std::string::npos);
}

}  // namespace
}  // namespace gavel::sim
