#include "targeting/synthetic.h"

#include <random>

#include "gtest/gtest.h"

namespace gavel::targeting {

using ::gavel::catalog::Catalog;

namespace {

TEST(GenerateCatalog, SameSeedSameCatalog) {
  std::mt19937_64 a(7), b(7), c(8);
  const Catalog x = GenerateCatalog({.num_ads = 2'000}, a);
  const Catalog y = GenerateCatalog({.num_ads = 2'000}, b);
  const Catalog z = GenerateCatalog({.num_ads = 2'000}, c);
  ASSERT_EQ(x.product_ads.size(), 2'000);
  ASSERT_EQ(x.targets.size(), y.targets.size());
  for (size_t i = 0; i < x.targets.size(); ++i) {
    EXPECT_EQ(x.targets[i].keyword.text, y.targets[i].keyword.text);
    EXPECT_EQ(x.targets[i].bid_micros, y.targets[i].bid_micros);
  }
  for (size_t i = 0; i < x.products.size(); ++i)
    EXPECT_EQ(x.products[i].title, y.products[i].title);
  bool differs = x.targets.size() != z.targets.size();
  for (size_t i = 0; !differs && i < x.products.size(); ++i) {
    differs = x.products[i].title != z.products[i].title;
  }
  EXPECT_TRUE(differs);
}

TEST(GenerateCatalog, BuildsAndQueriesFindCandidates) {
  std::mt19937_64 rng(1);
  auto snapshot = CatalogSnapshot::Build(GenerateCatalog({.num_ads = 5'000}, rng), 1);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  QuerySampler sampler((*snapshot)->catalog());
  Retriever retriever;
  Result result;
  int with_candidates = 0;
  const absl::Time now = absl::FromUnixSeconds(1'780'000'000);
  for (int i = 0; i < 200; ++i) {
    const Request r = sampler.Sample(rng);
    ASSERT_TRUE(retriever.Retrieve(**snapshot, r, now, false, &result).ok()) << r.query;
    with_candidates += !result.candidates.empty();
  }
  EXPECT_GT(with_candidates, 150);
}

TEST(QuerySampler, SameSeedSameQueries) {
  std::mt19937_64 rng(3);
  const Catalog c = GenerateCatalog({.num_ads = 1'000}, rng);
  QuerySampler sampler(c);
  std::mt19937_64 a(11), b(11);
  for (int i = 0; i < 50; ++i) {
    const Request x = sampler.Sample(a);
    const Request y = sampler.Sample(b);
    EXPECT_EQ(x.query, y.query);
    EXPECT_EQ(x.category_ids, y.category_ids);
  }
}

}  // namespace
}  // namespace gavel::targeting
