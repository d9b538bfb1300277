// Retrieval and scoring: from a request (query, page, shopper) to the candidate ads an auction
// ranks, each with its matched target, adjusted bid, relevance, predicted CTR and quality.
//
//   Retriever r;                                   // reuse per thread: keeps scratch memory
//   Result result;
//   absl::Status s = r.Retrieve(*snapshot, request, absl::Now(), /*explain=*/false, &result);
//   for (const Candidate& c : result.candidates) use(snapshot->ad_id(c.ad), c.bid_micros);
//
// Every rule (which targets a request can match, negatives, predicates, schedule, bid adjustment
// order and rounding, relevance, pCTR and quality formulas, early termination) is written down in
// docs/targeting.md.
//
// Ownership: results hold dense indexes and string_views into the snapshot; the snapshot must
// outlive them. Thread safety: a Retriever is not thread-safe (one per thread); the free function
// Retrieve and any number of Retrievers may read one snapshot concurrently.
#ifndef GAVEL_TARGETING_RETRIEVE_H_
#define GAVEL_TARGETING_RETRIEVE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "targeting/normalize.h"
#include "targeting/snapshot.h"
#include "targeting/variants.h"

namespace gavel::targeting {

struct Request {
  catalog::Placement placement = catalog::Placement::kUnspecified;
  std::string query;                      // <= 512 bytes, <= 32 tokens
  std::vector<std::string> category_ids;  // page / query categories
  std::string viewed_product_id;
  std::vector<std::string> cart_product_ids;
  struct Shopper {
    std::string user_id;
    std::vector<std::string> segments;
    catalog::Device device = catalog::Device::kUnspecified;
    std::string country, region;
    int local_hour = -1;  // 0-23; -1 unknown
  } shopper;
  int slots = 1;
};

enum class MatchKind { kKeyword, kProduct, kCategory, kAuto };

struct MatchedTarget {
  MatchKind kind = MatchKind::kKeyword;
  int32_t target = -1;  // manual target's dense index; -1 for automatic targeting
  // The keyword as the advertiser wrote it; into the snapshot. Retrieve sets it on rejections and,
  // with `explain`, on candidates; otherwise it is empty and a caller that shows a candidate reads
  // snapshot.catalog().targets[target].keyword.text (the engine does, for winners only).
  absl::string_view keyword_text;
  catalog::MatchType match_type = catalog::MatchType::kUnspecified;
  catalog::AutoTargetGroup auto_group = catalog::AutoTargetGroup::kUnspecified;
};

struct Candidate {
  int32_t ad;  // dense ProductAd index
  MatchedTarget matched;
  int64_t bid_micros;    // after every adjustment
  double relevance;      // [0, 1]
  double predicted_ctr;  // (0, 1), for slot 1
  double quality;        // (0, 1]
  double score() const { return static_cast<double>(bid_micros) * quality; }
};

enum class RejectReason { kNegativeKeyword, kTargetingExcluded, kLowRelevance, kOutOfSchedule };
// "NEGATIVE_KEYWORD", ... (the LossReason suffix).
absl::string_view RejectReasonName(RejectReason r);

struct Rejection {
  int32_t ad;
  MatchedTarget matched;
  RejectReason reason;
  std::string detail;  // e.g. "negative phrase keyword \"used\" on campaign c-12"
  // What was known when the ad was rejected, before pCTR and bid adjustments: the resolved bid
  // (target -> ad group -> campaign) and the match's relevance.
  int64_t base_bid_micros = 0;
  double relevance = 0;
};

struct Result {
  // Best first by bid x quality, then ad index; one per ad; at most
  // K = min(rules.max_candidates, max(32, 8 x slots)), exactly the K best (docs/targeting.md).
  std::vector<Candidate> candidates;
  std::vector<Rejection> rejections;  // explain only: matched ads that produced no candidate
  // Work done, for benchmarks and debugging: postings read (all lists), ads evaluated.
  int64_t postings_read = 0, ads_considered = 0;
};

// Applies the placement multiplier then the bidding strategy to a resolved bid, rounding down to
// whole micros after each step (the strategy factor is first floored to 1/10,000).
int64_t AdjustBid(int64_t base_bid_micros, int32_t placement_percent,
                  catalog::BiddingStrategy strategy, catalog::Placement placement,
                  double predicted_ctr, double baseline_ctr);

class Retriever {
 public:
  Retriever();
  ~Retriever();

