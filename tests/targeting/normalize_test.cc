#include "targeting/normalize.h"

#include <unicode/normalizer2.h>
#include <unicode/translit.h>

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gavel::targeting {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Tokens(absl::string_view text) {
  TokenizedText t;
  absl::Status s = NormalizeText(text, "query", {}, &t);
  EXPECT_TRUE(s.ok()) << s;
  std::vector<std::string> out;
  for (size_t i = 0; i < t.size(); ++i) out.emplace_back(t.token(i));
  return out;
}

std::string Joined(absl::string_view text) {
  TokenizedText t;
  absl::Status s = NormalizeText(text, "query", {}, &t);
  EXPECT_TRUE(s.ok()) << s;
  return t.Joined();
}

absl::Status Error(absl::string_view text, NormalizeLimits limits = {}) {
  TokenizedText t;
  return NormalizeText(text, "query", limits, &t);
}

TEST(Normalize, LowercasesAscii) {
  EXPECT_THAT(Tokens("RUNNING Shoe"), ElementsAre("running", "shoe"));
}

TEST(Normalize, FoldsLatinAccents) {
  EXPECT_THAT(Tokens("Café Crème Brûlée"), ElementsAre("cafe", "creme", "brulee"));
  EXPECT_THAT(Tokens("ÀÉÎÕÜ Ñandú"), ElementsAre("aeiou", "nandu"));
}

TEST(Normalize, FoldsSharpSAndLigatures) {
  EXPECT_THAT(Tokens("Straße"), ElementsAre("strasse"));
  EXPECT_THAT(Tokens("Æther Œuvre"), ElementsAre("aether", "oeuvre"));
}

TEST(Normalize, FoldsLatinExtendedA) {
  EXPECT_THAT(Tokens("Łódź Škoda Ğ"), ElementsAre("lodz", "skoda", "g"));
}

TEST(Normalize, SplitsOnPunctuation) {
  EXPECT_THAT(Tokens("t-shirt,blue/red (xl)!"), ElementsAre("t", "shirt", "blue", "red", "xl"));
  EXPECT_THAT(Tokens("a\tb\nc — d"), ElementsAre("a", "b", "c", "d"));
}

TEST(Normalize, DropsApostrophesInsideWords) {
  EXPECT_THAT(Tokens("Men's Kid’s"), ElementsAre("mens", "kids"));
  EXPECT_THAT(Tokens("'quoted'"), ElementsAre("quoted"));
  EXPECT_THAT(Tokens("rock'n'roll"), ElementsAre("rocknroll"));
}

TEST(Normalize, EmptyAndWhitespaceOnlyGiveNoTokens) {
  EXPECT_THAT(Tokens(""), IsEmpty());
  EXPECT_THAT(Tokens("   \t\n "), IsEmpty());
  EXPECT_THAT(Tokens("!!! ---"), IsEmpty());
}

TEST(Normalize, CaseFoldsEveryScript) {
  EXPECT_THAT(Tokens("МОСКВА Москва"), ElementsAre("москва", "москва"));
  EXPECT_THAT(Tokens("ΟΔΥΣΣΕΑΣ Οδυσσέας"), ElementsAre("οδυσσεασ", "οδυσσεασ"));
  EXPECT_THAT(Tokens("ԱՐԱՄ"), ElementsAre("արամ"));  // Armenian
  EXPECT_THAT(Tokens("Ωmega"), ElementsAre("ωmega"));
}

TEST(Normalize, AppliesCompatibilityForms) {
  EXPECT_THAT(Tokens("ＳＨＯＥＳ ﬁlter ①"), ElementsAre("shoes", "filter", "1"));
  EXPECT_THAT(Tokens("ｶﾞｰﾃﾞﾝ"), ElementsAre("ガーデン"));  // half-width katakana
  EXPECT_THAT(Tokens("cafe\u0301"), ElementsAre("cafe"));  // combining acute, not precomposed
  EXPECT_THAT(Tokens("İstanbul q\u0303"), ElementsAre("istanbul", "q"));  // marks left apart
}

TEST(Normalize, KeepsLettersThatAreNotAccentedVariants) {
  // Accent folding is limited to Latin and Greek: these pairs are different letters.
  EXPECT_THAT(Tokens("йод иод"), ElementsAre("йод", "иод"));
  EXPECT_THAT(Tokens("が か"), ElementsAre("が", "か"));
  EXPECT_THAT(Tokens("कम काम"), ElementsAre("कम", "काम"));
  EXPECT_THAT(Tokens("कुछ कछ"), ElementsAre("कुछ", "कछ"));  // U+0941 is a mark, not an accent
  EXPECT_THAT(Tokens("ёлка елка"), ElementsAre("ёлка", "елка"));
}

TEST(Normalize, BreaksWordsWithIcu) {
  EXPECT_THAT(Tokens("东京大学"), ElementsAre("东京", "大学"));  // dictionary segmentation
  EXPECT_THAT(Tokens("3.5mm jack, 1,000 mAh"), ElementsAre("3.5mm", "jack", "1,000", "mah"));
  EXPECT_THAT(Tokens("iPhone13 USB-C x:y"), ElementsAre("iphone13", "usb", "c", "x", "y"));
  EXPECT_THAT(Tokens("😀 shoes ★"), ElementsAre("shoes"));  // symbols are not words
}

TEST(Normalize, TransformTableEqualsTheTransform) {
  UErrorCode err = U_ZERO_ERROR;
  std::unique_ptr<icu::Transliterator> t(icu::Transliterator::createInstance(
      icu::UnicodeString(kAccentFoldTransform, -1, US_INV), UTRANS_FORWARD, err));
  ASSERT_TRUE(U_SUCCESS(err)) << u_errorName(err);
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(err);
  for (const char* text : {"Crème Brûlée", "Łódź Straße Œuvre Ærø", "Ἀθῆναι ΆΈΊΌ", "ǅemal ĳssel",
                           "Việt Nam Đà Nẵng", "fiancé naïve façade", "ｓｋｉ Þór"}) {
    icu::UnicodeString u = nfkc_cf->normalize(icu::UnicodeString::fromUTF8(text), err);
    t->transliterate(u);
    std::string expected;
    u.toUTF8String(expected);
    EXPECT_EQ(Joined(text), Tokens(expected).empty() ? "" : Joined(expected)) << text;
    EXPECT_EQ(Joined(text), Joined(Joined(text))) << "idempotent: " << text;
  }
}

TEST(Normalize, RejectsOverlongInputNamingField) {
  absl::Status s = Error(std::string(513, 'a'));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "query must be at most 512 bytes, got 513");
  EXPECT_TRUE(Error(std::string(512, 'a')).ok());
}

