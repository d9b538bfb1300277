// Realistic RunAuction requests for load generation: a weighted query set (from a query file or a
// catalog's keyword targets, Zipf-weighted) and a sampler that adds placements, devices, segments
// and shoppers, all drawn from a caller-supplied generator so a seed reproduces a run's requests.
//
//   absl::StatusOr<QuerySet> queries = QuerySet::FromQueryFileText("running shoes\t5\nsocks\n");
//   RequestSampler sampler(&*queries, RequestMix{});
//   std::mt19937_64 gen(seed);
//   gavel::v1::RunAuctionRequest request;
//   sampler.Sample(gen, &request);
//
// Why Zipf over keyword texts: real search traffic is head-heavy (a few queries carry most of the
// volume, a long tail the rest), which decides how often a server's caches and posting lists hit.
// Ranking a catalog's keywords by how many targets bid on them approximates that popularity.
//
// Both types are immutable after construction: thread-safe to share; each thread brings its own
// generator.
#ifndef GAVEL_TOOLS_LOADGEN_SAMPLER_H_
#define GAVEL_TOOLS_LOADGEN_SAMPLER_H_

#include <string>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gavel/v1/auction.pb.h"
#include "gavel/v1/types.pb.h"

namespace gavel::loadgen {

struct WeightedQuery {
  std::string text;
  double weight = 1;
};

struct RequestMix;

// A non-empty list of queries with positive weights.
class QuerySet {
 public:
  // From "query" or "query<TAB>weight" lines; blank lines and lines starting with '#' are skipped.
  // "@product<TAB>ID" and "@category<TAB>ID" lines (written by ToQueryFileText) add page ids to
  // `pages` when it is not null. kInvalidArgument naming the line when a weight is not a positive
  // number or no query remains.
  static absl::StatusOr<QuerySet> FromQueryFileText(absl::string_view text,
                                                    RequestMix* pages = nullptr);
  // Distinct keyword texts of the catalog's targets, ranked by how many targets use each (ties by
  // text), with weight 1 / rank^zipf_exponent. Falls back to product titles when the catalog has
  // no keyword targets. kInvalidArgument when neither exists or zipf_exponent < 0.
  static absl::StatusOr<QuerySet> FromCatalog(const gavel::v1::Catalog& catalog,
                                              double zipf_exponent);
  // kInvalidArgument when `queries` is empty or a weight is not finite and > 0.
  static absl::StatusOr<QuerySet> FromWeighted(std::vector<WeightedQuery> queries);

  size_t size() const { return queries_.size(); }
  const WeightedQuery& query(size_t i) const { return queries_[i]; }
  // An index drawn with probability weight / total weight.
  size_t Sample(absl::BitGenRef gen) const;

 private:
  explicit QuerySet(std::vector<WeightedQuery> queries);
  std::vector<WeightedQuery> queries_;
  std::vector<double> cumulative_;
};

// Reads a `gavel.v1.Catalog` in protobuf's JSON mapping (unknown fields ignored). kNotFound when
// the file cannot be read, kInvalidArgument with the parser's message when it is not a catalog.
absl::StatusOr<gavel::v1::Catalog> ReadCatalogJson(const std::string& path);

// What the sampled requests look like besides the query.
struct RequestMix {
  int32_t slots = 4;
  // Shopper ids are "u-0" to "u-<users - 1>", uniform.
  int64_t users = 100'000;
  // Products and categories for product-page and category-page requests; when empty, those
  // placements are replaced by top-of-search.
  std::vector<std::string> product_ids;
  std::vector<std::string> category_ids;
};

// The query file FromQueryFileText reads back to the same queries and page ids: what
// `gavel_loadgen --dump_queries` writes, so a large catalog is parsed once, not once per run.
std::string ToQueryFileText(const QuerySet& queries, const RequestMix& pages);

// Builds the product and category id lists of a RequestMix from a catalog, keeping at most
// `max_ids` of each (evenly spaced) so a 1M-ad catalog does not cost the load generator memory.
void AddCatalogIds(const gavel::v1::Catalog& catalog, size_t max_ids, RequestMix* mix);

class RequestSampler {
 public:
  // Does not own `queries`, which must outlive the sampler.
  RequestSampler(const QuerySet* queries, RequestMix mix);

  // Clears `request` and fills it: placement (55% top of search, 30% rest of search, 10% product
  // page, 5% category page), query, slots, device, 0 to 3 segments, shopper id, country and hour.
  // The request_id is left for the caller. Same generator state, same request.
  void Sample(absl::BitGenRef gen, gavel::v1::RunAuctionRequest* request) const;

 private:
  const QuerySet* queries_;
  RequestMix mix_;
};

}  // namespace gavel::loadgen

#endif  // GAVEL_TOOLS_LOADGEN_SAMPLER_H_
