// The match index a CatalogSnapshot builds once per catalog version, so that a query touches only
// the postings of its own tokens. Built by CatalogSnapshot::Build; read by Retrieve. Layout and
// memory per ad: docs/targeting.md, "Index".
//
//   const TargetIndex& ix = snapshot.index();
//   int32_t tok = ix.TokenId("shoe");                       // -1 when no keyword or title has it
//   absl::Span<const Posting> p = ix.broad.Get(tok);      // broad keywords anchored on "shoe"
//
// Every posting list is sorted by `bid_bound` descending: retrieval stops scanning a list once
// no remaining posting can beat the candidates it already holds.
//
// Thread safety: immutable after build; read it from any thread.
#ifndef GAVEL_TARGETING_INDEX_H_
#define GAVEL_TARGETING_INDEX_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "targeting/variants.h"

namespace gavel::targeting {

// A target (keyword, product, category lists) or a product ad (automatic lists), with an upper
// bound of the bid it can reach after every adjustment, for early termination.
struct Posting {
  int32_t id;
  float bid_bound;
};

// Lists keyed by a dense int32 (token id, product index, category index), compressed-row layout.
template <typename T>
struct DenseLists {
  std::vector<uint32_t> offsets{0};  // size keys + 1
  std::vector<T> items;
  absl::Span<const T> Get(int32_t key) const {
    if (key < 0 || key + 1 >= static_cast<int32_t>(offsets.size())) return {};
    return absl::MakeConstSpan(items.data() + offsets[key], offsets[key + 1] - offsets[key]);
  }
  size_t Bytes() const { return offsets.capacity() * 4 + items.capacity() * sizeof(T); }
};

// Lists keyed by a 64-bit token-sequence hash (exact and phrase keywords, negatives).
struct HashedLists {
  absl::flat_hash_map<uint64_t, std::pair<uint32_t, uint32_t>> ranges;  // begin, end
  std::vector<Posting> items;
  absl::Span<const Posting> Get(uint64_t hash) const {
    auto it = ranges.find(hash);
    if (it == ranges.end()) return {};
    return absl::MakeConstSpan(items.data() + it->second.first,
                               it->second.second - it->second.first);
  }
  size_t Bytes() const {
    return ranges.capacity() * (sizeof(uint64_t) + 8 + 1) + items.capacity() * sizeof(Posting);
  }
};

// Hash of a token-id sequence (order-sensitive).
inline uint64_t HashTokenIds(const int32_t* ids, size_t n) {
  uint64_t h = 0x84222325CBF29CE4ULL ^ n;
  for (size_t i = 0; i < n; ++i) {
    h = (h ^ static_cast<uint32_t>(ids[i])) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 31;
  }
  return h;
}

// Shopper predicates with strings interned (segments, countries, regions share one id space).
struct CompiledPredicates {
  std::vector<int32_t> include_segments, exclude_segments, include_countries, exclude_countries,
      include_regions, exclude_regions;
  uint8_t include_devices = 0, exclude_devices = 0;  // bit per Device
  uint32_t include_hours = 0;                        // bit per hour; 0 = any hour
};

// A negative keyword: its owner, its position in the owner's list, and its distinct phrase
// (same tokens and match type across owners share one).
struct NegativeRef {
  bool campaign_level;
  int32_t owner;    // campaign or ad group index
  int32_t ordinal;  // index in the owner's negative_keywords
  int32_t phrase;   // key of negative_tokens and the Posting.id in negative_exact/phrase
};

struct TargetIndex {
  // Normalised token -> id. Plural variants share an id; a word's possible singulars are aliases
  // of it (docs/targeting.md, "Close variants"). Ids are dense: [0, token_stem.size()).
  absl::flat_hash_map<std::string, int32_t> tokens;
  int32_t TokenId(absl::string_view token) const {
    auto it = tokens.find(token);
    return it == tokens.end() ? -1 : it->second;
  }
  absl::flat_hash_map<std::string, int32_t> stems;  // Snowball stem -> stem id (broad match)
  int32_t StemId(absl::string_view stem) const {
    auto it = stems.find(stem);
    return it == stems.end() ? -1 : it->second;
  }
  std::vector<int32_t> token_stem;       // token id -> stem id
  DenseLists<int32_t> synonyms;          // stem id -> the stems a query word also matches (broad)
  TypoIndex typos;                       // positive keywords' words, for misspelt query tokens
  DenseLists<int32_t> target_tokens;     // keyword target -> its token ids, in order
  HashedLists exact, phrase;             // keyword token-sequence hash -> keyword targets
  HashedLists broad_sets;                // hash of sorted distinct stem ids -> broad keywords
  DenseLists<Posting> broad;             // rarest keyword stem -> broad keywords (long queries)
  DenseLists<Posting> product_targets;   // product index -> product targets
  DenseLists<Posting> category_targets;  // category index -> category targets
  DenseLists<Posting> auto_close;        // title token -> ads with close match on
  DenseLists<Posting> auto_loose;        // title token -> ads with loose match on
  DenseLists<Posting> substitutes;       // category -> ads (substitutes on) in that category
  DenseLists<Posting> complements;       // viewed category -> ads whose category lists it
  DenseLists<int32_t> product_tokens;    // product -> sorted distinct title token ids
  DenseLists<int32_t> ad_group_ads;      // ad group -> its serving ads
  std::vector<NegativeRef> negatives;
  DenseLists<int32_t> negative_tokens;                         // negative phrase -> token ids
  HashedLists negative_exact, negative_phrase;                 // Posting.id = negative phrase
  DenseLists<int32_t> campaign_negatives, ad_group_negatives;  // owner -> negatives indexes
  absl::flat_hash_map<std::string, int32_t> predicate_values;  // segment/country/region -> id
  std::vector<CompiledPredicates> predicates;
  std::vector<int32_t> campaign_predicates, ad_group_predicates;  // -1 = none
  std::vector<uint64_t> category_hash, campaign_hash;             // CtrModel::Hash of the ids

  size_t Bytes() const;
};

}  // namespace gavel::targeting

#endif  // GAVEL_TARGETING_INDEX_H_
