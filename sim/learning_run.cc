#include "sim/learning_run.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "learning/dataset.h"
#include "learning/training_log.h"
#include "sim/market.h"
#include "sim/scenario.h"
#include "sim/truth_model.h"

namespace gavel::sim {
namespace {

namespace fs = std::filesystem;

constexpr double kMicros = 1e6;

absl::Status WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

// Runs one simulated day with a training log in `log_dir` (when not empty): one file, named by the
// day's start, so the same seed writes the same file.
absl::StatusOr<RunMetrics> SimulateDay(const Scenario& s, const std::string& work_dir,
                                       const std::string& log_dir,
                                       std::shared_ptr<const targeting::CtrModel> model,
                                       std::function<void(double)> progress) {
  SimOptions options{
      .work_dir = work_dir, .progress = std::move(progress), .serving_model = std::move(model)};
  std::unique_ptr<learning::TrainingLog> log;
  if (!log_dir.empty()) {
    std::error_code ec;
    fs::create_directories(log_dir, ec);
    absl::CivilDay day;
    absl::ParseCivilTime(s.start_date(), &day);
    const absl::Time start = absl::FromCivil(day, absl::UTCTimeZone());
    absl::StatusOr<std::unique_ptr<learning::TrainingLog>> opened =
        learning::TrainingLog::Open({.dir = log_dir,
                                     .max_file_bytes = int64_t{1} << 40,
                                     .max_file_age = absl::InfiniteDuration(),
                                     .queue_capacity = 1 << 22,
                                     .now = [start] { return start; }});
    if (!opened.ok()) return opened.status();
    log = *std::move(opened);
    options.training_log = log.get();
  }
  absl::StatusOr<RunMetrics> m = Simulate(s, options);
  if (log != nullptr) {
    log->Flush();
    const learning::TrainingLogStats st = log->stats();
    if (m.ok() && (st.dropped > 0 || !st.error.empty())) {
      return absl::InternalError(
          absl::StrCat("training log in ", log_dir, ": ", st.dropped, " lines dropped ", st.error));
    }
  }
  return m;
}

// The examples of every training-*.log file in `dir`, joined as gavel_train joins them.
absl::StatusOr<std::vector<learning::Example>> ReadLog(const std::string& dir,
                                                       learning::JoinStats* stats) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (absl::StartsWith(name, "training-") && absl::EndsWith(name, ".log")) {
      files.push_back(e.path().string());
    }
  }
  if (ec) return absl::InternalError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  std::sort(files.begin(), files.end());
  learning::LogJoiner joiner;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return absl::InternalError(absl::StrCat("cannot read ", file));
    if (absl::Status st = joiner.AddFile(file, text.str()); !st.ok()) return st;
  }
  return joiner.Finish(stats);
}

learning::Metrics Score(const targeting::CtrModel& model,
                        const std::vector<learning::Example>& examples, double background) {
  const std::vector<double> p = learning::Predict(model, examples);
  std::unique_ptr<bool[]> labels(new bool[examples.size()]);
  for (size_t i = 0; i < examples.size(); ++i) labels[i] = examples[i].clicked;
  return learning::Evaluate(p, absl::MakeConstSpan(labels.get(), examples.size()), background);
}

// The fraction-done callback of part `k` of `parts`.
std::function<void(double)> Part(const std::function<void(double)>& progress, int k, int parts) {
  if (!progress) return nullptr;
  return [progress, k, parts](double f) { progress((k + f) / parts); };
}

}  // namespace

