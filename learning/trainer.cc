#include "learning/trainer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gavel::learning {
namespace {

using targeting::CtrModel;

// Coordinate 0 is the bias: bucket 0 belongs to table 0, which no feature template uses.
constexpr uint32_t kBias = 0;

Feature SlotFeature(int32_t slot) { return {"slot", absl::StrCat(slot), ""}; }

}  // namespace

absl::Status ValidateTrainOptions(const TrainOptions& o) {
  if (absl::Status st = ValidateFtrlOptions(o.ftrl); !st.ok()) return st;
  if (o.hash_bits < 8 || o.hash_bits > 20) {
    return absl::InvalidArgumentError(absl::StrCat("hash_bits must be in [8, 20], got ", o.hash_bits));
  }
  if (!(o.baseline_ctr > 0 && o.baseline_ctr < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("baseline_ctr must be in (0, 1), got ", o.baseline_ctr));
  }
  if (o.epochs < 1 || o.epochs > 100) {
    return absl::InvalidArgumentError(absl::StrCat("epochs must be in [1, 100], got ", o.epochs));
  }
  if (!(o.holdout_fraction >= 0 && o.holdout_fraction <= 0.9)) {
    return absl::InvalidArgumentError(
        absl::StrCat("holdout_fraction must be in [0, 0.9], got ", o.holdout_fraction));
  }
  return absl::OkStatus();
}

namespace {

// The examples as lists of coordinates (bias, features, slot) in one flat array, and one feature
// that names each coordinate (the first seen), for writing the file.
struct Encoded {
  std::vector<uint32_t> coords;
  std::vector<size_t> begin;  // example i: coords[begin[i], begin[i + 1])
  absl::flat_hash_map<uint32_t, Feature> names;
};

Encoded Encode(absl::Span<const Example> examples, int hash_bits) {
  Encoded e;
  e.begin.reserve(examples.size() + 1);
  e.coords.reserve(examples.size() * 10);
  auto add = [&](const Feature& f) {
    // Examples come from LogJoiner, which refused unknown templates.
    const uint32_t c =
        static_cast<uint32_t>(CtrModel::BucketOf(hash_bits, *CtrModel::KeyOf(f)));
    e.coords.push_back(c);
    e.names.try_emplace(c, f);  // the first name seen names the coordinate
  };
  for (const Example& ex : examples) {
    e.begin.push_back(e.coords.size());
    e.coords.push_back(kBias);
    for (const Feature& f : ex.features) add(f);
    add(SlotFeature(ex.slot));
  }
  e.begin.push_back(e.coords.size());
  return e;
}

std::string ModelText(const Ftrl& ftrl, const Encoded& e, const TrainOptions& o,
                      int64_t train_examples, int64_t* weights) {
  // Sorted by template, values: the same examples give the same bytes.
  std::map<std::tuple<std::string, std::string, std::string>, double> lines;
  for (const auto& [c, f] : e.names) {
    const double w = ftrl.weight(c);
    if (w != 0) lines[{f.name, f.value1, f.value2}] = w;
  }
  *weights = static_cast<int64_t>(lines.size());
  std::string out = absl::StrFormat(
      "# Trained by gavel_train: FTRL-Proximal on %d examples, %d epoch(s), alpha %g beta %g l1 %g "
      "l2 %g.\n# Predictions are made at slot 1, the reference slot (docs/learning.md).\n"
      "gavel-ctr-model v1\nhash_bits %d\nbaseline_ctr %.9g\nbias %.9g\n",
      train_examples, o.epochs, o.ftrl.alpha, o.ftrl.beta, o.ftrl.l1, o.ftrl.l2, o.hash_bits,
      o.baseline_ctr, ftrl.weight(kBias));
  for (const auto& [key, w] : lines) {
    const auto& [name, v1, v2] = key;
    absl::StrAppend(&out, name, " ", v1, v2.empty() ? "" : " ", v2, absl::StrFormat(" %.9g\n", w));
  }
  return out;
}

Metrics EvaluateOn(const CtrModel& model, absl::Span<const Example> examples, double background) {
  const std::vector<double> p = Predict(model, examples);
  std::unique_ptr<bool[]> labels(new bool[examples.size()]);
  for (size_t i = 0; i < examples.size(); ++i) labels[i] = examples[i].clicked;
  return Evaluate(p, absl::MakeConstSpan(labels.get(), examples.size()), background);
}

}  // namespace

std::vector<double> Predict(const CtrModel& model, absl::Span<const Example> examples) {
  std::vector<double> out;
  out.reserve(examples.size());
  std::vector<Feature> features;
  for (const Example& ex : examples) {
    features = ex.features;
    features.push_back(SlotFeature(ex.slot));
    out.push_back(CtrModel::Sigmoid(model.Logit(features).value_or(model.bias())));
  }
  return out;
}

absl::StatusOr<TrainReport> Train(absl::Span<const Example> examples, const TrainOptions& o,
                                  const CtrModel* reference) {
  if (absl::Status st = ValidateTrainOptions(o); !st.ok()) return st;
  const size_t holdout = static_cast<size_t>(std::floor(o.holdout_fraction * examples.size()));
  const absl::Span<const Example> train = examples.subspan(0, examples.size() - holdout);
  const absl::Span<const Example> test = examples.subspan(examples.size() - holdout);
  if (train.empty()) return absl::InvalidArgumentError("no examples to train on");
  TrainReport report;
  report.train_examples = static_cast<int64_t>(train.size());
  report.holdout_examples = static_cast<int64_t>(test.size());
  int64_t clicks = 0;
  for (const Example& ex : train) clicks += ex.clicked;
  report.background_ctr = static_cast<double>(clicks) / static_cast<double>(train.size());

  const Encoded e = Encode(train, o.hash_bits);
  Ftrl ftrl(size_t{CtrModel::kTemplates} << o.hash_bits, o.ftrl);
  std::vector<double> progressive(train.size());
  std::unique_ptr<bool[]> labels(new bool[train.size()]);
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    for (size_t i = 0; i < train.size(); ++i) {
      const absl::Span<const uint32_t> x(e.coords.data() + e.begin[i], e.begin[i + 1] - e.begin[i]);
      const double p = ftrl.Update(x, train[i].clicked);
      if (epoch == 0) {
        progressive[i] = p;
        labels[i] = train[i].clicked;
      }
    }
  }
  report.progressive = Evaluate(progressive, absl::MakeConstSpan(labels.get(), train.size()),
                                report.background_ctr);
  report.model_text = ModelText(ftrl, e, o, report.train_examples, &report.weights);
  // The holdout is scored by the model as the server will read it (float weights, hashing).
  absl::StatusOr<std::shared_ptr<const CtrModel>> learned = CtrModel::Parse(report.model_text);
  if (!learned.ok()) return learned.status();  // a weight out of float range: refuse to write it
  report.holdout = EvaluateOn(**learned, test, report.background_ctr);
  if (reference != nullptr) {
    report.holdout_reference = EvaluateOn(*reference, test, report.background_ctr);
  }
  return report;
}

}  // namespace gavel::learning
