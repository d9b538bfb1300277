#include "targeting/variants.h"

#include <libstemmer.h>

#include <string>

#include "absl/strings/match.h"

namespace gavel::targeting {
namespace {

// Words ending in -s that are not the plural of the word without it (or whose "singular" is a
// different product). Kept short on purpose: every entry is an over-folding bug fixed.
constexpr absl::string_view kInvariant[] = {
    "news",     "series",    "species",     "lens",      "glasses",    "shorts",
    "pants",    "means",     "goods",       "clothes",   "physics",    "electronics",
    "politics", "economics", "mathematics", "athletics", "gymnastics",
};

bool AllAsciiLetters(absl::string_view t) {
  for (char c : t) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

bool HasDigit(absl::string_view t) {
  for (char c : t) {
    if (c >= '0' && c <= '9') return true;
  }
  return false;
}

}  // namespace

void PluralSingulars(absl::string_view t, std::vector<std::string>* out) {
  out->clear();
  if (t.size() < 4 || !AllAsciiLetters(t) || t.back() != 's') return;
  if (absl::EndsWith(t, "ss") || absl::EndsWith(t, "us") || absl::EndsWith(t, "is")) return;
  for (absl::string_view w : kInvariant) {
    if (t == w) return;
  }
  const absl::string_view stem3 = t.substr(0, t.size() - 3);
  if (t.size() >= 5 && absl::EndsWith(t, "ies")) out->push_back(std::string(stem3) + "y");
  if (absl::EndsWith(t, "ves")) {
    out->push_back(std::string(stem3) + "f");
    out->push_back(std::string(stem3) + "fe");
  }
  out->emplace_back(t.substr(0, t.size() - 1));
  if (absl::EndsWith(t, "es")) out->emplace_back(t.substr(0, t.size() - 2));
}

Stemmer::Stemmer(absl::string_view language)
    : language_(language), stemmer_(sb_stemmer_new(language_.c_str(), nullptr)) {}

Stemmer::~Stemmer() { sb_stemmer_delete(stemmer_); }

absl::string_view Stemmer::Stem(absl::string_view token) {
  if (stemmer_ == nullptr || HasDigit(token)) return token;
  const sb_symbol* s = sb_stemmer_stem(stemmer_, reinterpret_cast<const sb_symbol*>(token.data()),
                                       static_cast<int>(token.size()));
  if (s == nullptr) return token;  // out of memory: no stem rather than a crash
  return absl::string_view(reinterpret_cast<const char*>(s), sb_stemmer_length(stemmer_));
}

bool Stemmer::IsKnownLanguage(absl::string_view language) {
  sb_stemmer* s = sb_stemmer_new(std::string(language).c_str(), nullptr);
  sb_stemmer_delete(s);
  return s != nullptr;
}

}  // namespace gavel::targeting
