// Small builders for targeting tests: a one-advertiser, one-campaign, one-ad-group catalog that a
// test extends with designated initializers.
#ifndef GAVEL_TESTS_TARGETING_TEST_CATALOG_H_
#define GAVEL_TESTS_TARGETING_TEST_CATALOG_H_

#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "targeting/retrieve.h"
#include "targeting/snapshot.h"

namespace gavel::targeting::testing {

// a-1 / c-1 / g-1 with ad ad-1 for product p-1 ("Trail Running Shoes", category shoes under
// apparel), default bid 1.00 on the ad group. Categories: apparel > shoes, apparel > socks;
// socks lists shoes as a complement.
inline catalog::Catalog BaseCatalog() {
  catalog::Catalog c;
  c.advertisers.push_back({.id = "a-1", .name = "Acme"});
  c.campaigns.push_back({.id = "c-1", .advertiser_id = "a-1", .daily_budget_micros = 100'000'000});
  c.ad_groups.push_back({.id = "g-1", .campaign_id = "c-1", .default_bid_micros = 1'000'000});
  c.categories.push_back({.id = "apparel", .name = "Apparel"});
  c.categories.push_back({.id = "shoes", .name = "Shoes", .parent_id = "apparel"});
  c.categories.push_back({.id = "socks",
                          .name = "Socks",
                          .parent_id = "apparel",
                          .complement_category_ids = {"shoes"}});
  c.products.push_back({.id = "p-1",
                        .title = "Trail Running Shoes",
                        .category_id = "shoes",
                        .brand = "Acme",
                        .price_micros = 80'000'000});
  c.products.push_back({.id = "p-2",
                        .title = "Road Running Shoes",
                        .category_id = "shoes",
                        .brand = "Other",
                        .price_micros = 90'000'000});
  c.products.push_back({.id = "p-3",
                        .title = "Wool Hiking Socks",
                        .category_id = "socks",
                        .brand = "Acme",
                        .price_micros = 10'000'000});
  c.product_ads.push_back({.id = "ad-1", .ad_group_id = "g-1", .product_id = "p-1"});
  return c;
}

inline catalog::Target KeywordTarget(std::string id, std::string text, catalog::MatchType mt,
                                     int64_t bid = 0, std::string ad_group = "g-1") {
  catalog::Target t;
  t.id = std::move(id);
  t.ad_group_id = std::move(ad_group);
  t.bid_micros = bid;
  t.kind = catalog::TargetKind::kKeyword;
  t.keyword = {std::move(text), mt};
  return t;
}

inline std::shared_ptr<const CatalogSnapshot> MustBuild(catalog::Catalog c) {
  auto s = CatalogSnapshot::Build(std::move(c), 1);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : nullptr;
}

inline Request Search(std::string query) {
  Request r;
  r.placement = catalog::Placement::kTopOfSearch;
  r.query = std::move(query);
  return r;
}

inline absl::Time Now() {
  return absl::FromCivil(absl::CivilSecond(2026, 6, 15, 12, 0, 0), absl::UTCTimeZone());
}

inline Result MustRetrieve(const CatalogSnapshot& s, const Request& r, bool explain = true,
                           absl::Time now = Now()) {
  Result out;
  absl::Status st = Retrieve(s, r, now, explain, &out);
  EXPECT_TRUE(st.ok()) << st;
  return out;
}

}  // namespace gavel::targeting::testing

#endif  // GAVEL_TESTS_TARGETING_TEST_CATALOG_H_
