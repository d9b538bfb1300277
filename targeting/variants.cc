#include "targeting/variants.h"

#include <libstemmer.h>

#include <algorithm>
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

namespace {

// UTF-8 (already validated by NormalizeText) to code points; false when `t` has a digit.
bool DecodeWord(absl::string_view t, std::u32string* out) {
  out->clear();
  for (size_t i = 0; i < t.size();) {
    const auto b = static_cast<uint8_t>(t[i]);
    if (b >= '0' && b <= '9') return false;
    const int len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? b : b & (0x3F >> (len - 1));
    for (int k = 1; k < len && i + k < t.size(); ++k) cp = (cp << 6) | (t[i + k] & 0x3F);
    out->push_back(cp);
    i += len;
  }
  return true;
}

uint64_t HashChars(const std::u32string& s) {
  uint64_t h = 0xCBF29CE484222325ULL ^ s.size();
  for (char32_t c : s) {
    h = (h ^ c) * 0x100000001B3ULL;
    h ^= h >> 29;
  }
  return h;
}

// Hashes of `word` with up to `k` characters deleted (the word itself included), deduplicated.
void Deletes(const std::u32string& word, int k, std::u32string* edited,
             std::vector<uint64_t>* out) {
  out->clear();
  out->push_back(HashChars(word));
  const size_t n = word.size();
  for (size_t i = 0; i < n; ++i) {
    *edited = word;
    edited->erase(i, 1);
    out->push_back(HashChars(*edited));
    if (k < 2) continue;
    for (size_t j = i; j + 1 < n; ++j) {
      std::u32string twice = *edited;
      twice.erase(j, 1);
      out->push_back(HashChars(twice));
    }
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

// Optimal string alignment distance, or limit + 1 once it must exceed `limit`.
int Distance(const std::u32string& a, const std::u32string& b, int limit, TypoIndex::Scratch* s) {
  const size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > static_cast<size_t>(limit)) return limit + 1;
  std::vector<int>&prev2 = s->row0, &prev = s->row1, &cur = s->row2;
  prev2.assign(m + 1, 0);
  prev.resize(m + 1);
  cur.resize(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = static_cast<int>(i);
    int row_min = cur[0];
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return std::min(prev[m], limit + 1);
}

}  // namespace

void TypoIndex::Add(absl::string_view word, int32_t id) {
  std::u32string w;
  if (!DecodeWord(word, &w)) return;
  const int k = AllowedEdits(w.size());
  if (k == 0) return;
  const auto [it, inserted] = positions_.emplace(w, static_cast<uint32_t>(words_.size()));
  if (!inserted) return;
  std::u32string edited;
  std::vector<uint64_t> hashes;
  Deletes(w, k, &edited, &hashes);
  for (uint64_t h : hashes) pending_.emplace_back(h, it->second);
  words_.push_back(std::move(w));
  ids_.push_back(id);
}

void TypoIndex::Finish() {
  std::sort(pending_.begin(), pending_.end());
  items_.reserve(pending_.size());
  ranges_.reserve(pending_.size());
  for (size_t i = 0; i < pending_.size(); ++i) {
    auto [it, inserted] =
        ranges_.try_emplace(pending_[i].first, static_cast<uint32_t>(i), static_cast<uint32_t>(i));
    it->second.second = static_cast<uint32_t>(i + 1);
    items_.push_back(pending_[i].second);
  }
  std::vector<std::pair<uint64_t, uint32_t>>().swap(pending_);
  absl::flat_hash_map<std::u32string, uint32_t>().swap(positions_);
  words_.shrink_to_fit();
  ids_.shrink_to_fit();
}

int32_t TypoIndex::Find(absl::string_view token, Scratch* s) const {
  if (words_.empty() || !DecodeWord(token, &s->token) || s->token.size() < 4) return -1;
  // A word within its allowed edits (2 needs 9+ code points) differs in length by at most that.
  const int k = s->token.size() >= 7 ? 2 : 1;
  Deletes(s->token, k, &s->edited, &s->deletes);
  s->seen.clear();
  int best_distance = 3;
  int32_t best = -1;
  for (uint64_t h : s->deletes) {
    auto it = ranges_.find(h);
    if (it == ranges_.end()) continue;
    for (uint32_t i = it->second.first; i < it->second.second; ++i) {
      const uint32_t w = items_[i];
      if (std::find(s->seen.begin(), s->seen.end(), w) != s->seen.end()) continue;
      s->seen.push_back(w);
      const int allowed = AllowedEdits(words_[w].size());
      const int d = Distance(s->token, words_[w], allowed, s);
      if (d > allowed) continue;
      if (d < best_distance || (d == best_distance && ids_[w] < best)) {
        best_distance = d;
        best = ids_[w];
      }
    }
  }
  return best;
}

size_t TypoIndex::Bytes() const {
  size_t b = ranges_.capacity() * (sizeof(uint64_t) + 8 + 1) + items_.capacity() * 4 +
             ids_.capacity() * 4 + words_.capacity() * sizeof(std::u32string);
  for (const std::u32string& w : words_) b += w.capacity() > 3 ? (w.capacity() + 1) * 4 : 0;
  return b;
}

}  // namespace gavel::targeting
