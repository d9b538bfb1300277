// Keyword match types (exact, phrase, broad) and negative keywords.
#include <algorithm>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "targeting/retrieve.h"
#include "tests/targeting/test_catalog.h"

namespace gavel::targeting {

using ::gavel::catalog::AutoTargetGroup;
using ::gavel::catalog::Catalog;
using ::gavel::catalog::MatchType;

namespace {

using testing::BaseCatalog;
using testing::KeywordTarget;
using testing::MustBuild;
using testing::MustRetrieve;
using testing::Search;

std::shared_ptr<const CatalogSnapshot> WithKeyword(std::string text, MatchType mt) {
  Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", std::move(text), mt));
  return MustBuild(std::move(c));
}

bool Matches(const CatalogSnapshot& s, std::string query) {
  Result r = MustRetrieve(s, Search(std::move(query)));
  return !r.candidates.empty();
}

TEST(ExactMatch, MatchesSameTokensSameOrder) {
  auto s = WithKeyword("running shoes", MatchType::kExact);
  Result r = MustRetrieve(*s, Search("running shoes"));
  ASSERT_EQ(r.candidates.size(), 1);
  EXPECT_EQ(s->ad_id(r.candidates[0].ad), "ad-1");
  EXPECT_EQ(r.candidates[0].matched.kind, MatchKind::kKeyword);
  EXPECT_EQ(r.candidates[0].matched.match_type, MatchType::kExact);
  EXPECT_EQ(r.candidates[0].matched.keyword_text, "running shoes");
  EXPECT_EQ(r.candidates[0].matched.target, 0);
  EXPECT_DOUBLE_EQ(r.candidates[0].relevance, 1.0);
}

TEST(ExactMatch, KeywordTextIsLeftToTheCallerWithoutExplain) {
  auto s = WithKeyword("running shoes", MatchType::kExact);
  Result r = MustRetrieve(*s, Search("running shoes"), /*explain=*/false);
  ASSERT_EQ(r.candidates.size(), 1);
  EXPECT_EQ(r.candidates[0].matched.keyword_text, "");
  EXPECT_EQ(s->catalog().targets[r.candidates[0].matched.target].keyword.text, "running shoes");
}

TEST(ExactMatch, AllowsCloseVariants) {
  auto s = WithKeyword("running shoes", MatchType::kExact);
  EXPECT_TRUE(Matches(*s, "Running Shoe"));
  EXPECT_TRUE(Matches(*s, "RUNNING-SHOES!"));
}

TEST(ExactMatch, RejectsOtherOrderOrExtraWords) {
  auto s = WithKeyword("running shoes", MatchType::kExact);
  EXPECT_FALSE(Matches(*s, "shoes running"));
  EXPECT_FALSE(Matches(*s, "red running shoes"));
  EXPECT_FALSE(Matches(*s, "running"));
}

TEST(ExactMatch, FoldsAccentsOnBothSides) {
  auto s = WithKeyword("crème brûlée", MatchType::kExact);
  EXPECT_TRUE(Matches(*s, "creme brulee"));
}

TEST(PhraseMatch, MatchesContiguousTokensInsideLongerQuery) {
  auto s = WithKeyword("running shoes", MatchType::kPhrase);
  Result r = MustRetrieve(*s, Search("mens running shoes size 10"));
  ASSERT_EQ(r.candidates.size(), 1);
  EXPECT_EQ(r.candidates[0].matched.match_type, MatchType::kPhrase);
  EXPECT_DOUBLE_EQ(r.candidates[0].relevance, 0.5 + 0.5 * 2 / 5);
  EXPECT_TRUE(Matches(*s, "running shoes"));
}

TEST(PhraseMatch, RejectsGapsAndReorder) {
  auto s = WithKeyword("running shoes", MatchType::kPhrase);
  EXPECT_FALSE(Matches(*s, "running trail shoes"));
  EXPECT_FALSE(Matches(*s, "shoes running"));
}

TEST(BroadMatch, MatchesAllTokensAnyOrderWithExtraWords) {
  auto s = WithKeyword("running shoes", MatchType::kBroad);
  EXPECT_TRUE(Matches(*s, "shoes for running"));
  EXPECT_TRUE(Matches(*s, "blue trail running shoes"));
  Result r = MustRetrieve(*s, Search("shoes running"));
  ASSERT_EQ(r.candidates.size(), 1);
  EXPECT_EQ(r.candidates[0].matched.match_type, MatchType::kBroad);
  EXPECT_DOUBLE_EQ(r.candidates[0].relevance, 0.75);
}

TEST(BroadMatch, RejectsWhenAKeywordTokenIsMissing) {
  auto s = WithKeyword("running shoes", MatchType::kBroad);
  EXPECT_FALSE(Matches(*s, "running socks"));
  EXPECT_FALSE(Matches(*s, "shoes"));
}

TEST(BroadMatch, LongQueriesUseTheAnchorListsWithTheSameResult) {
  Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", "running shoes", MatchType::kBroad));
  // Makes eight more tokens known to the index, so the query below has 10 distinct known tokens:
  // more than the subset lookup handles, so the anchor lists are read.
  c.targets.push_back(KeywordTarget("t-2", "aa bb cc dd ee ff gg hh", MatchType::kExact));
  auto s = MustBuild(std::move(c));
  Result r = MustRetrieve(*s, Search("aa bb cc dd ee ff gg hh shoes running"));
  ASSERT_EQ(r.candidates.size(), 1);
  EXPECT_EQ(r.candidates[0].matched.target, 0);
  EXPECT_DOUBLE_EQ(r.candidates[0].relevance, 0.25 + 0.5 * 2 / 10);
  EXPECT_TRUE(MustRetrieve(*s, Search("aa bb cc dd ee ff gg hh running")).candidates.empty());
}

TEST(BroadMatch, RepeatedQueryTokensCountOnce) {
  auto s = WithKeyword("red shoes", MatchType::kBroad);
  EXPECT_TRUE(Matches(*s, "red red shoes"));
  EXPECT_TRUE(Matches(*s, "shoes red shoes red"));
}

TEST(KeywordMatch, KeepsTheBestTargetPerAd) {
  Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-broad", "shoes", MatchType::kBroad, 3'000'000));
  c.targets.push_back(KeywordTarget("t-exact", "running shoes", MatchType::kExact, 500'000));
  auto s = MustBuild(std::move(c));
  Result r = MustRetrieve(*s, Search("running shoes"));
  ASSERT_EQ(r.candidates.size(), 1);
  // bid x quality: the broad target's 3.00 beats the exact target's 0.50 despite lower relevance.
  EXPECT_EQ(s->catalog().targets[r.candidates[0].matched.target].id, "t-broad");
}

TEST(KeywordMatch, EmptyQueryMatchesNoKeyword) {
  auto s = WithKeyword("running shoes", MatchType::kBroad);
  EXPECT_FALSE(Matches(*s, ""));
  EXPECT_FALSE(Matches(*s, "   "));
}

TEST(KeywordMatch, BadQueryIsInvalidArgument) {
  auto s = WithKeyword("running shoes", MatchType::kBroad);
  Result out;
  absl::Status st = Retrieve(*s, Search("shoes\xc3"), testing::Now(), false, &out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "query: invalid UTF-8 at byte 5");
}

TEST(NegativeKeyword, CampaignPhraseNegativeBeatsExactMatch) {
  Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", "running shoes", MatchType::kBroad));
  c.campaigns[0].negative_keywords.push_back({"used", MatchType::kPhrase});
  auto s = MustBuild(std::move(c));
  Result r = MustRetrieve(*s, Search("used running shoes"));
  EXPECT_TRUE(r.candidates.empty());
  ASSERT_EQ(r.rejections.size(), 1);
  EXPECT_EQ(r.rejections[0].reason, RejectReason::kNegativeKeyword);
  EXPECT_EQ(r.rejections[0].detail, "negative phrase keyword \"used\" on campaign c-1");
  EXPECT_EQ(s->ad_id(r.rejections[0].ad), "ad-1");
  EXPECT_EQ(r.rejections[0].matched.match_type, MatchType::kBroad);
}

TEST(NegativeKeyword, AdGroupExactNegativeBlocksOnlyTheWholeQuery) {
  Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", "shoes", MatchType::kBroad));
  c.ad_groups[0].negative_keywords.push_back({"cheap shoes", MatchType::kExact});
  auto s = MustBuild(std::move(c));
  Result blocked = MustRetrieve(*s, Search("Cheap Shoes"));
  EXPECT_TRUE(blocked.candidates.empty());
  ASSERT_EQ(blocked.rejections.size(), 1);
  EXPECT_EQ(blocked.rejections[0].detail, "negative exact keyword \"cheap shoes\" on ad group g-1");
  EXPECT_EQ(MustRetrieve(*s, Search("cheap shoes online")).candidates.size(), 1);
}

TEST(NegativeKeyword, PhraseNegativeNeedsContiguousTokens) {
  Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", "shoes", MatchType::kBroad));
  c.campaigns[0].negative_keywords.push_back({"kids shoes", MatchType::kPhrase});
  auto s = MustBuild(std::move(c));
  EXPECT_TRUE(MustRetrieve(*s, Search("kids running shoes")).rejections.empty());
  EXPECT_EQ(MustRetrieve(*s, Search("best kids shoes")).rejections.size(), 1);
}

TEST(NegativeKeyword, BlocksAutomaticTargetsToo) {
  Catalog c = BaseCatalog();
  c.ad_groups[0].auto_targeting.push_back({AutoTargetGroup::kCloseMatch, true, 0});
  c.ad_groups[0].negative_keywords.push_back({"trail", MatchType::kPhrase});
  auto s = MustBuild(std::move(c));
  Result r = MustRetrieve(*s, Search("trail running shoes"));
  EXPECT_TRUE(r.candidates.empty());
  ASSERT_EQ(r.rejections.size(), 1);
  EXPECT_EQ(r.rejections[0].reason, RejectReason::kNegativeKeyword);
}

TEST(NegativeKeyword, SameNegativeOnSeveralOwnersBlocksEachAndNamesItsOwn) {
  Catalog c = BaseCatalog();
  c.campaigns.push_back({.id = "c-2", .advertiser_id = "a-1", .daily_budget_micros = 1'000'000});
  c.ad_groups.push_back({.id = "g-2", .campaign_id = "c-2", .default_bid_micros = 1'000'000});
  c.ad_groups.push_back({.id = "g-3", .campaign_id = "c-2", .default_bid_micros = 1'000'000});
  c.product_ads.push_back({.id = "ad-2", .ad_group_id = "g-2", .product_id = "p-2"});
  c.product_ads.push_back({.id = "ad-3", .ad_group_id = "g-3", .product_id = "p-3"});
  for (const char* g : {"g-1", "g-2", "g-3"}) {
    c.targets.push_back(KeywordTarget(std::string("t-") + g, "shoes", MatchType::kBroad, 0, g));
  }
  c.campaigns[0].negative_keywords.push_back({"Used", MatchType::kPhrase});
  c.ad_groups[1].negative_keywords.push_back({"used", MatchType::kPhrase});
  c.ad_groups[2].negative_keywords.push_back({"used", MatchType::kExact});  // not the whole query
  auto s = MustBuild(std::move(c));
  Result r = MustRetrieve(*s, Search("used shoes"));
  ASSERT_EQ(r.candidates.size(), 1);
  EXPECT_EQ(s->ad_id(r.candidates[0].ad), "ad-3");
  ASSERT_EQ(r.rejections.size(), 2);
  std::vector<std::string> details = {r.rejections[0].detail, r.rejections[1].detail};
  std::sort(details.begin(), details.end());
  EXPECT_EQ(details[0], "negative phrase keyword \"Used\" on campaign c-1");
  EXPECT_EQ(details[1], "negative phrase keyword \"used\" on ad group g-2");
}

TEST(NegativeKeyword, OtherCampaignsStillServe) {
  Catalog c = BaseCatalog();
  c.campaigns.push_back({.id = "c-2", .advertiser_id = "a-1", .daily_budget_micros = 1'000'000});
  c.ad_groups.push_back({.id = "g-2", .campaign_id = "c-2", .default_bid_micros = 1'000'000});
  c.product_ads.push_back({.id = "ad-2", .ad_group_id = "g-2", .product_id = "p-2"});
  c.targets.push_back(KeywordTarget("t-1", "shoes", MatchType::kBroad));
  c.targets.push_back(KeywordTarget("t-2", "shoes", MatchType::kBroad, 0, "g-2"));
  c.campaigns[0].negative_keywords.push_back({"used", MatchType::kPhrase});
  auto s = MustBuild(std::move(c));
  Result r = MustRetrieve(*s, Search("used shoes"));
  ASSERT_EQ(r.candidates.size(), 1);
  EXPECT_EQ(s->ad_id(r.candidates[0].ad), "ad-2");
}

}  // namespace
}  // namespace gavel::targeting
