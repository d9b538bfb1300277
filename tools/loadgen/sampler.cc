#include "tools/loadgen/sampler.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/random/distributions.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"

namespace gavel::loadgen {
namespace {

// Audience segments a retailer's client might assign; the catalog generator's predicates draw from
// similar names, so some requests pass segment predicates and some do not.
constexpr absl::string_view kSegments[] = {
    "new-parent", "pet-owner",      "runner",  "gamer",           "home-cook", "student",
    "outdoors",   "bargain-hunter", "premium", "tech-enthusiast", "gardener",  "traveler",
};

// Device shares of retail search traffic, roughly: mobile leads, tablets trail.
constexpr std::pair<gavel::v1::Device, double> kDevices[] = {
    {gavel::v1::DEVICE_MOBILE_WEB, 0.40},
    {gavel::v1::DEVICE_DESKTOP, 0.30},
    {gavel::v1::DEVICE_MOBILE_APP, 0.25},
    {gavel::v1::DEVICE_TABLET, 0.05},
};

}  // namespace

QuerySet::QuerySet(std::vector<WeightedQuery> queries) : queries_(std::move(queries)) {
  cumulative_.reserve(queries_.size());
  double total = 0;
  for (const WeightedQuery& q : queries_) {
    total += q.weight;
    cumulative_.push_back(total);
  }
}

absl::StatusOr<QuerySet> QuerySet::FromWeighted(std::vector<WeightedQuery> queries) {
  if (queries.empty()) return absl::InvalidArgumentError("query set is empty");
  for (const WeightedQuery& q : queries) {
    if (!std::isfinite(q.weight) || q.weight <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("weight of query \"", q.text, "\" must be > 0, got ", q.weight));
    }
  }
  return QuerySet(std::move(queries));
}

absl::StatusOr<QuerySet> QuerySet::FromQueryFileText(absl::string_view text, RequestMix* pages) {
  std::vector<WeightedQuery> queries;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    if (absl::ConsumePrefix(&line, "@product\t")) {
      if (pages != nullptr) pages->product_ids.emplace_back(line);
      continue;
    }
    if (absl::ConsumePrefix(&line, "@category\t")) {
      if (pages != nullptr) pages->category_ids.emplace_back(line);
      continue;
    }
    WeightedQuery q;
    const size_t tab = line.rfind('\t');
    if (tab == absl::string_view::npos) {
      q.text = std::string(line);
    } else {
      q.text = std::string(absl::StripAsciiWhitespace(line.substr(0, tab)));
      if (!absl::SimpleAtod(line.substr(tab + 1), &q.weight) || !std::isfinite(q.weight) ||
          q.weight <= 0) {
        return absl::InvalidArgumentError(absl::StrCat("query file line ", line_number,
                                                       ": weight must be a number > 0, got \"",
                                                       line.substr(tab + 1), "\""));
      }
    }
    if (q.text.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("query file line ", line_number, ": empty query"));
    }
    queries.push_back(std::move(q));
  }
  if (queries.empty()) return absl::InvalidArgumentError("query file has no queries");
  return QuerySet(std::move(queries));
}

absl::StatusOr<QuerySet> QuerySet::FromCatalog(const gavel::v1::Catalog& catalog,
                                               double zipf_exponent) {
  if (!(zipf_exponent >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("zipf exponent must be >= 0, got ", zipf_exponent));
  }
  absl::flat_hash_map<std::string, int64_t> uses;
  for (const gavel::v1::Target& target : catalog.targets()) {
    if (target.has_keyword() && !target.keyword().text().empty()) ++uses[target.keyword().text()];
  }
  if (uses.empty()) {
    for (const gavel::v1::Product& product : catalog.products()) {
      if (!product.title().empty()) ++uses[product.title()];
    }
  }
  if (uses.empty()) {
    return absl::InvalidArgumentError("catalog has neither keyword targets nor product titles");
  }
  std::vector<std::pair<std::string, int64_t>> ranked(uses.begin(), uses.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<WeightedQuery> queries;
  queries.reserve(ranked.size());
  for (size_t rank = 1; rank <= ranked.size(); ++rank) {
    queries.push_back({std::move(ranked[rank - 1].first),
                       1.0 / std::pow(static_cast<double>(rank), zipf_exponent)});
  }
  return QuerySet(std::move(queries));
}

size_t QuerySet::Sample(absl::BitGenRef gen) const {
  const double x = absl::Uniform(gen, 0.0, cumulative_.back());
  const size_t i =
      std::upper_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin();
  return std::min(i, queries_.size() - 1);
}

std::string ToQueryFileText(const QuerySet& queries, const RequestMix& pages) {
  std::string out = "# gavel_loadgen query file: query<TAB>weight, then page ids\n";
  for (size_t i = 0; i < queries.size(); ++i) {
    // %.17g round-trips a double exactly, so the reread set samples identically.
    absl::StrAppend(&out, queries.query(i).text, "\t",
                    absl::StrFormat("%.17g", queries.query(i).weight), "\n");
  }
  for (const std::string& id : pages.product_ids) absl::StrAppend(&out, "@product\t", id, "\n");
  for (const std::string& id : pages.category_ids) absl::StrAppend(&out, "@category\t", id, "\n");
  return out;
}

absl::StatusOr<gavel::v1::Catalog> ReadCatalogJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read catalog file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  gavel::v1::Catalog catalog;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto status = google::protobuf::util::JsonStringToMessage(buffer.str(), &catalog, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("catalog file ", path, " is not a gavel.v1.Catalog: ", status.ToString()));
  }
  return catalog;
}

