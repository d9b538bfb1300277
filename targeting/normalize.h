// Text normalisation: turns a query, keyword or product title into the tokens every matcher
// compares. One function, so the index and the query always agree on what a token is.
//
//   TokenizedText t;
//   absl::Status s = NormalizeText("Men's Running-Shoes", "query", {}, &t);
//   // t.size() == 3: "mens", "running", "shoes"
//
// Rules (docs/targeting.md, "Normalisation"), all on ICU: strict UTF-8 decoding; Unicode
// NFKC_Casefold (every script); the accent-folding transform kAccentFoldTransform on Latin and
// Greek letters; ICU word breaking (UAX #29 plus ICU's dictionaries for CJK and Thai), keeping the
// segments that are words; apostrophes dropped inside words. Plurals, stems and typos are not
// folded here: they are close variants the index resolves per match type (targeting/variants.h).
//
// Thread safety: NormalizeText may be called from any number of threads; each thread keeps its own
// ICU word-break iterator (created on first use).
#ifndef GAVEL_TARGETING_NORMALIZE_H_
#define GAVEL_TARGETING_NORMALIZE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gavel::targeting {

// The ICU transform (a Transliterator ID) that folds accents. Its global filter limits it to Latin
// and Greek letters, so Cyrillic й/и, Japanese が/か or Devanagari vowel signs stay distinct.
// NormalizeText applies it through a per-code-point table computed from this very transform once
// per process (the transform itself costs ~8 us per call; the table a lookup).
inline constexpr char kAccentFoldTransform[] =
    "[[:Latin:][:Greek:]]; NFD; [:Nonspacing Mark:] Remove; NFC; Latin-ASCII";

struct NormalizeLimits {
  size_t max_bytes = 512;  // of the raw input
  size_t max_tokens = 32;  // after normalisation
};

// Normalised tokens stored in one buffer (no allocation per token once warmed up).
class TokenizedText {
 public:
  size_t size() const { return spans_.size(); }
  bool empty() const { return spans_.empty(); }
  absl::string_view token(size_t i) const {
    return absl::string_view(buf_).substr(spans_[i].first, spans_[i].second);
  }
  // Tokens joined by single spaces.
  std::string Joined() const;
  void Clear() {
    buf_.clear();
    spans_.clear();
  }

 private:
  friend class Normalizer;
  std::string buf_;
  std::vector<std::pair<uint32_t, uint32_t>> spans_;  // offset, length
};

// Normalises `text` into `out` (cleared first). Empty or all-separator text gives zero tokens and
// OK. Errors, all INVALID_ARGUMENT naming `field`:
//   "<field> must be at most 512 bytes, got 600"
//   "<field>: invalid UTF-8 at byte 7"          (overlong, surrogate, > U+10FFFF, truncated, stray)
//   "<field> must have at most 32 tokens, got 33"
absl::Status NormalizeText(absl::string_view text, absl::string_view field,
                           const NormalizeLimits& limits, TokenizedText* out);

}  // namespace gavel::targeting

#endif  // GAVEL_TARGETING_NORMALIZE_H_
