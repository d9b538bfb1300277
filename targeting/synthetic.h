// Synthetic catalogs and queries for benchmarks, load tests and the marketplace simulator:
// a three-level category tree, product titles built from word lists, Zipf-popular categories and
// keywords, bids drawn log-normally, some negatives, predicates and automatic targeting.
//
//   std::mt19937_64 rng(42);
//   Catalog c = GenerateCatalog({.num_ads = 100'000}, rng);
//   QuerySampler sampler(c);
//   Request r = sampler.Sample(rng);   // "red trail shoes", with page categories set
//
// Deterministic: the same options and the same generator state give the same catalog and queries,
// byte for byte (only absl::BitGenRef and absl's distributions are used).
// Thread safety: GenerateCatalog is a pure function; a QuerySampler is immutable after
// construction, Sample() is safe to call concurrently with distinct generators.
#ifndef GAVEL_TARGETING_SYNTHETIC_H_
#define GAVEL_TARGETING_SYNTHETIC_H_

#include <string>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "targeting/retrieve.h"
#include "targeting/snapshot.h"

namespace gavel::targeting {

struct SyntheticOptions {
  int num_ads = 10'000;
  int ads_per_ad_group = 4;        // mean; 1..2x-1
  int ad_groups_per_campaign = 5;  // mean
  int campaigns_per_advertiser = 3;
  int keywords_per_ad_group = 5;  // mean
  double zipf_exponent = 1.1;     // popularity of categories and keyword modifiers (> 1)
  double auto_targeting_fraction = 0.3;
  double negative_fraction = 0.2;
  double predicate_fraction = 0.1;
  double dynamic_bidding_fraction = 0.3;
};

// Returns a catalog that CatalogSnapshot::Build accepts. Ids: adv-N, cmp-N, grp-N, ad-N, tgt-N,
// prd-N, cat-N.
catalog::Catalog GenerateCatalog(const SyntheticOptions& options, absl::BitGenRef gen);

// A synonyms table over the generator's own single words (catalog::Synonym): about half of each
// department's nouns and qualifiers get 1-2 synonyms from the same list, half of them two-way.
// For benchmarks of broad match with synonyms on; GenerateCatalog leaves `synonyms` empty.
std::vector<catalog::Synonym> GenerateSynonyms(absl::BitGenRef gen);

// Samples search requests whose 2-4 token queries follow the catalog's category and keyword
// popularity (Zipf), so most of them hit keywords the way real traffic does.
class QuerySampler {
 public:
  // Reads `catalog`'s categories; does not keep a reference to it.
  explicit QuerySampler(const catalog::Catalog& catalog, double zipf_exponent = 1.1);
  Request Sample(absl::BitGenRef gen) const;

 private:
  struct Leaf {
    std::string id, qualifier, noun, department;
  };
  std::vector<Leaf> leaves_;  // in popularity order
  double zipf_exponent_;
};

}  // namespace gavel::targeting

#endif  // GAVEL_TARGETING_SYNTHETIC_H_
