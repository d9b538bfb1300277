#include "tools/loadgen/sampler.h"

#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace gavel::loadgen {
namespace {

gavel::v1::Target KeywordTarget(const std::string& id, const std::string& text) {
  gavel::v1::Target target;
  target.set_id(id);
  target.mutable_keyword()->set_text(text);
  target.mutable_keyword()->set_match_type(gavel::v1::MATCH_TYPE_BROAD);
  return target;
}

std::vector<std::string> SampleSerialized(const RequestSampler& sampler, uint64_t seed, int n) {
  std::mt19937_64 gen(seed);
  std::vector<std::string> out;
  gavel::v1::RunAuctionRequest request;
  for (int i = 0; i < n; ++i) {
    sampler.Sample(gen, &request);
    out.push_back(request.SerializeAsString());
  }
  return out;
}

TEST(QuerySetFromQueryFileText, ParsesOptionalTabSeparatedWeightsAndSkipsComments) {
  absl::StatusOr<QuerySet> set =
      QuerySet::FromQueryFileText("# popular\nrunning shoes\t5\n\nwool socks\nusb c cable\t0.5\n");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 3);
  EXPECT_EQ(set->query(0).text, "running shoes");
  EXPECT_EQ(set->query(0).weight, 5);
  EXPECT_EQ(set->query(1).text, "wool socks");
  EXPECT_EQ(set->query(1).weight, 1);
  EXPECT_EQ(set->query(2).weight, 0.5);
}

TEST(QuerySetFromQueryFileText, RejectsABadWeightNamingTheLine) {
  absl::StatusOr<QuerySet> set = QuerySet::FromQueryFileText("shoes\nsocks\t-1\n");
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(set.status().message().find("line 2"), absl::string_view::npos) << set.status();
}

TEST(QuerySetFromQueryFileText, RejectsAFileWithoutQueries) {
  EXPECT_EQ(QuerySet::FromQueryFileText("# nothing\n\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(QuerySetFromQueryFileText, ReadsBackWhatToQueryFileTextWroteIncludingPageIds) {
  QuerySet queries = *QuerySet::FromWeighted({{"shoes", 1}, {"socks", 1.0 / 3}});
  RequestMix pages{.product_ids = {"p-1", "p-2"}, .category_ids = {"c-1"}};
  RequestMix reread;
  absl::StatusOr<QuerySet> again =
      QuerySet::FromQueryFileText(ToQueryFileText(queries, pages), &reread);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->size(), 2);
  EXPECT_EQ(again->query(1).text, "socks");
  EXPECT_EQ(again->query(1).weight, 1.0 / 3);
  EXPECT_EQ(reread.product_ids, pages.product_ids);
  EXPECT_EQ(reread.category_ids, pages.category_ids);
}

TEST(QuerySetFromCatalog, RanksKeywordsByHowManyTargetsUseThemWithZipfWeights) {
  gavel::v1::Catalog catalog;
  *catalog.add_targets() = KeywordTarget("t1", "socks");
  *catalog.add_targets() = KeywordTarget("t2", "shoes");
  *catalog.add_targets() = KeywordTarget("t3", "shoes");
  catalog.add_targets()->set_product_id("p1");  // Not a keyword: ignored.
  absl::StatusOr<QuerySet> set = QuerySet::FromCatalog(catalog, 1.0);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 2);
  EXPECT_EQ(set->query(0).text, "shoes");
  EXPECT_DOUBLE_EQ(set->query(0).weight, 1.0);
  EXPECT_EQ(set->query(1).text, "socks");
  EXPECT_DOUBLE_EQ(set->query(1).weight, 0.5);
}

TEST(QuerySetFromCatalog, FallsBackToProductTitlesAndRejectsAnEmptyCatalog) {
  gavel::v1::Catalog catalog;
  EXPECT_EQ(QuerySet::FromCatalog(catalog, 1.0).status().code(),
            absl::StatusCode::kInvalidArgument);
  catalog.add_products()->set_title("trail running shoe");
  absl::StatusOr<QuerySet> set = QuerySet::FromCatalog(catalog, 1.0);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->query(0).text, "trail running shoe");
}

TEST(QuerySet, SamplesInProportionToWeight) {
  QuerySet set = *QuerySet::FromWeighted({{"a", 3}, {"b", 1}});
  std::mt19937_64 gen(1);
  int a = 0;
  const int n = 40'000;
  for (int i = 0; i < n; ++i) a += set.Sample(gen) == 0;
  EXPECT_NEAR(static_cast<double>(a) / n, 0.75, 0.01);
}

TEST(RequestSampler, SameSeedGivesTheSameRequestsAndAnotherSeedDoesNot) {
  QuerySet queries = *QuerySet::FromWeighted({{"shoes", 3}, {"socks", 2}, {"hat", 1}});
  RequestMix mix;
  mix.product_ids = {"p1", "p2"};
  mix.category_ids = {"c1"};
  RequestSampler sampler(&queries, mix);
  EXPECT_EQ(SampleSerialized(sampler, 9, 200), SampleSerialized(sampler, 9, 200));
  EXPECT_NE(SampleSerialized(sampler, 9, 200), SampleSerialized(sampler, 10, 200));
}

TEST(RequestSampler, FillsPlacementSlotsAndShopperAndUsesEveryPlacementKind) {
  QuerySet queries = *QuerySet::FromWeighted({{"shoes", 1}});
  RequestMix mix{.slots = 3, .users = 10, .product_ids = {"p1"}, .category_ids = {"c1"}};
  RequestSampler sampler(&queries, mix);
  std::mt19937_64 gen(3);
  gavel::v1::RunAuctionRequest request;
  std::set<int> placements;
  for (int i = 0; i < 2'000; ++i) {
    sampler.Sample(gen, &request);
    placements.insert(request.placement());
    EXPECT_EQ(request.slots(), 3);
    EXPECT_FALSE(request.shopper().user_id().empty());
    EXPECT_NE(request.shopper().device(), gavel::v1::DEVICE_UNSPECIFIED);
    const auto& segments = request.shopper().segments();
    EXPECT_LE(segments.size(), 3);
    EXPECT_EQ(std::set<std::string>(segments.begin(), segments.end()).size(), segments.size());
    switch (request.placement()) {
      case gavel::v1::PLACEMENT_PRODUCT_PAGE:
        EXPECT_EQ(request.page().viewed_product_id(), "p1");
        break;
      case gavel::v1::PLACEMENT_CATEGORY_PAGE:
        EXPECT_EQ(request.page().category_ids(0), "c1");
        break;
      default:
        EXPECT_EQ(request.query(), "shoes");
    }
  }
  EXPECT_EQ(placements.size(), 4);
}

TEST(RequestSampler, WithoutCatalogIdsSendsOnlySearchPlacements) {
  QuerySet queries = *QuerySet::FromWeighted({{"shoes", 1}});
  RequestSampler sampler(&queries, RequestMix{});
  std::mt19937_64 gen(4);
  gavel::v1::RunAuctionRequest request;
  for (int i = 0; i < 1'000; ++i) {
    sampler.Sample(gen, &request);
    ASSERT_TRUE(request.placement() == gavel::v1::PLACEMENT_TOP_OF_SEARCH ||
                request.placement() == gavel::v1::PLACEMENT_REST_OF_SEARCH);
  }
}

}  // namespace
}  // namespace gavel::loadgen