TEST(Normalize, RejectsTooManyTokens) {
  std::string q;
  for (int i = 0; i < 33; ++i) q += "w ";
  absl::Status s = Error(q);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "query must have at most 32 tokens, got 33");
}

TEST(Normalize, RejectsInvalidUtf8WithByteOffset) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"shoes\xff", "query: invalid UTF-8 at byte 5"},         // never valid
      {"red \x80 shoe", "query: invalid UTF-8 at byte 4"},     // stray continuation
      {"abcdefg\xc3", "query: invalid UTF-8 at byte 7"},       // truncated 2-byte
      {"ab\xe2\x82", "query: invalid UTF-8 at byte 2"},        // truncated 3-byte
      {"\xc0\xaf", "query: invalid UTF-8 at byte 0"},          // overlong '/'
      {"x\xe0\x80\xaf", "query: invalid UTF-8 at byte 1"},     // overlong 3-byte
      {"\xed\xa0\x80", "query: invalid UTF-8 at byte 0"},      // surrogate
      {"\xf4\x90\x80\x80", "query: invalid UTF-8 at byte 0"},  // > U+10FFFF
      {"\xc3\x28", "query: invalid UTF-8 at byte 0"},          // bad continuation
  };
  for (const Case& c : cases) {
    absl::Status s = Error(c.text);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(Normalize, JoinedUsesSingleSpaces) {
  TokenizedText t;
  ASSERT_TRUE(NormalizeText("  Blue   Jeans ", "q", {}, &t).ok());
  EXPECT_EQ(t.Joined(), "blue jeans");
}

}  // namespace
}  // namespace gavel::targeting