absl::StatusOr<LearningRun> RunLearning(const Scenario& scenario, const LearningOptions& o) {
  if (!scenario.has_truth() || !scenario.has_learning()) {
    return absl::InvalidArgumentError("the learning run needs truth and learning in the scenario");
  }
  const LearningSpec& spec = scenario.learning();
  const learning::TrainOptions train_options = {
      .ftrl = {.alpha = spec.alpha(), .beta = spec.beta(), .l1 = spec.l1(), .l2 = spec.l2()},
      .hash_bits = spec.hash_bits(),
      .epochs = spec.epochs(),
      .holdout_fraction = spec.holdout_fraction()};
  if (absl::Status st = learning::ValidateTrainOptions(train_options); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("learning.", st.message()));
  }
  const fs::path dir(o.work_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", o.work_dir));

  LearningRun run;
  // 1. Day 1 on the default model.
  absl::StatusOr<RunMetrics> day1 =
      SimulateDay(scenario, o.work_dir, (dir / "day1").string(), nullptr, Part(o.progress, 0, 3));
  if (!day1.ok()) return day1.status();
  run.day1 = *std::move(day1);

  // 2. Training, as gavel_train does.
  learning::JoinStats join;
  absl::StatusOr<std::vector<learning::Example>> train_examples =
      ReadLog((dir / "day1").string(), &join);
  if (!train_examples.ok()) return train_examples.status();
  run.day1_impressions = join.impressions;
  run.day1_clicks = join.clicks;
  absl::StatusOr<learning::TrainReport> trained =
      learning::Train(*train_examples, train_options, targeting::CtrModel::Default().get());
  if (!trained.ok()) return trained.status();
  run.train = *std::move(trained);
  absl::StatusOr<std::shared_ptr<const targeting::CtrModel>> learned =
      targeting::CtrModel::Parse(run.train.model_text);
  if (!learned.ok()) return learned.status();
  if (absl::Status st = WriteFile(dir / "learned_model.txt", run.train.model_text); !st.ok()) {
    return st;
  }

  // 3. Day 2, twice over the same searches.
  Scenario day2 = scenario;
  day2.set_traffic_seed(TrafficSeed(scenario) + 1);
  absl::CivilDay date;
  absl::ParseCivilTime(scenario.start_date(), &date);
  day2.set_start_date(absl::FormatCivilTime(date + 1));
  absl::StatusOr<RunMetrics> control =
      SimulateDay(day2, o.work_dir, "", nullptr, Part(o.progress, 1, 3));
  if (!control.ok()) return control.status();
  run.day2_default = *std::move(control);
  absl::StatusOr<RunMetrics> treated =
      SimulateDay(day2, o.work_dir, (dir / "day2").string(), *learned, Part(o.progress, 2, 3));
  if (!treated.ok()) return treated.status();
  run.day2_learned = *std::move(treated);

  // 4. The three models on day 2's impressions. The truth is rebuilt as the simulator built it.
  absl::StatusOr<TruthModel> truth = BuildTruth(scenario, BuildMarket(scenario).catalog);
  if (!truth.ok()) return truth.status();
  if (absl::Status st = WriteFile(dir / "truth_model.txt", truth->text); !st.ok()) return st;
  learning::JoinStats join2;
  absl::StatusOr<std::vector<learning::Example>> eval = ReadLog((dir / "day2").string(), &join2);
  if (!eval.ok()) return eval.status();
  if (eval->empty()) return absl::InternalError("day 2 showed no ads: nothing to evaluate on");
  int64_t clicks = 0;
  for (const learning::Example& e : *eval) clicks += e.clicked ? 1 : 0;
  const double background =
      std::clamp(static_cast<double>(clicks) / static_cast<double>(eval->size()), 1e-9, 1 - 1e-9);
  run.default_model = Score(*targeting::CtrModel::Default(), *eval, background);
  run.learned = Score(**learned, *eval, background);
  run.truth = Score(*truth->model, *eval, background);
  return run;
}

