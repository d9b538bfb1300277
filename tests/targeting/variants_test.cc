// PluralSingulars, Stemmer and TypoIndex (targeting/variants.h) on their own.
#include "targeting/variants.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gavel::targeting {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Singulars(absl::string_view t) {
  std::vector<std::string> out;
  PluralSingulars(t, &out);
  return out;
}

TEST(PluralSingulars, ListsCandidatesMostLikelyFirst) {
  EXPECT_THAT(Singulars("batteries"), ElementsAre("battery", "batterie", "batteri"));
  EXPECT_THAT(Singulars("knives"), ElementsAre("knif", "knife", "knive", "kniv"));
  EXPECT_THAT(Singulars("shoes"), ElementsAre("shoe", "sho"));
  EXPECT_THAT(Singulars("lenses"), ElementsAre("lense", "lens"));
  EXPECT_THAT(Singulars("cars"), ElementsAre("car"));
}

TEST(PluralSingulars, NoneForWordsThatAreNotPlurals) {
  for (const char* w : {"glass", "cactus", "iris", "bus", "gas", "news", "series", "glasses",
                        "shorts", "lens", "10s", "ps5s", "москвы", "shoe"}) {
    EXPECT_THAT(Singulars(w), IsEmpty()) << w;
  }
}

TEST(Stemmer, StemsEnglishByDefault) {
  Stemmer s;
  EXPECT_EQ(s.Stem("running"), "run");
  EXPECT_EQ(s.Stem("hiking"), "hike");
  EXPECT_EQ(s.Stem("ps5"), "ps5");  // digits: own stem
  EXPECT_TRUE(Stemmer::IsKnownLanguage("russian"));
  EXPECT_FALSE(Stemmer::IsKnownLanguage("klingon"));
}

TypoIndex Index(const std::vector<std::string>& words) {
  TypoIndex t;
  for (size_t i = 0; i < words.size(); ++i) t.Add(words[i], static_cast<int32_t>(i));
  t.Finish();
  return t;
}

TEST(TypoIndex, AllowsOneEditFromFiveAndTwoFromNineCodePoints) {
  EXPECT_EQ(TypoIndex::AllowedEdits(4), 0);
  EXPECT_EQ(TypoIndex::AllowedEdits(5), 1);
  EXPECT_EQ(TypoIndex::AllowedEdits(8), 1);
  EXPECT_EQ(TypoIndex::AllowedEdits(9), 2);
  EXPECT_EQ(TypoIndex::AllowedEdits(24), 2);
  EXPECT_EQ(TypoIndex::AllowedEdits(25), 0);
}

TEST(TypoIndex, FindsWordsAtTheEditLimits) {
  const TypoIndex t = Index({"boot", "boots", "sneakers", "headphones", "кроссовки"});
  TypoIndex::Scratch s;
  EXPECT_EQ(t.Find("bota", &s), -1);      // 4 code points: no typos
  EXPECT_EQ(t.Find("bots", &s), 1);       // 1 deletion from "boots" (5)
  EXPECT_EQ(t.Find("boats", &s), 1);      // 1 substitution
  EXPECT_EQ(t.Find("bouts", &s), 1);      // 1 substitution
  EXPECT_EQ(t.Find("bxats", &s), -1);     // 2 edits: too many for a 5-letter word
  EXPECT_EQ(t.Find("snaekers", &s), 2);   // adjacent transposition = 1 edit
  EXPECT_EQ(t.Find("snakers", &s), 2);    // deletion
  EXPECT_EQ(t.Find("sneakerss", &s), 2);  // insertion
  EXPECT_EQ(t.Find("snaekres", &s), -1);  // 2 edits, 8-letter word allows 1
  EXPECT_EQ(t.Find("hedphonez", &s), 3);  // 2 edits, 10-letter word allows 2
  EXPECT_EQ(t.Find("hdphones", &s), 3);   // 2 deletions
  EXPECT_EQ(t.Find("hdphonez", &s), -1);  // 3 edits
  EXPECT_EQ(t.Find("hdpones", &s), -1);   // 3 edits
  EXPECT_EQ(t.Find("кросовки", &s), 4);   // Cyrillic, by code points
}

TEST(TypoIndex, NeverCorrectsTokensWithDigits) {
  const TypoIndex t = Index({"iphone13", "ps5pro"});
  TypoIndex::Scratch s;
  EXPECT_EQ(t.Find("iphone12", &s), -1);
  EXPECT_EQ(t.Find("ps4pro", &s), -1);
  EXPECT_EQ(t.size(), 0u);  // words with digits are not indexed either
}

TEST(TypoIndex, PrefersTheNearestThenTheLowestId) {
  const TypoIndex t = Index({"sandals", "sandal", "scandals"});
  TypoIndex::Scratch s;
  EXPECT_EQ(t.Find("sandels", &s), 0);  // 1 edit from sandals, 2 from the others
  EXPECT_EQ(t.Find("sandalz", &s), 0);  // 1 edit from sandals and from sandal: lower id
}

}  // namespace
}  // namespace gavel::targeting
