#include "bench/legacy_normalize.h"

#include "absl/strings/str_cat.h"

namespace gavel::bench::legacy {
namespace {

// Folding of U+00C0..U+017F to lowercase ASCII. Empty = separator (×, ÷); "'" = dropped.
// Built from the Unicode names of the letters (LATIN CAPITAL/SMALL LETTER X WITH ...).
constexpr const char* kLatin1[64] = {
    // U+00C0 .. U+00FF
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",   //
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",  //
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",   //
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};
// U+0100 .. U+017F, Latin Extended-A.
constexpr const char* kLatinExtA[128] = {
    "a", "a", "a",  "a",  "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    "d", "d", "e",  "e",  "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    "g", "g", "g",  "g",  "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    "l", "l", "l",  "n",  "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    "s", "s", "t",  "t",  "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    "u", "u", "u",  "u",  "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s"};

// Decodes one code point at text[i]; returns its length, or 0 for invalid UTF-8.
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

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool EndsWith(absl::string_view s, absl::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string TokenizedText::Joined() const {
  std::string out;
  for (size_t i = 0; i < size(); ++i) {
    if (i > 0) out.push_back(' ');
    absl::StrAppend(&out, token(i));
  }
  return out;
}

namespace {

// Length of `t` after FoldPlural; *to_y when the last kept byte must become 'y' (-ies -> -y).
size_t FoldedLength(absl::string_view t, bool* to_y) {
  *to_y = false;
  if (t.size() < 4) return t.size();
  for (char c : t) {
    if (IsDigit(c)) return t.size();
  }
  if (t.size() >= 5 && EndsWith(t, "ies")) {
    *to_y = true;
    return t.size() - 2;
  }
  if (EndsWith(t, "sses")) return t.size() - 2;
  if (EndsWith(t, "xes") || EndsWith(t, "zes") || EndsWith(t, "ches") || EndsWith(t, "shes")) {
    return t.size() - 2;
  }
  if (EndsWith(t, "s") && !EndsWith(t, "ss") && !EndsWith(t, "us") && !EndsWith(t, "is")) {
    return t.size() - 1;
  }
  return t.size();
}

}  // namespace

std::string FoldPlural(absl::string_view t) {
  bool to_y;
  std::string out(t.substr(0, FoldedLength(t, &to_y)));
  if (to_y) out.back() = 'y';
  return out;
}

absl::Status NormalizeText(absl::string_view text, absl::string_view field,
                           const NormalizeLimits& limits, TokenizedText* out) {
  out->Clear();
  if (text.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be at most ", limits.max_bytes, " bytes, got ", text.size()));
  }
  std::string& buf = out->buf_;
  size_t token_start = 0;
  size_t tokens = 0;
  auto end_token = [&]() {
    if (buf.size() > token_start) {
      ++tokens;
      if (tokens <= limits.max_tokens) {
        bool to_y;
        const size_t len = FoldedLength(absl::string_view(buf).substr(token_start), &to_y);
        buf.resize(token_start + len);
        if (to_y) buf.back() = 'y';
        out->spans_.emplace_back(static_cast<uint32_t>(token_start), static_cast<uint32_t>(len));
      } else {
        buf.resize(token_start);
      }
    }
    token_start = buf.size();
  };
  for (size_t i = 0; i < text.size();) {
    uint32_t cp;
    const int len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      out->Clear();
      return absl::InvalidArgumentError(absl::StrCat(field, ": invalid UTF-8 at byte ", i));
    }
    if (cp < 0x80) {
      const char c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z') {
        buf.push_back(static_cast<char>(c - 'A' + 'a'));
      } else if ((c >= 'a' && c <= 'z') || IsDigit(c)) {
        buf.push_back(c);
      } else if (c == '\'' && buf.size() > token_start) {
        // Apostrophe inside a word is dropped: "men's" -> "mens".
      } else {
        end_token();
      }
    } else if (cp == 0x2019 && buf.size() > token_start) {
      // Right single quotation mark used as an apostrophe.
    } else if (cp >= 0xC0 && cp <= 0xFF) {
      const char* f = kLatin1[cp - 0xC0];
      if (*f == '\0') {
        end_token();
      } else {
        buf += f;
      }
    } else if (cp >= 0x100 && cp <= 0x17F) {
      buf += kLatinExtA[cp - 0x100];
    } else if (cp < 0xC0 || (cp >= 0x2000 && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF) {
      // C1 controls, Latin-1 punctuation and symbols, General Punctuation, ideographic space, BOM.
      end_token();
    } else {
      buf.append(text.data() + i, len);  // other scripts: kept as is
    }
    i += len;
  }
  end_token();
  if (tokens > limits.max_tokens) {
    out->Clear();
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must have at most ", limits.max_tokens, " tokens, got ", tokens));
  }
  return absl::OkStatus();
}

}  // namespace gavel::bench::legacy