std::vector<LearningStat> LearningStats(const std::vector<LearningRun>& runs) {
  using Get = std::function<double(const LearningRun&)>;
  auto units = [](int64_t micros) { return static_cast<double>(micros) / kMicros; };
  auto pct = [](double now, double before) { return before != 0 ? 100 * (now / before - 1) : 0; };
  auto surplus = [](const RunMetrics& m) { return m.value_micros - m.revenue_micros; };
  const std::vector<std::pair<std::pair<std::string, std::string>, Get>> defs = {
      {{"day2_impressions", "day-2 impressions evaluated on"},
       [](const LearningRun& r) { return double(r.learned.examples); }},
      {{"day2_ctr", "their observed CTR (the NE background)"},
       [](const LearningRun& r) { return r.learned.observed_ctr; }},
      {{"ne_default", "normalized entropy, default model"},
       [](const LearningRun& r) { return r.default_model.normalized_entropy; }},
      {{"ne_learned", "normalized entropy, learned model"},
       [](const LearningRun& r) { return r.learned.normalized_entropy; }},
      {{"ne_truth", "normalized entropy, ground-truth model"},
       [](const LearningRun& r) { return r.truth.normalized_entropy; }},
      {{"ne_learned_over_truth_pct", "learned NE / truth NE - 1, percent (goal <= 3)"},
       [pct](const LearningRun& r) {
         return pct(r.learned.normalized_entropy, r.truth.normalized_entropy);
       }},
      {{"ne_learned_vs_default_pct", "1 - learned NE / default NE, percent (goal >= 10)"},
       [pct](const LearningRun& r) {
         return -pct(r.learned.normalized_entropy, r.default_model.normalized_entropy);
       }},
      {{"log_loss_default", "log loss, default model"},
       [](const LearningRun& r) { return r.default_model.log_loss; }},
      {{"log_loss_learned", "log loss, learned model"},
       [](const LearningRun& r) { return r.learned.log_loss; }},
      {{"log_loss_truth", "log loss, ground-truth model"},
       [](const LearningRun& r) { return r.truth.log_loss; }},
      {{"auc_default", "AUC, default model"},
       [](const LearningRun& r) { return r.default_model.auc; }},
      {{"auc_learned", "AUC, learned model"}, [](const LearningRun& r) { return r.learned.auc; }},
      {{"auc_truth", "AUC, ground-truth model"}, [](const LearningRun& r) { return r.truth.auc; }},
      {{"calibration_default", "predicted / observed CTR, default model"},
       [](const LearningRun& r) { return r.default_model.calibration(); }},
      {{"calibration_learned", "predicted / observed CTR, learned model (goal 0.95-1.05)"},
       [](const LearningRun& r) { return r.learned.calibration(); }},
      {{"calibration_truth", "predicted / observed CTR, ground-truth model"},
       [](const LearningRun& r) { return r.truth.calibration(); }},
      {{"revenue_default", "day-2 revenue (units), default model serving"},
       [units](const LearningRun& r) { return units(r.day2_default.revenue_micros); }},
      {{"revenue_change", "day-2 revenue, learned - default (units)"},
       [units](const LearningRun& r) {
         return units(r.day2_learned.revenue_micros - r.day2_default.revenue_micros);
       }},
      {{"revenue_change_pct", "the same, percent"},
       [pct](const LearningRun& r) {
         return pct(double(r.day2_learned.revenue_micros), double(r.day2_default.revenue_micros));
       }},
      {{"shopper_clicks_default", "day-2 shopper clicks, default model serving"},
       [](const LearningRun& r) { return double(r.day2_default.shopper_clicks); }},
      {{"shopper_clicks_change", "day-2 shopper clicks, learned - default"},
       [](const LearningRun& r) {
         return double(r.day2_learned.shopper_clicks - r.day2_default.shopper_clicks);
       }},
      {{"shopper_clicks_change_pct", "the same, percent"},
       [pct](const LearningRun& r) {
         return pct(double(r.day2_learned.shopper_clicks), double(r.day2_default.shopper_clicks));
       }},
      {{"advertiser_surplus_default", "day-2 advertiser value - spend (units), default serving"},
       [units, surplus](const LearningRun& r) { return units(surplus(r.day2_default)); }},
      {{"advertiser_surplus_change", "day-2 advertiser surplus, learned - default (units)"},
       [units, surplus](const LearningRun& r) {
         return units(surplus(r.day2_learned) - surplus(r.day2_default));
       }},
      {{"advertiser_surplus_change_pct", "the same, percent"},
       [pct, surplus](const LearningRun& r) {
         return pct(double(surplus(r.day2_learned)), double(surplus(r.day2_default)));
       }},
      {{"welfare_default", "day-2 welfare: value of shopper clicks (units), default serving"},
       [units](const LearningRun& r) { return units(r.day2_default.value_micros); }},
      {{"welfare_change", "day-2 welfare, learned - default (units)"},
       [units](const LearningRun& r) {
         return units(r.day2_learned.value_micros - r.day2_default.value_micros);
       }},
      {{"welfare_change_pct", "the same, percent"},
       [pct](const LearningRun& r) {
         return pct(double(r.day2_learned.value_micros), double(r.day2_default.value_micros));
       }},
  };
  std::vector<LearningStat> out;
  for (const auto& [names, get] : defs) {
    LearningStat stat{.name = names.first, .description = names.second};
    for (const LearningRun& r : runs) stat.per_seed.push_back(get(r));
    stat.ci = MeanCi(stat.per_seed);
    out.push_back(std::move(stat));
  }
  return out;
}

