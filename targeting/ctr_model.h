// Predicted click-through rate: logistic regression over hashed features, with weights read from a
// small text file (format in docs/targeting.md, "CTR model"; example: data/default_model.txt).
//
//   absl::StatusOr<std::shared_ptr<const CtrModel>> m =
//   CtrModel::LoadFile("data/default_model.txt"); double logit = (*m)->bias() +
//   (*m)->Weight(CtrFeature::kPlacement, CtrModel::Hash("top_of_search")); double p =
//   CtrModel::Sigmoid(logit);
//
// A feature is a template plus one or two string values; it is hashed (stable FNV-1a, not
// absl::Hash) into one of 2^hash_bits buckets of its template's own table, so file and runtime
// agree, collisions add, and MaxWeight(template) bounds every lookup of that template.
//
// Thread safety: immutable after construction; share freely.
#ifndef GAVEL_TARGETING_CTR_MODEL_H_
#define GAVEL_TARGETING_CTR_MODEL_H_

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace gavel::targeting {

// Feature templates; the file names them in lower case (placement, device, ...).
enum class CtrFeature : uint8_t {
  kPlacement = 1,        // placement <top_of_search|rest_of_search|product_page|...>
  kDevice,               // device <desktop|mobile_web|mobile_app|tablet>
  kSlot,                 // slot <1..40>
  kMatch,                // match <exact|phrase|broad|product|category|close_match|...>
  kCategory,             // category <ad's product category id>
  kQueryTokenXCategory,  // query_token_x_category <normalised token> <category id>
  kSegmentXCampaign,     // segment_x_campaign <segment> <campaign id>
};

// A feature as the model file names it: template name ("placement", "query_token_x_category", ...)
// and its one or two values (value2 empty for one-value templates).
struct NamedFeature {
  std::string name, value1, value2;
  bool operator==(const NamedFeature& o) const {
    return name == o.name && value1 == o.value1 && value2 == o.value2;
  }
};

class CtrModel {
 public:
  // Parses the text format. INVALID_ARGUMENT naming the line: "model line 3: unknown feature
  // \"foo\"", bad numbers, wrong arity, missing "gavel-ctr-model v1" header.
  static absl::StatusOr<std::shared_ptr<const CtrModel>> Parse(absl::string_view text);
  // Reads and parses a file. NOT_FOUND if it cannot be opened; Parse's errors otherwise.
  static absl::StatusOr<std::shared_ptr<const CtrModel>> LoadFile(const std::string& path);
  // The built-in model (the same weights as data/default_model.txt's generic part).
  static std::shared_ptr<const CtrModel> Default();

  // A named feature's template and value hashes, as the file and Weight() take them.
  // INVALID_ARGUMENT for an unknown template name or the wrong number of values.
  struct Key {
    CtrFeature feature;
    uint64_t h1, h2;
  };
  static absl::StatusOr<Key> KeyOf(const NamedFeature& f);
  // The index a model of `hash_bits` stores `key`'s weight at, in [0, kTemplates << hash_bits):
  // features with the same index share one weight (the hashing trick). For trainers.
  static size_t BucketOf(int hash_bits, const Key& key) {
    const uint64_t f = static_cast<uint64_t>(key.feature);
    uint64_t h = (key.h1 ^ (f * 0x9E3779B97F4A7C15ULL)) * 0xFF51AFD7ED558CCDULL;
    h = (h ^ (h >> 29) ^ key.h2) * 0xC4CEB9FE1A85EC53ULL;
    return (static_cast<size_t>(f) << hash_bits) | static_cast<size_t>(h >> (64 - hash_bits));
  }
  static constexpr int kTemplates = 8;  // CtrFeature values 1..7; table 0 unused

  // Stable 64-bit hash of a value (FNV-1a).
  static uint64_t Hash(absl::string_view value);
  static double Sigmoid(double logit) { return 1.0 / (1.0 + std::exp(-logit)); }

  // bias + the weights of `features`, each looked up as the file's line for it would be stored.
  // INVALID_ARGUMENT for an unknown template name or the wrong number of values.
  absl::StatusOr<double> Logit(absl::Span<const NamedFeature> features) const;

  // 16 hex digits naming the weights: the FNV-1a hash of the file's text (Default(): of the
  // built-in text). Two files differing in any byte, comments included, get different versions.
  const std::string& version() const { return version_; }
  double bias() const { return bias_; }
  // The CTR that dynamic bidding and quality compare against, in (0, 1).
  double baseline_ctr() const { return baseline_ctr_; }
  // Weight of a feature from its values' Hash()es (0 when absent).
  float Weight(CtrFeature f, uint64_t h1, uint64_t h2 = 0) const {
    return weights_[Bucket(f, h1, h2)];
  }
  // The largest weight any lookup of template `f` can return (>= 0: unused buckets hold 0).
  float MaxWeight(CtrFeature f) const { return max_weight_[static_cast<int>(f)]; }
  int hash_bits() const { return hash_bits_; }

 private:
  CtrModel(int hash_bits)
      : hash_bits_(hash_bits), weights_(size_t{kTemplates} << hash_bits), max_weight_{} {}
  size_t Bucket(CtrFeature f, uint64_t h1, uint64_t h2) const {
    return BucketOf(hash_bits_, {f, h1, h2});
  }
  void ComputeMaxWeights();

  int hash_bits_;
  std::string version_;
  double bias_ = 0;
  double baseline_ctr_ = 0.02;
  std::vector<float> weights_;  // kTemplates tables of 2^hash_bits
  float max_weight_[kTemplates];
};

}  // namespace gavel::targeting

#endif  // GAVEL_TARGETING_CTR_MODEL_H_
