#include "targeting/normalize.h"

#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uniset.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace gavel::targeting {
namespace {

// Decodes one code point at text[i]; returns its length, or 0 for invalid UTF-8. ICU would
// replace bad bytes with U+FFFD; the contract is an error naming the byte, so decode strictly here.
int DecodeUtf8(absl::string_view text, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<uint8_t>(text[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  int len;
  uint32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, min = 0x80, *cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min = 0x800, *cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, *cp = b0 & 0x07;
  } else {
    return 0;  // stray continuation byte or 0xF8..0xFF
  }
  if (i + len > text.size()) return 0;  // truncated
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<uint8_t>(text[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;  // overlong etc.
  return len;
}

// OK, or the offset of the first invalid sequence; *ascii tells whether every byte is < 0x80.
absl::Status ValidateUtf8(absl::string_view text, absl::string_view field, bool* ascii) {
  *ascii = true;
  for (size_t i = 0; i < text.size();) {
    if (static_cast<uint8_t>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    *ascii = false;
    uint32_t cp;
    const int len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": invalid UTF-8 at byte ", i));
    }
    i += len;
  }
  return absl::OkStatus();
}

// kAccentFoldTransform applied to every Latin and Greek code point once: code point -> its folded
// form, for the code points it changes. The transform has no context rules on lowercase text, so
// folding code point by code point equals running it on the whole string (normalize_test checks).
using FoldTable = absl::flat_hash_map<UChar32, icu::UnicodeString>;

const FoldTable& AccentFoldTable() {
  static const FoldTable* const kTable = [] {
    auto* table = new FoldTable();
    UErrorCode err = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> t(icu::Transliterator::createInstance(
        icu::UnicodeString(kAccentFoldTransform, -1, US_INV), UTRANS_FORWARD, err));
    icu::UnicodeSet scripts(icu::UnicodeString("[[:Latin:][:Greek:]]", -1, US_INV), err);
    if (U_FAILURE(err)) return table;  // Normalizer reports the failure on use
    for (int32_t r = 0; r < scripts.getRangeCount(); ++r) {
      for (UChar32 cp = scripts.getRangeStart(r); cp <= scripts.getRangeEnd(r); ++cp) {
        icu::UnicodeString s(cp);
        t->transliterate(s);
        if (s != icu::UnicodeString(cp)) table->emplace(cp, s);
      }
    }
    return table;
  }();
  return *kTable;
}

}  // namespace

// One per thread: the ICU objects and buffers NormalizeText reuses.
class Normalizer {
 public:
  Normalizer() {
    UErrorCode err = U_ZERO_ERROR;
    nfkc_cf_ = icu::Normalizer2::getNFKCCasefoldInstance(err);
    const icu::BreakIterator* prototype = Prototype();
    if (prototype != nullptr) words_.reset(prototype->clone());
    if (U_FAILURE(err) || nfkc_cf_ == nullptr || words_ == nullptr || AccentFoldTable().empty()) {
      nfkc_cf_ = nullptr;
    }
  }

  static Normalizer& ForThisThread() {
    thread_local Normalizer n;
    return n;
  }

