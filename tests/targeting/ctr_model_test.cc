#include "targeting/ctr_model.h"

#include "gtest/gtest.h"

namespace gavel::targeting {
namespace {

TEST(CtrModel, ParsesWeightsAndHashesFeatures) {
  auto m = CtrModel::Parse(R"(# comment
gavel-ctr-model v1
hash_bits 12
baseline_ctr 0.03
bias -3
placement top_of_search 0.5
query_token_x_category shoe shoes 1.25
)");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)->hash_bits(), 12);
  EXPECT_DOUBLE_EQ((*m)->baseline_ctr(), 0.03);
  EXPECT_DOUBLE_EQ((*m)->bias(), -3);
  EXPECT_FLOAT_EQ((*m)->Weight(CtrFeature::kPlacement, CtrModel::Hash("top_of_search")), 0.5);
  EXPECT_FLOAT_EQ((*m)->Weight(CtrFeature::kQueryTokenXCategory, CtrModel::Hash("shoe"),
                               CtrModel::Hash("shoes")),
                  1.25);
}

TEST(CtrModel, ErrorsNameTheLine) {
  auto bad = CtrModel::Parse("gavel-ctr-model v1\nbias -3\ncolour red 1\n");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "model line 3: unknown feature \"colour\"");
  EXPECT_EQ(CtrModel::Parse("gavel-ctr-model v1\nsegment_x_campaign a 1\n").status().message(),
            "model line 2: segment_x_campaign takes 2 value(s) and a weight");
  EXPECT_EQ(CtrModel::Parse("bias 1\n").status().message(),
            "model line 1: expected header \"gavel-ctr-model v1\"");
  EXPECT_EQ(CtrModel::Parse("gavel-ctr-model v1\nbaseline_ctr 2\n").status().message(),
            "model line 2: baseline_ctr must be in (0, 1), got 2");
  EXPECT_EQ(CtrModel::Parse("gavel-ctr-model v1\nbias x\n").status().message(),
            "model line 2: bad number \"x\"");
}

TEST(CtrModel, LoadFileMissingIsNotFound) {
  EXPECT_EQ(CtrModel::LoadFile("/nonexistent/model.txt").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(CtrModel, ShippedDefaultModelParses) {
  auto m = CtrModel::LoadFile("data/default_model.txt");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_GT((*m)->Weight(CtrFeature::kMatch, CtrModel::Hash("exact")), 0);
}

TEST(CtrModel, DefaultModelIsUsable) {
  auto m = CtrModel::Default();
  EXPECT_DOUBLE_EQ(m->baseline_ctr(), 0.02);
  EXPECT_LT(CtrModel::Sigmoid(m->bias()), 0.05);
}

TEST(CtrModel, LogitSumsBiasAndNamedFeatures) {
  auto m = CtrModel::Parse(
      "gavel-ctr-model v1\nhash_bits 12\nbias -3\nplacement top_of_search 0.5\n"
      "query_token_x_category shoe shoes 1.25\n");
  ASSERT_TRUE(m.ok()) << m.status();
  auto logit = (*m)->Logit({{"placement", "top_of_search", ""},
                            {"query_token_x_category", "shoe", "shoes"},
                            {"device", "tablet", ""}});  // absent: weight 0
  ASSERT_TRUE(logit.ok()) << logit.status();
  EXPECT_DOUBLE_EQ(*logit, -3 + 0.5 + 1.25);
  EXPECT_EQ((*m)->Logit({{"colour", "red", ""}}).status().message(), "unknown feature \"colour\"");
  EXPECT_EQ((*m)->Logit({{"segment_x_campaign", "s", ""}}).status().message(),
            "segment_x_campaign takes 2 value(s)");
}

TEST(CtrModel, VersionNamesTheFileText) {
  auto a = CtrModel::Parse("gavel-ctr-model v1\nbias -3\n");
  auto b = CtrModel::Parse("gavel-ctr-model v1\nbias -3\n# retrained\n");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->version().size(), 16u);
  EXPECT_NE((*a)->version(), (*b)->version());
  EXPECT_EQ((*a)->version(), (*CtrModel::Parse("gavel-ctr-model v1\nbias -3\n"))->version());
  EXPECT_EQ(CtrModel::Default()->version().size(), 16u);
}

}  // namespace
}  // namespace gavel::targeting
