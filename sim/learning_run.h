// The learning experiment (docs/simulator.md, "Learning"): can the server learn its shoppers'
// hidden click model (sim/truth_model.h) from its own training log, and what does that change?
//
//   absl::StatusOr<LearningRun> r = RunLearning(scenario, {.work_dir = "out/seed-1"});
//   // r->learned.normalized_entropy vs r->truth.normalized_entropy, r->day2_learned.revenue_micros
//
// Per scenario (which needs `truth` and `learning`, days 1):
//   1. day 1 on the built-in default model, writing the training log (learning/training_log.h)
//      to work_dir/day1/ as the server would;
//   2. training with learning::Train on that log, joined by learning::LogJoiner (what gavel_train
//      runs), written to work_dir/learned_model.txt (and the truth to truth_model.txt);
//   3. day 2 (the next date, traffic_seed + 1: other searches and clicks in the same marketplace)
//      twice: served by the default model, and by the learned model writing work_dir/day2/;
//   4. the default, learned and truth models scored on day 2's learned-run impressions.
//
// Deterministic: the same scenario writes the same bytes and returns the same numbers (except the
// wall-clock fields of RunMetrics). Thread-safe: concurrent runs share nothing.
#ifndef GAVEL_SIM_LEARNING_RUN_H_
#define GAVEL_SIM_LEARNING_RUN_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "learning/metrics.h"
#include "learning/trainer.h"
#include "sim/scenario.pb.h"
#include "sim/simulator.h"
#include "sim/stats.h"

namespace gavel::sim {

struct LearningOptions {
  std::string work_dir;  // created if missing; the runs' logs, ledgers and models go in it
  std::function<void(double)> progress;
};

struct LearningRun {
  RunMetrics day1, day2_default, day2_learned;
  learning::TrainReport train;  // on day 1's log; train.model_text is the learned model
  int64_t day1_impressions = 0, day1_clicks = 0;
  // On day 2's impressions (the learned model's run), NE against their own observed CTR.
  learning::Metrics default_model, learned, truth;
};

// INVALID_ARGUMENT when `scenario` has no truth or learning, or for bad trainer options (named as
// learning.<field>); INTERNAL for a file that cannot be written or read, or Simulate's errors.
absl::StatusOr<LearningRun> RunLearning(const Scenario& scenario, const LearningOptions& options);

// One line of the learning report: a per-seed value and its mean with a 95% CI across seeds.
struct LearningStat {
  std::string name, description;
  std::vector<double> per_seed;
  Interval ci;
};
// The report's statistics over runs (one per seed, in seed order): NE, log loss, AUC and
// calibration per model, NE ratios, and the day-2 change (learned - default) in revenue, shopper
// clicks, advertiser surplus and welfare, absolute and in percent.
std::vector<LearningStat> LearningStats(const std::vector<LearningRun>& runs);

// learning.csv (per seed: every statistic) and learning_summary.csv (mean, 95% CI; the CI columns
// empty with one seed) in `dir`. INTERNAL naming the file on a write error.
absl::Status WriteLearningReport(const std::string& dir, const std::vector<uint64_t>& seeds,
                                 const std::vector<LearningRun>& runs);
// The terminal table: "name  mean +- half-width" (fixed decimals), and the three goals of
// docs/simulator.md, each MET or NOT MET.
std::string LearningSummary(const std::vector<LearningRun>& runs);

}  // namespace gavel::sim

#endif  // GAVEL_SIM_LEARNING_RUN_H_
