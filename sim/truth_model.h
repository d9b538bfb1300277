// The hidden ground-truth click model of a scenario's shoppers (scenario.proto, GroundTruth): a
// logistic model in the server's own feature space (targeting/ctr_model.h), so a trainer can in
// principle learn it, with weights that differ from data/default_model.txt (docs/simulator.md,
// "Ground truth"): other match, device and bias weights, a weight per catalog category, and the
// slot weights log(examination[s]).
//
//   absl::StatusOr<TruthModel> truth = BuildTruth(scenario, catalog);
//   double p = truth->ClickProbability(features, /*slot=*/2);   // features from CtrFeatures()
//
// Immutable after construction; thread-safe.
#ifndef GAVEL_SIM_TRUTH_MODEL_H_
#define GAVEL_SIM_TRUTH_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "catalog/model.h"
#include "sim/scenario.pb.h"
#include "targeting/ctr_model.h"

namespace gavel::sim {

struct TruthModel {
  // The truth as a model file (what a perfect trainer would write), slot weights included.
  std::string text;
  std::shared_ptr<const targeting::CtrModel> model;

  // sigmoid(bias + the weights of `features` + the weight of `slot` (1-based)).
  double ClickProbability(absl::Span<const targeting::NamedFeature> features, int slot) const;
};

// The built-in truth's lines, before the scenario's truth.weights and the category weights.
const std::vector<std::string>& BuiltInTruthLines();

// Builds the truth of `s` (s.has_truth()) for `catalog`'s categories. INVALID_ARGUMENT naming the
// line for a bad truth.weights entry: "truth.weights[1]: model line 1: unknown feature \"foo\"".
absl::StatusOr<TruthModel> BuildTruth(const Scenario& s, const catalog::Catalog& catalog);

}  // namespace gavel::sim

#endif  // GAVEL_SIM_TRUTH_MODEL_H_
