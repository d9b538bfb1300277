// Catalog files in both encodings: JSON for people, protobuf binary (*.binpb, *.pb) for large
// catalogs; the name chooses, and a bad file is an error naming it.
#include "store/catalog_file.h"

#include <fstream>

#include "gtest/gtest.h"

namespace gavel::store {
namespace {

gavel::v1::Catalog Small() {
  gavel::v1::Catalog c;
  gavel::v1::Advertiser* a = c.add_advertisers();
  a->set_id("adv-1");
  a->set_name("Acme");
  gavel::v1::Campaign* k = c.add_campaigns();
  k->set_id("c-1");
  k->set_advertiser_id("adv-1");
  k->set_daily_budget_micros(5'000'000);
  return c;
}

TEST(CatalogFile, TheNameChoosesTheEncoding) {
  EXPECT_TRUE(IsBinaryCatalogPath("/x/catalog.binpb"));
  EXPECT_TRUE(IsBinaryCatalogPath("catalog.pb"));
  EXPECT_FALSE(IsBinaryCatalogPath("catalog.json"));
  EXPECT_FALSE(IsBinaryCatalogPath("catalog.pb.json"));
}

TEST(CatalogFile, BinaryAndJsonRoundTripToTheSameCatalog) {
  const gavel::v1::Catalog c = Small();
  const std::string bin = ::testing::TempDir() + "/round.binpb";
  const std::string json = ::testing::TempDir() + "/round.json";
  ASSERT_TRUE(WriteCatalogFile(c, bin).ok());
  ASSERT_TRUE(WriteCatalogFile(c, json).ok());
  absl::StatusOr<gavel::v1::Catalog> from_bin = ReadCatalogFile(bin);
  absl::StatusOr<gavel::v1::Catalog> from_json = ReadCatalogFile(json);
  ASSERT_TRUE(from_bin.ok()) << from_bin.status();
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  EXPECT_EQ(from_bin->SerializeAsString(), c.SerializeAsString());
  EXPECT_EQ(from_json->SerializeAsString(), c.SerializeAsString());
  std::ifstream in(json);
  EXPECT_EQ(in.get(), '{');  // the JSON file is text
}

TEST(CatalogFile, JsonInABinaryFileIsAnErrorNamingTheFile) {
  const std::string path = ::testing::TempDir() + "/wrong.binpb";
  std::ofstream(path) << "{\"advertisers\": []}";
  absl::StatusOr<gavel::v1::Catalog> c = ReadCatalogFile(path);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find(path), std::string::npos) << c.status();
  EXPECT_EQ(ReadCatalogFile(::testing::TempDir() + "/missing.binpb").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace gavel::store
