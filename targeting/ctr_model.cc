#include "targeting/ctr_model.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gavel::targeting {
namespace {

struct Template {
  absl::string_view name;
  CtrFeature feature;
  int arity;
};
constexpr Template kFeatureTemplates[] = {
    {"placement", CtrFeature::kPlacement, 1},
    {"device", CtrFeature::kDevice, 1},
    {"slot", CtrFeature::kSlot, 1},
    {"match", CtrFeature::kMatch, 1},
    {"category", CtrFeature::kCategory, 1},
    {"query_token_x_category", CtrFeature::kQueryTokenXCategory, 2},
    {"segment_x_campaign", CtrFeature::kSegmentXCampaign, 2},
};

// Generic weights: the shape of public sponsored-products CTRs (top of search and exact matches
// click best), not fitted to any data.
constexpr absl::string_view kDefaultModel = R"(gavel-ctr-model v1
hash_bits 16
baseline_ctr 0.02
bias -4.1
placement top_of_search 0.6
placement rest_of_search 0.1
placement product_page -0.1
placement category_page -0.2
placement home_page -0.4
placement checkout -0.3
device mobile_app 0.15
device mobile_web -0.05
device tablet 0.0
match exact 0.9
match phrase 0.5
match broad 0.2
match product 0.6
match category 0.0
match close_match 0.4
match loose_match -0.1
match substitutes 0.1
match complements -0.2
)";

}  // namespace

uint64_t CtrModel::Hash(absl::string_view value) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (char c : value) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}

absl::StatusOr<std::shared_ptr<const CtrModel>> CtrModel::Parse(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  std::shared_ptr<CtrModel> model;
  int hash_bits = 18;
  double baseline = 0.02;
  bool header = false;
  int line_no = 0;
  for (absl::string_view line : lines) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("model line ", line_no, ": ", what));
    };
    if (!header) {
      if (f.size() != 2 || f[0] != "gavel-ctr-model" || f[1] != "v1") {
        return error("expected header \"gavel-ctr-model v1\"");
      }
      header = true;
      continue;
    }
    double value;
    if (!absl::SimpleAtod(f.back(), &value) || !std::isfinite(value)) {
      return error(absl::StrCat("bad number \"", f.back(), "\""));
    }
    if (f[0] == "hash_bits" || f[0] == "baseline_ctr") {
      if (model != nullptr) return error(absl::StrCat(f[0], " must come before any weight"));
      if (f.size() != 2) return error(absl::StrCat(f[0], " takes one value"));
      if (f[0] == "hash_bits") {
        if (value < 8 || value > 20 || value != static_cast<int>(value)) {
          return error(absl::StrCat("hash_bits must be an integer in [8, 20], got ", f[1]));
        }
        hash_bits = static_cast<int>(value);
      } else {
        if (!(value > 0 && value < 1)) {
          return error(absl::StrCat("baseline_ctr must be in (0, 1), got ", f[1]));
        }
        baseline = value;
      }
      continue;
    }
    if (model == nullptr) {
      model.reset(new CtrModel(hash_bits));
      model->baseline_ctr_ = baseline;
    }
    if (f[0] == "bias") {
      if (f.size() != 2) return error("bias takes one value");
      model->bias_ = value;
      continue;
    }
    const Template* t = nullptr;
    for (const Template& c : kFeatureTemplates) {
      if (c.name == f[0]) t = &c;
    }
    if (t == nullptr) return error(absl::StrCat("unknown feature \"", f[0], "\""));
    if (static_cast<int>(f.size()) != t->arity + 2) {
      return error(absl::StrCat(f[0], " takes ", t->arity, " value(s) and a weight"));
    }
    const uint64_t h2 = t->arity == 2 ? Hash(f[2]) : 0;
    model->weights_[model->Bucket(t->feature, Hash(f[1]), h2)] += static_cast<float>(value);
  }
  if (!header) return absl::InvalidArgumentError("model: empty, expected \"gavel-ctr-model v1\"");
  if (model == nullptr) {
    model.reset(new CtrModel(hash_bits));
    model->baseline_ctr_ = baseline;
  }
  model->ComputeMaxWeights();
  model->version_ = absl::StrFormat("%016x", Hash(text));
  return std::shared_ptr<const CtrModel>(std::move(model));
}

absl::StatusOr<CtrModel::Key> CtrModel::KeyOf(const NamedFeature& f) {
  const Template* t = nullptr;
  for (const Template& c : kFeatureTemplates) {
    if (c.name == f.name) t = &c;
  }
  if (t == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown feature \"", f.name, "\""));
  if ((t->arity == 2) != !f.value2.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(f.name, " takes ", t->arity, " value(s)"));
  }
  return Key{t->feature, Hash(f.value1), t->arity == 2 ? Hash(f.value2) : 0};
}

absl::StatusOr<double> CtrModel::Logit(absl::Span<const NamedFeature> features) const {
  double logit = bias_;
  for (const NamedFeature& f : features) {
    absl::StatusOr<Key> key = KeyOf(f);
    if (!key.ok()) return key.status();
    logit += weights_[BucketOf(hash_bits_, *key)];
  }
  return logit;
}

void CtrModel::ComputeMaxWeights() {
  const size_t size = size_t{1} << hash_bits_;
  for (int t = 0; t < kTemplates; ++t) {
    max_weight_[t] =
        *std::max_element(weights_.begin() + t * size, weights_.begin() + (t + 1) * size);
  }
}

absl::StatusOr<std::shared_ptr<const CtrModel>> CtrModel::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("model file ", path, ": cannot open"));
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str());
}

std::shared_ptr<const CtrModel> CtrModel::Default() {
  static const auto* const kModel = new std::shared_ptr<const CtrModel>(*Parse(kDefaultModel));
  return *kModel;
}

}  // namespace gavel::targeting
