#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "targeting/ctr_model.h"
#include "targeting/retrieve.h"
#include "targeting/snapshot.h"
#include "tests/targeting/test_catalog.h"

namespace gavel::targeting {
namespace {

using testing::BaseCatalog;
using testing::KeywordTarget;
using testing::Now;
using testing::Search;

// A model with a weight on every template the per-ad features use, so a missing or misnamed
// feature changes the logit.
std::shared_ptr<const CtrModel> RichModel() {
  return *CtrModel::Parse(R"(gavel-ctr-model v1
hash_bits 12
bias -3
placement top_of_search 0.5
device mobile_app 0.25
slot 1 0.125
match phrase 0.75
category shoes 0.3
query_token_x_category running shoes 0.6
query_token_x_category shoes shoes 0.2
segment_x_campaign runners c-1 0.9
)");
}

TEST(CtrFeatures, NameWhatRetrieveScoredAtTheReferenceSlot) {
  catalog::Catalog c = BaseCatalog();
  c.targets.push_back(KeywordTarget("t-1", "running shoes", catalog::MatchType::kPhrase));
  auto s = CatalogSnapshot::Build(std::move(c), 1, RichModel());
  ASSERT_TRUE(s.ok()) << s.status();
  Request r = Search("trail running shoes");
  r.shopper.device = catalog::Device::kMobileApp;
  r.shopper.segments = {"runners", "cyclists"};
  Result out;
  ASSERT_TRUE(Retrieve(**s, r, Now(), /*explain=*/false, &out).ok());
  ASSERT_EQ(out.candidates.size(), 1u);
  const Candidate& cand = out.candidates[0];

  std::vector<NamedFeature> features;
  ASSERT_TRUE(CtrFeatures(**s, r, cand.ad, cand.matched, &features).ok());
  const std::vector<NamedFeature> want = {
      {"placement", "top_of_search", ""},
      {"device", "mobile_app", ""},
      {"match", "phrase", ""},
      {"category", "shoes", ""},
      {"query_token_x_category", "trail", "shoes"},
      {"query_token_x_category", "running", "shoes"},
      {"query_token_x_category", "shoes", "shoes"},  // the query's word before plural merging
      {"segment_x_campaign", "runners", "c-1"},
      {"segment_x_campaign", "cyclists", "c-1"},
  };
  EXPECT_EQ(features, want);
  features.push_back({"slot", "1", ""});
  absl::StatusOr<double> logit = (*s)->model().Logit(features);
  ASSERT_TRUE(logit.ok()) << logit.status();
  EXPECT_NEAR(CtrModel::Sigmoid(*logit), cand.predicted_ctr, 1e-12);
  EXPECT_NEAR(*logit, -3 + 0.5 + 0.25 + 0.125 + 0.75 + 0.3 + 0.6 + 0.2 + 0.9, 1e-6);
}

TEST(CtrFeatures, RefusesAQueryRetrieveWouldRefuse) {
  auto s = testing::MustBuild(BaseCatalog());
  std::vector<NamedFeature> features;
  absl::Status st = CtrFeatures(*s, Search("\xff"), 0, MatchedTarget{}, &features);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "query: invalid UTF-8 at byte 0");
}

}  // namespace
}  // namespace gavel::targeting
