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

}  // namespace
}  // namespace gavel::targeting
