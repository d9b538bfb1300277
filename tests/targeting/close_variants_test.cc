// Close variants per match type (docs/targeting.md, "Close variants"): one table of
// keyword/query pairs across scripts, each row saying whether exact, phrase and broad match it.
// Negative exact/phrase keywords must block exactly when exact/phrase would match (never more).
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "targeting/retrieve.h"
#include "tests/targeting/test_catalog.h"

namespace gavel::targeting {
namespace {

using ::gavel::catalog::Catalog;
using ::gavel::catalog::MatchType;
using ::gavel::catalog::TargetKind;
using testing::BaseCatalog;
using testing::KeywordTarget;
using testing::MustBuild;
using testing::MustRetrieve;
using testing::Search;

struct Row {
  const char* keyword;
  const char* query;
  bool exact, phrase, broad;
  bool typo = false;  // matched through typo tolerance only: negatives must not block it
};

constexpr bool T = true, F = false, kTypo = true;

// BaseCatalog's titles (trail running shoes, road running shoes, wool hiking socks) are part of
// every catalog's vocabulary.
const std::vector<Row>& Rows() {
  static const auto* const kRows = new std::vector<Row>{
      // Case and accents (Latin).
      {"running shoes", "Running Shoes", T, T, T},
      {"crème brûlée", "CREME BRULEE", T, T, T},
      {"café", "cafe", T, T, T},
      {"cafe", "Café", T, T, T},
      {"straße", "strasse", T, T, T},
      {"straße", "STRASSE", T, T, T},
      {"łódź", "lodz", T, T, T},
      {"œuvre", "oeuvre", T, T, T},
      {"naïve", "naive", T, T, T},
      {"são paulo", "sao paulo", T, T, T},
      {"ærø", "aero", T, T, T},
      {"piñata", "pinata", T, T, T},
      {"việt nam", "viet nam", T, T, T},
      {"đà nẵng", "da nang", T, T, T},
      {"çay", "cay", T, T, T},
      {"kılıç", "kilic", T, T, T},
      {"İstanbul", "istanbul", T, T, T},
      {"cafe\u0301", "café", T, T, T},
      {"ﬁlter", "filter", T, T, T},
      {"ＳＨＯＥＳ", "shoes", T, T, T},
      // Plurals (exact and phrase accept them).
      {"running shoe", "running shoes", T, T, T},
      {"battery", "batteries", T, T, T},
      {"batteries", "battery", T, T, T},
      {"lens", "lenses", T, T, T},
      {"lenses", "lens", T, T, T},
      {"cookie", "cookies", T, T, T},
      {"cookies", "cookie", T, T, T},
      {"box", "boxes", T, T, T},
      {"boxes", "box", T, T, T},
      {"watch", "watches", T, T, T},
      {"dress", "dresses", T, T, T},
      {"knife", "knives", T, T, T},
      {"shelves", "shelf", T, T, T},
      {"house", "houses", T, T, T},
      {"houses", "house", T, T, T},
      {"bus", "buses", T, T, T},
      {"brush", "brushes", T, T, T},
      {"apple", "apples", T, T, T},
      {"cars", "car", T, T, T},
      {"tie", "ties", T, T, T},
      {"hero", "heroes", T, T, T},
      {"potato", "potatoes", T, T, T},
      {"chaussure", "chaussures", T, T, T},
      {"sock", "socks", T, T, T},
      {"hiking sock", "hiking socks", T, T, T},
      // Over-folding: different words stay different for exact and phrase.
      {"news", "new", F, F, F},
      {"new", "news", F, F, F},
      {"new balance", "news balance", F, F, F},
      {"glass", "glasses", F, F, T},  // broad: Snowball stems glasses to glass
      {"glasses", "glass", F, F, T},
      {"shorts", "short", F, F, T},
      {"pants", "pant", F, F, T},
      {"goods", "good", F, F, T},
      {"bus", "bu", F, F, F},
      {"boss", "bos", F, F, F},
      {"cactus", "cactu", T, T, T, kTypo},  // a typo: 1 edit from a 6-letter word
      {"gas", "ga", F, F, F},
      // "hous" is a possible singular of "houses" (as "lens" is of "lenses"); no word is merged.
      {"houses", "hous", T, T, T},
      {"йога", "иога", F, F, F},  // different letters, and too short for a typo
      {"йогурт", "иогурт", T, T, T, kTypo},
      {"ёлка", "елка", F, F, F},
      {"が", "か", F, F, F},
      {"कुछ", "कछ", F, F, F},
      {"tshirt", "t-shirt", F, T, T, kTypo},  // "shirt" is 1 edit from "tshirt"
      {"iphone13", "iphone 13", F, F, F},
      {"3.5mm", "3 5mm", F, F, F},
      {"10s", "10", F, F, F},
      {"книга", "книгами", F, F, F},  // English catalog: no Russian stems; 2 edits from 5 letters
      {"книга", "книги", T, T, T, kTypo},
      // Stems: broad only.
      {"run", "running", F, F, T},
      {"running shoes", "run shoe", F, F, T},
      {"hike", "hiking", F, F, T},
      {"connect", "connection", F, F, T},
      {"jump", "jumped", F, F, T},
      {"fish", "fishing", F, F, T},
      {"trail running", "trail runs", F, F, T},
      {"wool sock", "woolen socks", F, F, F},  // Snowball keeps woolen apart from wool
      // Typos: 1 edit for words of 5-8 code points, 2 for 9-24; never for digits.
      {"sneakers", "snaekers", T, T, T, kTypo},
      {"sneakers", "snaekres", F, F, F},
      {"headphones", "hedphonez", T, T, T, kTypo},
      {"headphones", "hdphonez", F, F, F},
      {"boots", "bots", T, T, T, kTypo},
      {"boot", "bot", F, F, F},
      {"running shoes", "runnign shoes", T, T, T, kTypo},
      {"wireless charger", "wirelss chargr", T, T, T, kTypo},
      {"blue wireless charger", "wirelss chargr", F, F, F},
      {"кроссовки", "кросовки", T, T, T, kTypo},
      {"iphone 13", "iphone 12", F, F, F},
      {"ps5", "ps4", F, F, F},
      // Cyrillic, Greek, CJK.
      {"МОСКВА", "москва", T, T, T},
      {"кофе", "КОФЕ", T, T, T},
      {"Ёлка", "ёлка", T, T, T},
      {"Ελλάδα", "ελλαδα", T, T, T},
      {"ΟΔΟΣ", "οδός", T, T, T},
      {"αθηνα", "Ἀθῆνα", T, T, T},
      {"东京大学", "东京大学", T, T, T},
      {"东京", "东京大学", F, T, T},
      {"大学", "东京大学", F, T, T},
      {"ガーデン", "ｶﾞｰﾃﾞﾝ", T, T, T},
      {"日本", "にほん", F, F, F},
      // Digits.
      {"iphone 13", "iPhone 13", T, T, T},
      {"3.5mm jack", "3.5MM Jack", T, T, T},
      {"ps5", "PS5", T, T, T},
      {"ps5", "ＰＳ５", T, T, T},
      {"1,000 mah", "1,000 mAh", T, T, T},
      {"1", "①", T, T, T},
      // Hyphens and apostrophes.
      {"t-shirt", "t shirt", T, T, T},
      {"t shirt", "T-Shirt", T, T, T},
      {"usb-c cable", "usb c cables", T, T, T},
      {"men's shoes", "mens shoes", T, T, T},
      {"mens shoes", "men’s shoes", T, T, T},
      {"men shoes", "men's shoes", T, T, T},
      {"kid's", "kids", T, T, T},
      {"rock'n'roll", "rocknroll", T, T, T},
      // Order and extra words.
      {"running shoes", "red running shoes", F, T, T},
      {"running shoes", "shoes running", F, F, T},
      {"running shoes", "running red shoes", F, F, T},
      {"running shoes", "running", F, F, F},
      {"blue t-shirt", "mens blue t shirt xl", F, T, T},
      {"café au lait", "CAFE AU LAIT MUG", F, T, T},
      {"москва", "отель москва центр", F, T, T},
      {"ελλαδα", "ταξιδι ελλαδα", F, T, T},
      {"trail running shoes", "trail shoes", F, F, F},
  };
  return *kRows;
}

bool Matches(const Row& row, MatchType mt) {
  Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", row.keyword, mt));
  auto s = MustBuild(std::move(c));
  if (s == nullptr) return false;
  return !MustRetrieve(*s, Search(row.query)).candidates.empty();
}

TEST(CloseVariants, TableHasAtLeastOneHundredPairsPerMatchType) { EXPECT_GE(Rows().size(), 100u); }

TEST(CloseVariants, ExactMatchesTheRowsThatSaySo) {
  for (const Row& row : Rows()) {
    EXPECT_EQ(Matches(row, MatchType::kExact), row.exact) << row.keyword << " / " << row.query;
  }
}

TEST(CloseVariants, PhraseMatchesTheRowsThatSaySo) {
  for (const Row& row : Rows()) {
    EXPECT_EQ(Matches(row, MatchType::kPhrase), row.phrase) << row.keyword << " / " << row.query;
  }
}

TEST(CloseVariants, BroadMatchesTheRowsThatSaySo) {
  for (const Row& row : Rows()) {
    EXPECT_EQ(Matches(row, MatchType::kBroad), row.broad) << row.keyword << " / " << row.query;
  }
}

// The ad is reached by a category target; a negative keyword on its ad group blocks it exactly
// when the same keyword as a positive exact/phrase target would match the query.
bool Blocks(const Row& row, MatchType mt) {
  Catalog c = BaseCatalog();
  catalog::Target t;
  t.id = "t-cat";
  t.ad_group_id = "g-1";
  t.kind = TargetKind::kCategory;
  t.category_id = "shoes";
  c.targets.push_back(t);
  c.ad_groups[0].negative_keywords.push_back({row.keyword, mt});
  auto s = MustBuild(std::move(c));
  if (s == nullptr) return false;
  Request r = Search(row.query);
  r.category_ids = {"shoes"};
  const Result result = MustRetrieve(*s, r);
  if (!result.candidates.empty()) return false;
  EXPECT_EQ(result.rejections.size(), 1u) << row.keyword << " / " << row.query;
  return !result.rejections.empty() &&
         result.rejections[0].reason == RejectReason::kNegativeKeyword;
}

TEST(CloseVariants, NegativeExactBlocksLikeExact) {
  for (const Row& row : Rows()) {
    EXPECT_EQ(Blocks(row, MatchType::kExact), row.exact && !row.typo)
        << row.keyword << " / " << row.query;
  }
}

TEST(CloseVariants, NegativePhraseBlocksLikePhrase) {
  for (const Row& row : Rows()) {
    EXPECT_EQ(Blocks(row, MatchType::kPhrase), row.phrase && !row.typo)
        << row.keyword << " / " << row.query;
  }
}

// Synonyms: a catalog with one keyword of each match type for `keyword` and the given table.
std::shared_ptr<const CatalogSnapshot> WithSynonyms(const char* keyword, MatchType mt,
                                                    std::vector<catalog::Synonym> synonyms,
                                                    std::string language = "") {
  Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", keyword, mt));
  c.synonyms = std::move(synonyms);
  c.language = std::move(language);
  return MustBuild(std::move(c));
}

bool Hits(const std::shared_ptr<const CatalogSnapshot>& s, const char* query) {
  return s != nullptr && !MustRetrieve(*s, Search(query)).candidates.empty();
}

TEST(Synonyms, OneWayReachesTheSynonymNotTheReverse) {
  // A query for "trainers" also matches "sneakers" keywords; a query for "sneakers" does not
  // reach "trainers" keywords.
  const std::vector<catalog::Synonym> table = {{.term = "trainers", .synonyms = {"sneakers"}}};
  EXPECT_TRUE(Hits(WithSynonyms("sneakers", MatchType::kBroad, table), "trainers"));
  EXPECT_TRUE(Hits(WithSynonyms("white sneakers", MatchType::kBroad, table), "white trainer"));
  EXPECT_FALSE(Hits(WithSynonyms("trainers", MatchType::kBroad, table), "sneakers"));
}

TEST(Synonyms, TwoWayReachesBothWays) {
  const std::vector<catalog::Synonym> table = {
      {.term = "sofa", .synonyms = {"couch", "settee"}, .two_way = true}};
  EXPECT_TRUE(Hits(WithSynonyms("sofa", MatchType::kBroad, table), "couch"));
  EXPECT_TRUE(Hits(WithSynonyms("sofa", MatchType::kBroad, table), "settees"));
  EXPECT_TRUE(Hits(WithSynonyms("couch", MatchType::kBroad, table), "sofa"));
  // Synonyms of the same term are not synonyms of each other.
  EXPECT_FALSE(Hits(WithSynonyms("couch", MatchType::kBroad, table), "settee"));
}

TEST(Synonyms, AreBroadOnly) {
  const std::vector<catalog::Synonym> table = {
      {.term = "sofa", .synonyms = {"couch"}, .two_way = true}};
  EXPECT_FALSE(Hits(WithSynonyms("sofa", MatchType::kExact, table), "couch"));
  EXPECT_FALSE(Hits(WithSynonyms("sofa", MatchType::kPhrase, table), "couch"));
  // Nor do negatives block through a synonym.
  Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", "couch", MatchType::kBroad));
  c.ad_groups[0].negative_keywords.push_back({"sofa", MatchType::kPhrase});
  c.synonyms = table;
  auto s = MustBuild(std::move(c));
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(Hits(s, "couch"));
  EXPECT_FALSE(Hits(s, "sofa"));  // blocked by its own negative, not by the synonym
}

TEST(Synonyms, RejectsTablesOverTheLimits) {
  struct Case {
    std::vector<catalog::Synonym> table;
    std::string message;
  };
  std::vector<catalog::Synonym> too_many(10'001, {.term = "a", .synonyms = {"b"}});
  std::vector<catalog::Synonym> crowded;
  for (int i = 0; i < 17; ++i)
    crowded.push_back({.term = "x", .synonyms = {"w" + std::to_string(i)}});
  const std::vector<Case> cases = {
      {{{.term = "sofa", .synonyms = {}}}, "synonyms[0].synonyms must list 1-16 words, got 0"},
      {{{.term = "sofa bed", .synonyms = {"couch"}}}, "synonyms[0].term must be one word, got 2"},
      {{{.term = "sofa", .synonyms = {"couch", "!!"}}},
       "synonyms[0].synonyms[1] must be one word, got 0"},
      {too_many, "synonyms must have at most 10000 entries, got 10001"},
      {crowded, "synonyms: a word has more than 16 synonyms in all entries together"},
  };
  for (const Case& c : cases) {
    Catalog cat = BaseCatalog();
    cat.synonyms = c.table;
    auto s = CatalogSnapshot::Build(std::move(cat), 1);
    ASSERT_FALSE(s.ok()) << c.message;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.status().message(), c.message);
  }
}

TEST(Language, StemsWithTheCatalogLanguage) {
  // Russian Snowball: книга / книгами share a stem, so broad matches; exact does not.
  EXPECT_TRUE(Hits(WithSynonyms("книга", MatchType::kBroad, {}, "russian"), "книгами"));
  EXPECT_FALSE(Hits(WithSynonyms("книга", MatchType::kExact, {}, "russian"), "книгами"));
  EXPECT_FALSE(Hits(WithSynonyms("книга", MatchType::kBroad, {}), "книгами"));  // english
  EXPECT_TRUE(Hits(WithSynonyms("chaussure", MatchType::kBroad, {}, "french"), "chaussures"));
}

TEST(Language, RejectsAnUnknownLanguage) {
  Catalog c = BaseCatalog();
  c.language = "klingon";
  auto s = CatalogSnapshot::Build(std::move(c), 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(),
            "language must be a Snowball stemmer name (english, french, german, russian, ...), "
            "got \"klingon\"");
}

}  // namespace
}  // namespace gavel::targeting
