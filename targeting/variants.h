// Close variants of one normalised token, beyond what NormalizeText already folds (case, accents,
// compatibility forms): the singular forms an English plural may stand for, and the Snowball stem
// broad match compares. Which match types accept which variant: docs/targeting.md, "Close
// variants".
//
//   std::vector<std::string> singulars;
//   PluralSingulars("batteries", &singulars);    // {"battery", "batterie", "batteri"}
//   Stemmer english;                             // Snowball "english"
//   absl::string_view stem = english.Stem("running");  // "run"
//
// Thread safety: PluralSingulars is a pure function; a Stemmer is not thread-safe (one per thread
// or per builder).
#ifndef GAVEL_TARGETING_VARIANTS_H_
#define GAVEL_TARGETING_VARIANTS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

struct sb_stemmer;

namespace gavel::targeting {

// The singular forms `token` may be the English plural of, most likely first, in `out` (cleared).
// None for tokens shorter than 4 bytes, with anything but ASCII letters, ending in -ss, -us or
// -is, or in the invariant list (news, series, species, lens, glasses, shorts, pants, ...: words
// that end in -s and are not the plural of the word without it). Otherwise, in this order:
//   -ies -> -y (5+ bytes)     batteries -> battery
//   -ves -> -f, -fe           shelves -> shelf, knives -> knife
//   -s   -> drop              shoes -> shoe, cookies -> cookie, houses -> house
//   -es  -> drop              boxes -> box, lenses -> lens, watches -> watch
// The index uses them in two ways: a plural joins a singular the catalog already has, and a word
// the catalog has is also reached by each of its possible singulars (lens -> lenses). Two catalog
// words merge only when one is a possible singular of the other.
void PluralSingulars(absl::string_view token, std::vector<std::string>* out);

// A Snowball stemmer for one language (a libstemmer algorithm name such as "english", "russian",
// "german"). Tokens containing a digit are their own stem.
class Stemmer {
 public:
  // The catalog's default language.
  static constexpr absl::string_view kDefaultLanguage = "english";

  // `language` must be one of Snowball's algorithms (IsKnownLanguage); an unknown one stems
  // nothing.
  explicit Stemmer(absl::string_view language = kDefaultLanguage);
  ~Stemmer();
  Stemmer(const Stemmer&) = delete;
  Stemmer& operator=(const Stemmer&) = delete;

  // The stem of `token`; the view is valid until the next call.
  absl::string_view Stem(absl::string_view token);

  const std::string& language() const { return language_; }

  static bool IsKnownLanguage(absl::string_view language);

 private:
  std::string language_;
  sb_stemmer* stemmer_;  // owned; null for an unknown language
};

// Typo tolerance: the catalog's keyword words in a deletion index (SymSpell: every word is stored
// under the strings obtained by deleting up to k of its characters; a misspelling within k edits
// shares one of them), so finding the words near a token costs a few hash lookups, not a scan.
//
//   TypoIndex typos;
//   typos.Add("sneakers", 7);  ... typos.Finish();
//   typos.Find("snaekers", &scratch);   // 7: one transposition
//
// Distance: optimal string alignment (insertion, deletion, substitution, adjacent transposition)
// on code points. A word of 5-8 code points tolerates 1 edit, 9-24 tolerate 2 (AllowedEdits);
// shorter or longer words, and tokens containing a digit (model numbers: ps4/ps5), are never
// matched by typo. Thread safety: immutable after Finish; Find is const (scratch per thread).
class TypoIndex {
 public:
  struct Scratch {
    std::u32string token, edited;
    std::vector<uint64_t> deletes;
    std::vector<uint32_t> seen;
    std::vector<int> row0, row1, row2;
  };

  // 0, 1 or 2: the edits a word of `chars` code points tolerates.
  static int AllowedEdits(size_t chars) { return chars > 24 ? 0 : chars >= 9 ? 2 : chars >= 5; }

  // Adds `word` (a normalised token) for `id`. Ineligible words are ignored; adding one word twice
  // is allowed (the first id is kept).
  void Add(absl::string_view word, int32_t id);
  // Builds the lookup lists; call once after the last Add.
  void Finish();

  // The id of the nearest word within that word's allowed edits (ties: the lower id), or -1.
  int32_t Find(absl::string_view token, Scratch* scratch) const;

  size_t size() const { return words_.size(); }
  size_t Bytes() const;

 private:
  std::vector<std::u32string> words_;
  std::vector<int32_t> ids_;
  absl::flat_hash_map<uint64_t, std::pair<uint32_t, uint32_t>> ranges_;  // delete hash -> items
  std::vector<uint32_t> items_;                                          // word positions
  std::vector<std::pair<uint64_t, uint32_t>> pending_;                   // until Finish
  absl::flat_hash_map<std::u32string, uint32_t> positions_;              // until Finish
};

}  // namespace gavel::targeting

#endif  // GAVEL_TARGETING_VARIANTS_H_