absl::Status WriteLearningReport(const std::string& dir, const std::vector<uint64_t>& seeds,
                                 const std::vector<LearningRun>& runs) {
  const std::vector<LearningStat> stats = LearningStats(runs);
  std::string per_seed = "seed";
  for (const LearningStat& s : stats) absl::StrAppend(&per_seed, ",", s.name);
  per_seed += "\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    absl::StrAppend(&per_seed, seeds[i]);
    for (const LearningStat& s : stats)
      absl::StrAppend(&per_seed, absl::StrFormat(",%.6f", s.per_seed[i]));
    per_seed += "\n";
  }
  std::string summary = "metric,n,mean,ci95_low,ci95_high,description\n";
  for (const LearningStat& s : stats) {
    const bool ci = s.ci.n > 1;
    absl::StrAppend(&summary, s.name, ",", s.ci.n, absl::StrFormat(",%.6f,", s.ci.mean),
                    ci ? absl::StrFormat("%.6f", s.ci.low()) : "", ",",
                    ci ? absl::StrFormat("%.6f", s.ci.high()) : "", ",\"", s.description, "\"\n");
  }
  const fs::path root(dir);
  if (absl::Status st = WriteFile(root / "learning.csv", per_seed); !st.ok()) return st;
  return WriteFile(root / "learning_summary.csv", summary);
}

std::string LearningSummary(const std::vector<LearningRun>& runs) {
  const std::vector<LearningStat> stats = LearningStats(runs);
  std::string out = runs.size() > 1 ? absl::StrCat("mean +- 95% CI half-width over ", runs.size(),
                                                   " seeds (t distribution)\n")
                                    : std::string("one seed: no confidence interval\n");
  for (const LearningStat& s : stats) {
    // Counts as integers (a mean over seeds with one decimal), the rest with four decimals.
    const bool count = s.name == "day2_impressions" || s.name == "shopper_clicks_default" ||
                       s.name == "shopper_clicks_change";
    const int d = count ? (s.ci.n > 1 ? 1 : 0) : 4;
    absl::StrAppend(&out, absl::StrFormat("%-30s %14.*f", s.name, d, s.ci.mean),
                    s.ci.n > 1 ? absl::StrFormat(" +- %.*f", d, s.ci.half_width) : "", "\n");
  }
  auto mean = [&stats](absl::string_view name) {
    for (const LearningStat& s : stats) {
      if (s.name == name) return s.ci.mean;
    }
    return 0.0;
  };
  auto verdict = [](bool met) { return met ? "MET" : "NOT MET"; };
  absl::StrAppend(
      &out, "goals (means over seeds; docs/simulator.md):\n",
      absl::StrFormat("  learned NE within 3%% of truth NE: %+.2f%%  %s\n",
                      mean("ne_learned_over_truth_pct"),
                      verdict(mean("ne_learned_over_truth_pct") <= 3)),
      absl::StrFormat("  learned NE >= 10%% better than default: %.2f%%  %s\n",
                      mean("ne_learned_vs_default_pct"),
                      verdict(mean("ne_learned_vs_default_pct") >= 10)),
      absl::StrFormat("  learned calibration within +-5%%: %.4f  %s\n", mean("calibration_learned"),
                      verdict(std::abs(mean("calibration_learned") - 1) <= 0.05)));
  return out;
}

}  // namespace gavel::sim
