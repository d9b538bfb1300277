#include "learning/synthetic.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gavel::learning {
namespace {

constexpr const char* kPlacements[] = {"top_of_search", "rest_of_search", "product_page"};
constexpr const char* kDevices[] = {"desktop", "mobile_web", "mobile_app"};
constexpr const char* kMatches[] = {"exact", "phrase", "broad"};
constexpr int kCategories = 10, kTokens = 30;

std::string Category(int c) { return absl::StrCat("cat-", c); }
std::string Token(int t) { return absl::StrCat("tok", t); }

}  // namespace

SyntheticTruth MakeTruth(uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> w(0, 0.5);
  std::string text = "gavel-ctr-model v1\nhash_bits 18\nbias -3.5\nslot 1 0\nslot 2 -0.5\nslot 3 -0.9\n";
  auto line = [&](absl::string_view feature) {
    absl::StrAppend(&text, feature, absl::StrFormat(" %.6f\n", w(gen)));
  };
  for (const char* p : kPlacements) line(absl::StrCat("placement ", p));
  for (const char* d : kDevices) line(absl::StrCat("device ", d));
  for (const char* m : kMatches) line(absl::StrCat("match ", m));
  for (int c = 0; c < kCategories; ++c) line(absl::StrCat("category ", Category(c)));
  for (int t = 0; t < kTokens; ++t) {
    for (int c = 0; c < kCategories; ++c) {
      line(absl::StrCat("query_token_x_category ", Token(t), " ", Category(c)));
    }
  }
  return {text, *targeting::CtrModel::Parse(text)};
}

std::vector<Example> SyntheticExamples(const targeting::CtrModel& truth, int64_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  auto pick = [&](int k) { return static_cast<int>(gen() % static_cast<uint64_t>(k)); };
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Example> out;
  out.reserve(static_cast<size_t>(n));
  std::vector<Feature> with_slot;
  for (int64_t i = 0; i < n; ++i) {
    Example ex{.time_micros = i, .slot = 1 + pick(3)};
    const std::string category = Category(pick(kCategories));
    ex.features = {{"placement", kPlacements[pick(3)], ""},
                   {"device", kDevices[pick(3)], ""},
                   {"match", kMatches[pick(3)], ""},
                   {"category", category, ""}};
    for (int t = 1 + pick(3); t > 0; --t) {
      ex.features.push_back({"query_token_x_category", Token(pick(kTokens)), category});
    }
    with_slot = ex.features;
    with_slot.push_back({"slot", absl::StrCat(ex.slot), ""});
    ex.clicked = u(gen) < targeting::CtrModel::Sigmoid(*truth.Logit(with_slot));
    out.push_back(std::move(ex));
  }
  return out;
}

}  // namespace gavel::learning
