// The hand-written normaliser targeting/ used before ICU (commit 40fab5a), kept only so that
// bench/targeting_bench times it against the ICU one in the same run. Not used for matching.
//
//   TokenizedText t;
//   absl::Status s = NormalizeText("Men's Running-Shoes", "query", {}, &t);
//   // t.size() == 3: "men", "running", "shoe"
//
// Rules (docs/targeting.md, "Normalisation"): strict UTF-8 decoding; lowercasing and accent folding
// for ASCII, Latin-1 Supplement and Latin Extended-A (é->e, ß->ss, æ->ae, ł->l); apostrophes
// dropped inside words; every other ASCII/Latin-1/General-Punctuation symbol, whitespace and
// control character splits tokens; other scripts pass through unchanged (no case folding: out of
// scope); then FoldPlural on every token.
//
// Thread safety: pure functions.
#ifndef GAVEL_BENCH_LEGACY_NORMALIZE_H_
#define GAVEL_BENCH_LEGACY_NORMALIZE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gavel::bench::legacy {

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
  friend absl::Status NormalizeText(absl::string_view, absl::string_view, const NormalizeLimits&,
                                    TokenizedText*);
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

// The close-variant plural rule, applied to one lowercased token, once (not to a fixed point).
// Tokens shorter than 4 bytes or containing a digit are kept. Otherwise, first rule that applies:
//   -ies  -> -y    when the token has >= 5 bytes   (batteries -> battery; ties -> tie by rule 4)
//   -sses -> -ss                                   (dresses -> dress)
//   -xes, -zes, -ches, -shes -> drop "es"          (boxes -> box, watches -> watch)
//   -s    -> drop, unless the token ends in -ss, -us or -is   (shoes -> shoe; glass, cactus kept)
// Returns the folded token (a prefix of `token`, or a new string for -ies).
std::string FoldPlural(absl::string_view token);

}  // namespace gavel::bench::legacy

#endif  // GAVEL_BENCH_LEGACY_NORMALIZE_H_
