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

#include <string>
#include <vector>

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

}  // namespace gavel::targeting

#endif  // GAVEL_TARGETING_VARIANTS_H_