void AddCatalogIds(const gavel::v1::Catalog& catalog, size_t max_ids, RequestMix* mix) {
  auto take = [max_ids](const auto& entities, std::vector<std::string>* out) {
    const size_t n = entities.size();
    if (n == 0 || max_ids == 0) return;
    const size_t step = std::max<size_t>(1, n / max_ids);
    for (size_t i = 0; i < n && out->size() < max_ids; i += step) out->push_back(entities[i].id());
  };
  take(catalog.products(), &mix->product_ids);
  take(catalog.categories(), &mix->category_ids);
}

RequestSampler::RequestSampler(const QuerySet* queries, RequestMix mix)
    : queries_(queries), mix_(std::move(mix)) {}

void RequestSampler::Sample(absl::BitGenRef gen, gavel::v1::RunAuctionRequest* request) const {
  request->Clear();
  request->set_slots(mix_.slots);
  const double placement = absl::Uniform(gen, 0.0, 1.0);
  if (placement < 0.10 && !mix_.product_ids.empty()) {
    request->set_placement(gavel::v1::PLACEMENT_PRODUCT_PAGE);
    request->mutable_page()->set_viewed_product_id(
        mix_.product_ids[absl::Uniform<size_t>(gen, 0, mix_.product_ids.size())]);
  } else if (placement >= 0.10 && placement < 0.15 && !mix_.category_ids.empty()) {
    request->set_placement(gavel::v1::PLACEMENT_CATEGORY_PAGE);
    request->mutable_page()->add_category_ids(
        mix_.category_ids[absl::Uniform<size_t>(gen, 0, mix_.category_ids.size())]);
  } else {
    request->set_placement(placement < 0.70 ? gavel::v1::PLACEMENT_TOP_OF_SEARCH
                                            : gavel::v1::PLACEMENT_REST_OF_SEARCH);
    request->set_query(queries_->query(queries_->Sample(gen)).text);
  }

  gavel::v1::ShopperSignals* shopper = request->mutable_shopper();
  shopper->set_user_id(absl::StrCat("u-", absl::Uniform<int64_t>(gen, 0, mix_.users)));
  const double device = absl::Uniform(gen, 0.0, 1.0);
  double cumulative = 0;
  shopper->set_device(gavel::v1::DEVICE_DESKTOP);
  for (const auto& [value, share] : kDevices) {
    cumulative += share;
    if (device < cumulative) {
      shopper->set_device(value);
      break;
    }
  }
  // 0 to 3 distinct segments: a draw that repeats one already chosen is skipped.
  const int segments = absl::Uniform<int>(gen, 0, 4);
  for (int i = 0; i < segments; ++i) {
    const absl::string_view segment =
        kSegments[absl::Uniform<size_t>(gen, 0, sizeof(kSegments) / sizeof(kSegments[0]))];
    if (std::find(shopper->segments().begin(), shopper->segments().end(), segment) ==
        shopper->segments().end()) {
      shopper->add_segments(std::string(segment));
    }
  }
  shopper->set_country("US");
  shopper->set_local_hour(absl::Uniform<int32_t>(gen, 0, 24));
}

}  // namespace gavel::loadgen