  // Fills `out` (cleared first). OK on success; INVALID_ARGUMENT naming the field for a bad query
  // ("query: invalid UTF-8 at byte 7", "query must have at most 32 tokens, got 40"), slots outside
  // [1, 40], shopper.local_hour outside [-1, 23], or an out-of-range placement/device. Unknown ids
  // in the request (categories, products, segments) match nothing; they are not errors.
  // With `explain`, every matching posting is scanned (no early termination) and rejections kept.
  absl::Status Retrieve(const CatalogSnapshot& snapshot, const Request& request, absl::Time now,
                        bool explain, Result* out);
  // The normalised query tokens of the last Retrieve (empty before the first).
  const TokenizedText& query_text() const { return text_; }

 private:
  struct Query;
  enum class SourceKind : uint8_t;
  struct Source;
  // The phases of Retrieve, in order (the rules of each are in docs/targeting.md).
  void ResolveShopper(Query& q);
  void BoundCtr(Query& q);
  int32_t QueryTokenId(const TargetIndex& ix, absl::string_view token);
  void InternQueryTokens(const Query& q);
  void MatchNegatives(const Query& q);
  void AddSource(absl::Span<const Posting> list, SourceKind kind, double max_relevance,
                 double relevance, uint32_t start = 0, uint32_t len = 0);
  void AddExactAndPhraseSources(const Query& q);
  void AddBroadSources(const Query& q);
  void AddProductAndCategorySources(const Query& q);
  void AddTitleSources(const DenseLists<Posting>& lists, SourceKind kind, double min_coverage,
                       double max_relevance);
  void AddAutomaticSources(const Query& q);
  void ReadSourcesMerged(const Query& q);
  void KeepBest(const Query& q);
  void FinishExplain(const Query& q);
  // Scoring one posting, target or ad.
  void Consider(const Query& q, int32_t ad, const MatchedTarget& m, double relevance,
                int64_t base_bid);
  void ConsiderTarget(const Query& q, const Posting& p, const MatchedTarget& m, double relevance);
  void ReadPosting(const Query& q, const Source& src, const Posting& p);
  static void Prefetch(const CatalogSnapshot& s, const Source& src);
  static double AdBound(const Query& q, const CampaignInfo& ci, int64_t base_bid, double relevance,
                        double ctr_factor);
  static int SourceMatchIndex(SourceKind kind);
  void Compact(size_t k);
  void Reject(const Query& q, int32_t ad, const MatchedTarget& m, int64_t base_bid,
              double relevance, RejectReason r, std::string detail);
  // nullptr when the shopper passes; otherwise why not.
  const char* PredicateFailure(const Query& q, int32_t pred) const;

  TokenizedText text_;
  std::unique_ptr<Stemmer> stemmer_;  // for the last snapshot's language
  std::vector<std::string> singulars_;
  // Query token ids with close variants (typos corrected), and as typed (for negatives).
  std::vector<int32_t> ids_, typed_ids_, id_set_, stem_set_, segments_, subset_;
  TypoIndex::Scratch typo_scratch_;
  std::vector<uint64_t> token_hashes_, segment_hashes_;
  std::vector<double> heap_;                // min-heap of the K best first scores of distinct ads
  std::vector<int32_t> matched_negatives_;  // sorted negative phrases the query matches
  absl::flat_hash_map<int32_t, int32_t> best_;      // ad -> index in candidates
  absl::flat_hash_map<int32_t, int32_t> rejected_;  // ad -> index in rejections
  absl::flat_hash_set<int32_t> close_seen_, loose_seen_;
  std::vector<Source> sources_;
  std::vector<int> order_;              // heap of source indexes by next bound
  std::vector<int32_t> page_products_;  // the viewed product, then cart_products_
  std::vector<int32_t> cart_products_;
  std::vector<std::pair<size_t, std::pair<int32_t, size_t>>> rare_;  // list size, token, count
  double ctr_factor_[9] = {};  // per match kind: bound of quality / sqrt(relevance)
  double threshold_ = 0;       // K-th best score so far, once there are K candidates
  Result* out_ = nullptr;
};

// The click model's features of candidate `ad` matched by `matched` for `request`, named as the
// model file names them and in the order Retrieve sums them into predicted_ctr: placement, device,
// match, then (when the ad's product has a category) category and one query_token_x_category per
// normalised query token, then one segment_x_campaign per shopper segment. The slot is not among
// them: Retrieve scores every ad at slot 1, the reference slot (docs/learning.md). Fills `out`
// (cleared first); INVALID_ARGUMENT as Retrieve for a query it would refuse.
absl::Status CtrFeatures(const CatalogSnapshot& snapshot, const Request& request, int32_t ad,
                         const MatchedTarget& matched, std::vector<NamedFeature>* out);

// Convenience: a fresh Retriever per call (allocates scratch each time).
absl::Status Retrieve(const CatalogSnapshot& snapshot, const Request& request, absl::Time now,
                      bool explain, Result* out);

}  // namespace gavel::targeting

#endif  // GAVEL_TARGETING_RETRIEVE_H_