  absl::Status Run(absl::string_view text, absl::string_view field, const NormalizeLimits& limits,
                   TokenizedText* out) {
    out->Clear();
    if (text.size() > limits.max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " must be at most ", limits.max_bytes, " bytes, got ", text.size()));
    }
    bool ascii;
    if (auto st = ValidateUtf8(text, field, &ascii); !st.ok()) return st;
    if (nfkc_cf_ == nullptr) return absl::InternalError("ICU data could not be loaded");
    if (ascii) {
      FoldAscii(text);
    } else if (auto st = FoldUnicode(text); !st.ok()) {
      return st;
    }
    const size_t tokens = Segment(limits.max_tokens, out);
    if (tokens > limits.max_tokens) {
      out->Clear();
      return absl::InvalidArgumentError(
          absl::StrCat(field, " must have at most ", limits.max_tokens, " tokens, got ", tokens));
    }
    return absl::OkStatus();
  }

 private:
  // Creating a word-break iterator loads its rules and dictionaries (milliseconds); cloning the
  // prototype per thread does not.
  static const icu::BreakIterator* Prototype() {
    static const icu::BreakIterator* const kWords = [] {
      UErrorCode err = U_ZERO_ERROR;
      icu::BreakIterator* b = icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), err);
      return U_FAILURE(err) ? nullptr : b;
    }();
    return kWords;
  }

  // NFKC_Casefold of ASCII is ASCII lowercasing, and the accent transform leaves ASCII alone.
  void FoldAscii(absl::string_view text) {
    const auto n = static_cast<int32_t>(text.size());
    UChar* out = folded_.getBuffer(n);
    if (out == nullptr) return;  // out of memory: folded_ stays empty (no tokens), never a crash
    for (int32_t i = 0; i < n; ++i) {
      const char c = text[i];
      out[i] = static_cast<UChar>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    folded_.releaseBuffer(n);
  }

  absl::Status FoldUnicode(absl::string_view text) {
    UErrorCode err = U_ZERO_ERROR;
    input_ = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), text.size()));
    nfkc_cf_->normalize(input_, cased_, err);
    if (U_FAILURE(err)) return absl::InternalError(absl::StrCat("ICU: ", u_errorName(err)));
    const FoldTable& table = AccentFoldTable();
    folded_.remove();
    bool latin_or_greek = false;  // whether the last base letter was
    for (int32_t i = 0; i < cased_.length();) {
      const UChar32 cp = cased_.char32At(i);
      i += U16_LENGTH(cp);
      if (cp < 0x80) {
        folded_.append(cp);
        latin_or_greek = (cp >= 'a' && cp <= 'z');
        continue;
      }
      // A mark NFKC_Casefold leaves apart from its Latin or Greek letter (İ -> i + U+0307, or a
      // letter with no precomposed form) goes as the transform's NFD step would remove it.
      if (latin_or_greek && u_charType(cp) == U_NON_SPACING_MARK) continue;
      auto it = table.find(cp);
      if (it == table.end()) {
        folded_.append(cp);
        UErrorCode err = U_ZERO_ERROR;
        const UScriptCode script = uscript_getScript(cp, &err);
        latin_or_greek = script == USCRIPT_LATIN || script == USCRIPT_GREEK;
      } else {
        folded_.append(it->second);
        latin_or_greek = true;
      }
    }
    return absl::OkStatus();
  }

  // Appends the word segments of folded_ to `out` (at most max_tokens), apostrophes dropped.
  // Returns how many word segments there were.
  size_t Segment(size_t max_tokens, TokenizedText* out) {
    std::string& buf = out->buf_;
    size_t tokens = 0;
    words_->setText(folded_);
    int32_t start = words_->first();
    for (int32_t end = words_->next(); end != icu::BreakIterator::DONE;
         start = end, end = words_->next()) {
      if (words_->getRuleStatus() < UBRK_WORD_NONE_LIMIT) continue;  // spaces, punctuation
      const size_t token_start = buf.size();
      for (int32_t i = start; i < end; ++i) {
        const UChar c = folded_.charAt(i);
        if (c == u'\'' || c == u'\u2019') continue;  // "men's" -> "mens"
        if (c < 0x80) {
          buf.push_back(static_cast<char>(c));
        } else {
          const int32_t n = U16_IS_LEAD(c) && i + 1 < end ? 2 : 1;
          folded_.tempSubString(i, n).toUTF8String(buf);
          i += n - 1;
        }
      }
      if (buf.size() == token_start) continue;
      if (++tokens > max_tokens) {
        buf.resize(token_start);
        continue;
      }
      out->spans_.emplace_back(static_cast<uint32_t>(token_start),
                               static_cast<uint32_t>(buf.size() - token_start));
    }
    return tokens;
  }

  const icu::Normalizer2* nfkc_cf_ = nullptr;  // ICU singleton, not owned
  std::unique_ptr<icu::BreakIterator> words_;
  icu::UnicodeString input_, cased_, folded_;
};

std::string TokenizedText::Joined() const {
  std::string out;
  for (size_t i = 0; i < size(); ++i) {
    if (i > 0) out.push_back(' ');
    absl::StrAppend(&out, token(i));
  }
  return out;
}

absl::Status NormalizeText(absl::string_view text, absl::string_view field,
                           const NormalizeLimits& limits, TokenizedText* out) {
  return Normalizer::ForThisThread().Run(text, field, limits, out);
}

}  // namespace gavel::targeting
