// The catalog's size and value limits, one definition each. CatalogSnapshot::Build enforces them
// (INVALID_ARGUMENT naming the entity and field); the request validators reuse the id and bid
// limits, so a value the API accepts is one the catalog could hold. docs/api.md lists them.
#ifndef GAVEL_CATALOG_LIMITS_H_
#define GAVEL_CATALOG_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace gavel::catalog {

// Every id: 1-128 bytes of [A-Za-z0-9._:-].
inline constexpr size_t kMaxIdBytes = 128;
// The largest bid (any level) a catalog may hold: 1,000 currency units per click.
inline constexpr int64_t kMaxBidMicros = 1'000'000'000;
// A keyword (positive or negative) after normalisation.
inline constexpr size_t kMaxKeywordBytes = 256;
inline constexpr size_t kMaxKeywordTokens = 10;
// A product title.
inline constexpr size_t kMaxTitleBytes = 512;
inline constexpr size_t kMaxTitleTokens = 256;
// The synonyms table: entries, synonyms per entry, bytes per word.
inline constexpr size_t kMaxSynonymEntries = 10'000;
inline constexpr size_t kMaxSynonymsPerEntry = 16;
inline constexpr size_t kMaxSynonymBytes = 64;

}  // namespace gavel::catalog

#endif  // GAVEL_CATALOG_LIMITS_H_
