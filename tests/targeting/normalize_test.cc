#include "targeting/normalize.h"

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
  EXPECT_THAT(Tokens("Men's Kid’s"), ElementsAre("men", "kid"));
  EXPECT_THAT(Tokens("'quoted'"), ElementsAre("quoted"));
}

TEST(Normalize, EmptyAndWhitespaceOnlyGiveNoTokens) {
  EXPECT_THAT(Tokens(""), IsEmpty());
  EXPECT_THAT(Tokens("   \t\n "), IsEmpty());
  EXPECT_THAT(Tokens("!!! ---"), IsEmpty());
}

TEST(Normalize, KeepsOtherScriptsUnchanged) {
  EXPECT_THAT(Tokens("Ωmega 日本"), ElementsAre("Ωmega", "日本"));
}

TEST(FoldPlural, AppliesDocumentedSuffixRules) {
  EXPECT_EQ(FoldPlural("batteries"), "battery");
  EXPECT_EQ(FoldPlural("ties"), "tie");
  EXPECT_EQ(FoldPlural("dresses"), "dress");
  EXPECT_EQ(FoldPlural("boxes"), "box");
  EXPECT_EQ(FoldPlural("watches"), "watch");
  EXPECT_EQ(FoldPlural("brushes"), "brush");
  EXPECT_EQ(FoldPlural("shoes"), "shoe");
  EXPECT_EQ(FoldPlural("cables"), "cable");
}

TEST(FoldPlural, KeepsSsUsIsShortAndDigitTokens) {
  EXPECT_EQ(FoldPlural("glass"), "glass");
  EXPECT_EQ(FoldPlural("cactus"), "cactus");
  EXPECT_EQ(FoldPlural("iris"), "iris");
  EXPECT_EQ(FoldPlural("bus"), "bus");
  EXPECT_EQ(FoldPlural("10s"), "10s");
  EXPECT_EQ(FoldPlural("ps5s"), "ps5s");
}

TEST(Normalize, SingularAndPluralQueriesNormaliseAlike) {
  EXPECT_EQ(Tokens("Running Shoes"), Tokens("running shoe"));
  EXPECT_EQ(Tokens("AA Batteries"), Tokens("aa battery"));
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
  EXPECT_EQ(t.Joined(), "blue jean");
}

}  // namespace
}  // namespace gavel::targeting
