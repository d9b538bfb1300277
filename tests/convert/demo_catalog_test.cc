// data/demo_catalog.json follows the proto's complement direction
// (Category.complement_category_ids: "categories whose product pages show this category's
// products"): accessories list the products they go with, so socks show on running-shoe pages.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/catalog_file.h"

namespace gavel {
namespace {

using ::testing::UnorderedElementsAre;

TEST(DemoCatalog, AccessoriesListTheCategoriesWhosePagesShowThem) {
  auto catalog = store::ReadCatalogFile(absl::StrCat(
      std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"), "/data/demo_catalog.json"));
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  std::map<std::string, std::vector<std::string>> shown_on;
  for (const v1::Category& c : catalog->categories()) {
    shown_on[c.id()].assign(c.complement_category_ids().begin(), c.complement_category_ids().end());
  }
  EXPECT_THAT(shown_on["socks"], UnorderedElementsAre("running-shoes"));
  EXPECT_THAT(shown_on["phone-cases"], UnorderedElementsAre("phones"));
  EXPECT_THAT(shown_on["cables"], UnorderedElementsAre("phones", "headphones"));
  EXPECT_THAT(shown_on["headphones"], UnorderedElementsAre("phones"));
  EXPECT_THAT(shown_on["coffee-beans"], UnorderedElementsAre("coffee"));
  for (const char* main : {"phones", "running-shoes", "coffee"}) {
    EXPECT_THAT(shown_on[main], ::testing::IsEmpty()) << main;
  }
}

}  // namespace
}  // namespace gavel
