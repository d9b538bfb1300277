#include "sim/truth_model.h"

#include <cmath>
#include <random>
#include <utility>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sim/scenario.h"

namespace gavel::sim {
namespace {

// A model line's key: every field but the weight ("match exact 0.3" -> "match exact").
std::string KeyOf(absl::string_view line) {
  std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (!f.empty()) f.pop_back();
  return absl::StrJoin(f, " ");
}

}  // namespace

const std::vector<std::string>& BuiltInTruthLines() {
  // Compared with data/default_model.txt: a higher bias, smaller placement and exact-match
  // effects, product and phrase matches click best, mobile_app far above mobile_web, and (added
  // per catalog category by BuildTruth) a category effect the default model has no weight for.
  static const auto* const kLines = new std::vector<std::string>{
      "bias -3.3",
      "placement top_of_search 0.3",
      "placement rest_of_search 0",
      "placement product_page -0.3",
      "placement category_page -0.4",
      "placement home_page -0.6",
      "placement checkout -0.5",
      "device desktop 0.1",
      "device mobile_app 0.5",
      "device mobile_web -0.4",
      "device tablet -0.2",
      "match exact 0.3",
      "match phrase 0.6",
      "match broad -0.2",
      "match product 1.0",
      "match category -0.6",
      "match close_match 0.2",
      "match loose_match -0.5",
      "match substitutes 0.4",
      "match complements -0.7",
  };
  return *kLines;
}

double TruthModel::ClickProbability(absl::Span<const targeting::NamedFeature> features,
                                    int slot) const {
  const double logit =
      model->Logit(features).value_or(model->bias()) +
      model->Weight(targeting::CtrFeature::kSlot, targeting::CtrModel::Hash(absl::StrCat(slot)));
  return targeting::CtrModel::Sigmoid(logit);
}

absl::StatusOr<TruthModel> BuildTruth(const Scenario& s, const catalog::Catalog& catalog) {
  std::vector<std::pair<std::string, std::string>> lines;  // key, line
  auto put = [&lines](std::string line) {
    std::string key = KeyOf(line);
    for (auto& [k, l] : lines) {
      if (k == key) {
        l = std::move(line);
        return;
      }
    }
    lines.emplace_back(std::move(key), std::move(line));
  };
  for (const std::string& line : BuiltInTruthLines()) put(line);
  // The position effect, explicit: the slot weight is the log of the examination probability.
  for (int slot = 0; slot < s.slots(); ++slot) {
    put(absl::StrFormat("slot %d %.6f", slot + 1, std::log(Examination(s.clicks(), slot))));
  }
  std::mt19937_64 gen(s.truth().seed());
  for (const catalog::Category& c : catalog.categories) {
    const double w = absl::Gaussian<double>(gen, 0, s.truth().category_sigma());
    put(absl::StrFormat("category %s %.6f", c.id, w));
  }
  for (int i = 0; i < s.truth().weights_size(); ++i) {
    const std::string& line = s.truth().weights(i);
    absl::StatusOr<std::shared_ptr<const targeting::CtrModel>> check =
        targeting::CtrModel::Parse(absl::StrCat("gavel-ctr-model v1\n", line, "\n"));
    if (!check.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("truth.weights[", i, "]: ", check.status().message()));
    }
    if (KeyOf(line).empty() || KeyOf(line) == "hash_bits" || KeyOf(line) == "baseline_ctr") {
      return absl::InvalidArgumentError(
          absl::StrCat("truth.weights[", i, "]: want a weight line, got \"", line, "\""));
    }
    put(line);
  }
  TruthModel truth;
  truth.text =
      "gavel-ctr-model v1\n# The simulator's ground truth (sim/truth_model.h)\nhash_bits 20\n";
  for (const auto& [key, line] : lines) absl::StrAppend(&truth.text, line, "\n");
  absl::StatusOr<std::shared_ptr<const targeting::CtrModel>> model =
      targeting::CtrModel::Parse(truth.text);
  if (!model.ok()) return model.status();
  truth.model = *std::move(model);
  return truth;
}

}  // namespace gavel::sim
