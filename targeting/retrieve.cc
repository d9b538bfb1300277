#include "targeting/retrieve.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "catalog/limits.h"

namespace gavel::targeting {

using ::gavel::catalog::AutoTargetGroup;
using ::gavel::catalog::BiddingStrategy;
using ::gavel::catalog::Campaign;
using ::gavel::catalog::Keyword;
using ::gavel::catalog::kMaxKeywordTokens;
using ::gavel::catalog::kNumPlacements;
using ::gavel::catalog::MatchType;
using ::gavel::catalog::Placement;

namespace {

constexpr double kCloseMatchCoverage = 0.75;
constexpr double kLooseMatchCoverage = 0.25;
constexpr size_t kMinCandidates = 32;
constexpr size_t kMaxBroadSubsetTokens = 8;  // 255 subset lookups at most

// Broad match relevance: k distinct keyword tokens, n query tokens.
double BroadRelevance(size_t k, size_t n) {
  return 0.25 + 0.5 * std::min(1.0, static_cast<double>(k) / static_cast<double>(n));
}
constexpr size_t kCandidatesPerSlot = 8;

// Explain details of ads held back for the shopper's page or cart (docs/targeting.md).
constexpr absl::string_view kCartProduct = "a product in the shopper's cart";
constexpr absl::string_view kViewedProduct = "the product this page shows";

// Names used in the CTR model file for placements, devices and match kinds.
constexpr absl::string_view kPlacementNames[kNumPlacements] = {
    "unspecified",   "top_of_search", "rest_of_search", "product_page",
    "category_page", "home_page",     "checkout"};
constexpr absl::string_view kDeviceNames[5] = {"unspecified", "desktop", "mobile_web", "mobile_app",
                                               "tablet"};

// CtrModel::Hash of every match name, indexed by MatchIndex.
constexpr absl::string_view kMatchNames[9] = {"exact",       "phrase",      "broad",
                                              "product",     "category",    "close_match",
                                              "loose_match", "substitutes", "complements"};
const std::array<uint64_t, 9>& MatchHashes() {
  static const std::array<uint64_t, 9> kHashes = [] {
    std::array<uint64_t, 9> h{};
    for (int i = 0; i < 9; ++i) h[i] = CtrModel::Hash(kMatchNames[i]);
    return h;
  }();
  return kHashes;
}

int MatchIndex(const MatchedTarget& m) {
  switch (m.kind) {
    case MatchKind::kKeyword:
      return static_cast<int>(m.match_type) - 1;
    case MatchKind::kProduct:
      return 3;
    case MatchKind::kCategory:
      return 4;
    case MatchKind::kAuto:
      return 4 + static_cast<int>(m.auto_group);
  }
  return 0;
}

bool Contains(absl::Span<const int32_t> sorted, int32_t v) {
  return std::binary_search(sorted.begin(), sorted.end(), v);
}

bool AnyIn(const std::vector<int32_t>& values, const std::vector<int32_t>& sorted_set) {
  for (int32_t v : values) {
    if (Contains(sorted_set, v)) return true;
  }
  return false;
}

bool BetterCandidate(const Candidate& a, const Candidate& b) {
  return a.score() != b.score() ? a.score() > b.score() : a.ad < b.ad;
}

// INVALID_ARGUMENT naming the field when the request is outside the documented ranges.
absl::Status ValidateRequest(const Request& r) {
  if (r.shopper.local_hour < -1 || r.shopper.local_hour > 23) {
    return absl::InvalidArgumentError(
        absl::StrCat("shopper.local_hour must be in [0, 23] or -1, got ", r.shopper.local_hour));
  }
  if (static_cast<int>(r.placement) < 0 || static_cast<int>(r.placement) >= kNumPlacements) {
    return absl::InvalidArgumentError(
        absl::StrCat("placement is out of range, got ", static_cast<int>(r.placement)));
  }
  if (static_cast<int>(r.shopper.device) < 0 || static_cast<int>(r.shopper.device) > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("shopper.device is out of range, got ", static_cast<int>(r.shopper.device)));
  }
  if (r.slots < 1 || r.slots > 40) {
    return absl::InvalidArgumentError(absl::StrCat("slots must be in [1, 40], got ", r.slots));
  }
  return absl::OkStatus();
}

}  // namespace

enum class Retriever::SourceKind : uint8_t {
  kPhrase,
  kExact,
  kBroadSet,
  kBroad,
  kProduct,
  kCategory,
  kClose,
  kLoose,
  kSubstitutes,
  kComplements
};

// MatchIndex (exact, phrase, broad, product, category, close, loose, substitutes, complements)
// of what a hit in a list of this kind is.
int Retriever::SourceMatchIndex(SourceKind kind) {
  constexpr int kIndex[] = {1, 0, 2, 2, 3, 4, 5, 6, 7, 8};
  return kIndex[static_cast<int>(kind)];
}

// One posting list being read, with what a hit in it means.
struct Retriever::Source {
  const Posting* next;
  const Posting* end;
  SourceKind kind;
  double rel_factor;    // sqrt(max relevance of the list): bound of quality
  double relevance;     // fixed relevance; for close/loose, the minimum matching positions
  uint32_t start, len;  // phrase/exact: the query window
};

absl::string_view RejectReasonName(RejectReason r) {
  switch (r) {
    case RejectReason::kNegativeKeyword:
      return "NEGATIVE_KEYWORD";
    case RejectReason::kTargetingExcluded:
      return "TARGETING_EXCLUDED";
    case RejectReason::kLowRelevance:
      return "LOW_RELEVANCE";
    case RejectReason::kOutOfSchedule:
      return "OUT_OF_SCHEDULE";
  }
  return "UNKNOWN";
}

int64_t AdjustBid(int64_t bid, int32_t placement_percent, BiddingStrategy strategy,
                  Placement placement, double predicted_ctr, double baseline_ctr) {
  bid = bid * (100 + placement_percent) / 100;
  double factor = 1.0;
  const double ratio = predicted_ctr / baseline_ctr;
  if (strategy == BiddingStrategy::kDynamicDownOnly) {
    factor = std::min(1.0, ratio);
  } else if (strategy == BiddingStrategy::kDynamicUpAndDown) {
    factor = std::min(placement == Placement::kTopOfSearch ? 2.0 : 1.5, ratio);
  }
  const auto basis_points = static_cast<int64_t>(std::floor(std::max(0.0, factor) * 10'000));
  return bid * basis_points / 10'000;
}

struct Retriever::Query {
  const CatalogSnapshot& s;
  const Request& r;
  absl::Time now;
  bool explain;
  size_t max_candidates;
  int32_t country = -2, region = -2;  // predicate value ids; -2 = unknown to the catalog
  int32_t viewed = -1;                // the viewed product's index; -1 = none or unknown
  double base_logit = 0;
};

void Retriever::Reject(const Query& q, int32_t ad, const MatchedTarget& m, int64_t base_bid,
                       double relevance, RejectReason r, std::string detail) {
  if (!q.explain) return;
  if (!rejected_.emplace(ad, static_cast<int32_t>(out_->rejections.size())).second) return;
  out_->rejections.push_back({ad, m, r, std::move(detail), base_bid, relevance});
}

const char* Retriever::PredicateFailure(const Query& q, int32_t pred) const {
  const CompiledPredicates& p = q.s.index().predicates[pred];
  const Request::Shopper& sh = q.r.shopper;
  if (!p.include_segments.empty() && !AnyIn(segments_, p.include_segments)) {
    return "does not include the shopper's segments";
  }
  if (AnyIn(segments_, p.exclude_segments)) return "excludes a shopper segment";
  const uint8_t device = static_cast<uint8_t>(1u << static_cast<int>(sh.device));
  if (p.include_devices != 0 && !(p.include_devices & device)) {
    return "does not include the shopper's device";
  }
  if (p.exclude_devices & device) return "excludes the shopper's device";
  if (!p.include_countries.empty() && !Contains(p.include_countries, q.country)) {
    return "does not include the shopper's country";
  }
  if (Contains(p.exclude_countries, q.country)) return "excludes the shopper's country";
  if (!p.include_regions.empty() && !Contains(p.include_regions, q.region)) {
    return "does not include the shopper's region";
  }
  if (Contains(p.exclude_regions, q.region)) return "excludes the shopper's region";
  if (p.include_hours != 0 && (sh.local_hour < 0 || !(p.include_hours & (1u << sh.local_hour)))) {
    return "does not include the shopper's local hour";
  }
  return nullptr;
}

// An ad's own bound: its bid after the placement multiplier and the strategy's largest factor,
// times sqrt(relevance) >= quality. At or below the K-th best score it cannot enter the top K.
double Retriever::AdBound(const Query& q, const CampaignInfo& ci, int64_t base_bid,
                          double relevance, double ctr_factor) {
  const double strategy_max = ci.strategy != BiddingStrategy::kDynamicUpAndDown ? 1.0
                              : q.r.placement == Placement::kTopOfSearch        ? 2.0
                                                                                : 1.5;
  return static_cast<double>(base_bid) *
         (100 + ci.placement_percent[static_cast<int>(q.r.placement)]) / 100 * strategy_max *
         std::max(1e-6, std::sqrt(relevance) * ctr_factor);
}

void Retriever::Consider(const Query& q, int32_t ad, const MatchedTarget& m, double relevance,
                         int64_t base_bid) {
  ++out_->ads_considered;
  const CatalogSnapshot& s = q.s;
  const AdInfo& info = s.ad_info(ad);
  // One rule for every target kind: what the shopper already has in the cart is not advertised.
  if (!cart_products_.empty() && std::find(cart_products_.begin(), cart_products_.end(),
                                           info.product) != cart_products_.end()) {
    if (q.explain) {
      Reject(q, ad, m, base_bid, relevance, RejectReason::kTargetingExcluded,
             std::string(kCartProduct));
    }
    return;
  }
  const int32_t g = info.ad_group;
  const int32_t c = info.campaign;
  const CampaignInfo& ci = s.campaign_info(c);
  const int32_t placement_percent = ci.placement_percent[static_cast<int>(q.r.placement)];
  if (!q.explain && threshold_ > 0 &&
      AdBound(q, ci, base_bid, relevance, ctr_factor_[MatchIndex(m)]) <= threshold_) {
    return;
  }
  if (q.now < ci.start || q.now >= ci.end) {
    if (q.explain) {
      const Campaign& campaign = s.catalog().campaigns[c];
      Reject(q, ad, m, base_bid, relevance, RejectReason::kOutOfSchedule,
             absl::StrCat("campaign ", campaign.id, " serves ",
                          campaign.start_date ? absl::FormatCivilTime(*campaign.start_date) : "",
                          "..", campaign.end_date ? absl::FormatCivilTime(*campaign.end_date) : "",
                          " in ", campaign.time_zone.name()));
    }
    return;
  }
  if (!matched_negatives_.empty()) {
    const TargetIndex& ix = s.index();
    for (const absl::Span<const int32_t> owned :
         {ix.campaign_negatives.Get(c), ix.ad_group_negatives.Get(g)}) {
      for (const int32_t neg : owned) {
        const NegativeRef& n = ix.negatives[neg];
        if (!Contains(matched_negatives_, n.phrase)) continue;
        if (q.explain) {
          const Keyword& k = n.campaign_level
                                 ? s.catalog().campaigns[c].negative_keywords[n.ordinal]
                                 : s.catalog().ad_groups[g].negative_keywords[n.ordinal];
          Reject(q, ad, m, base_bid, relevance, RejectReason::kNegativeKeyword,
                 absl::StrCat(
                     "negative ", k.match_type == MatchType::kExact ? "exact" : "phrase",
                     " keyword \"", k.text, "\" on ", n.campaign_level ? "campaign " : "ad group ",
                     n.campaign_level ? s.catalog().campaigns[c].id : s.catalog().ad_groups[g].id));
        }
        return;
      }
    }
  }
  for (const int32_t pred : {ci.predicates, info.ad_group_predicates}) {
    if (pred < 0) continue;
    const char* why = PredicateFailure(q, pred);
    if (why == nullptr) continue;
    if (q.explain) {
      const bool campaign_level = pred == ci.predicates;
      Reject(
          q, ad, m, base_bid, relevance, RejectReason::kTargetingExcluded,
          absl::StrCat(campaign_level ? "campaign " : "ad group ",
                       campaign_level ? s.catalog().campaigns[c].id : s.catalog().ad_groups[g].id,
                       " ", why));
    }
    return;
  }
  if (relevance < s.rules().min_relevance) {
    if (q.explain) {
      Reject(
          q, ad, m, base_bid, relevance, RejectReason::kLowRelevance,
          absl::StrCat("relevance ", relevance, " is below the minimum ", s.rules().min_relevance));
    }
    return;
  }
  // Predicted CTR (docs/targeting.md, "CTR model").
  const CtrModel& model = s.model();
  const int32_t category = info.category;
  double logit = q.base_logit + model.Weight(CtrFeature::kMatch, MatchHashes()[MatchIndex(m)]);
  if (category >= 0) {
    const uint64_t ch = s.index().category_hash[category];
    logit += model.Weight(CtrFeature::kCategory, ch);
    for (uint64_t th : token_hashes_)
      logit += model.Weight(CtrFeature::kQueryTokenXCategory, th, ch);
  }
  if (!segment_hashes_.empty()) {
    const uint64_t campaign_hash = ci.id_hash;
    for (uint64_t sh : segment_hashes_) {
      logit += model.Weight(CtrFeature::kSegmentXCampaign, sh, campaign_hash);
    }
  }
  const double pctr = CtrModel::Sigmoid(logit);
  const double quality =
      std::max(1e-6, std::sqrt(relevance * pctr / (pctr + model.baseline_ctr())));
  const int64_t bid = AdjustBid(base_bid, placement_percent, ci.strategy, q.r.placement, pctr,
                                model.baseline_ctr());
  const Candidate cand{ad, m, bid, relevance, pctr, quality};
  auto [it, inserted] = best_.emplace(ad, static_cast<int32_t>(out_->candidates.size()));
  if (inserted) {
    out_->candidates.push_back(cand);
  } else if (cand.score() > out_->candidates[it->second].score()) {
    out_->candidates[it->second] = cand;
  }
  if (q.explain) return;
  // Threshold = the smallest of the K best first scores of distinct ads: each entry is at most its
  // ad's final score, so the threshold never exceeds the true K-th best (pruning stays exact).
  if (inserted) {
    if (heap_.size() < q.max_candidates) {
      heap_.push_back(cand.score());
      std::push_heap(heap_.begin(), heap_.end(), std::greater<double>());
    } else if (cand.score() > heap_.front()) {
      std::pop_heap(heap_.begin(), heap_.end(), std::greater<double>());
      heap_.back() = cand.score();
      std::push_heap(heap_.begin(), heap_.end(), std::greater<double>());
    }
    if (heap_.size() == q.max_candidates) threshold_ = heap_.front();
  }
  if (out_->candidates.size() >= 8 * q.max_candidates) Compact(q.max_candidates);
}

// Keeps the best k candidates (bounded memory); the heap is rebuilt from them, exactly.
void Retriever::Compact(size_t k) {
  auto& cands = out_->candidates;
  std::nth_element(cands.begin(), cands.begin() + (k - 1), cands.end(), BetterCandidate);
  cands.resize(k);
  best_.clear();
  heap_.clear();
  for (size_t i = 0; i < cands.size(); ++i) {
    best_.emplace(cands[i].ad, static_cast<int32_t>(i));
    heap_.push_back(cands[i].score());
  }
  std::make_heap(heap_.begin(), heap_.end(), std::greater<double>());
  threshold_ = heap_.front();
}

void Retriever::ConsiderTarget(const Query& q, const Posting& p, const MatchedTarget& m,
                               double relevance) {
  const TargetInfo& t = q.s.target_info(p.id);
  if (!q.explain && threshold_ > 0 &&
      AdBound(q, q.s.campaign_info(t.campaign), t.bid_micros, relevance,
              ctr_factor_[MatchIndex(m)]) <= threshold_) {
    return;  // no ad of the group can enter the top K (same bound as in Consider)
  }
  const int32_t* ads = q.s.index().ad_group_ads.items.data();
  for (uint32_t i = t.ads_begin; i < t.ads_end; ++i)
    Consider(q, ads[i], m, relevance, t.bid_micros);
}

void Retriever::ReadPosting(const Query& q, const Source& src, const Posting& p) {
  const CatalogSnapshot& s = q.s;
  const TargetIndex& ix = s.index();
  const size_t n = ids_.size();
  MatchedTarget m;
  switch (src.kind) {
    case SourceKind::kPhrase:
    case SourceKind::kExact: {
      // The list is keyed by the 64-bit hash of the token ids; Build rejects catalogs where two
      // keywords collide, so a false hit needs a query window colliding (p ~ 2^-64 per lookup).
      m.target = p.id;
      m.match_type = s.target_info(p.id).match_type;
      ConsiderTarget(q, p, m, src.relevance);
      return;
    }
    case SourceKind::kBroadSet:  // the keyword's token set is a subset of the query's (hash)
      m.target = p.id;
      m.match_type = MatchType::kBroad;
      ConsiderTarget(q, p, m, src.relevance);
      return;
    case SourceKind::kBroad: {
      absl::Span<const int32_t> kw = ix.target_tokens.Get(p.id);
      size_t distinct = 0;
      for (size_t i = 0; i < kw.size(); ++i) {
        const int32_t stem = ix.token_stem[kw[i]];
        if (!Contains(stem_set_, stem)) return;
        bool seen = false;
        for (size_t j = 0; j < i; ++j) seen = seen || ix.token_stem[kw[j]] == stem;
        distinct += !seen;
      }
      m.target = p.id;
      m.match_type = MatchType::kBroad;
      ConsiderTarget(q, p, m, BroadRelevance(distinct, n));
      return;
    }
    case SourceKind::kProduct:
    case SourceKind::kCategory:
      m.kind = src.kind == SourceKind::kProduct ? MatchKind::kProduct : MatchKind::kCategory;
      m.target = p.id;
      ConsiderTarget(q, p, m, src.relevance);
      return;
    case SourceKind::kClose:
    case SourceKind::kLoose: {
      const bool close = src.kind == SourceKind::kClose;
      if (!(close ? close_seen_ : loose_seen_).insert(p.id).second) return;
      const AdInfo& info = s.ad_info(p.id);
      const absl::Span<const int32_t> title = absl::MakeConstSpan(
          ix.product_tokens.items.data() + info.title_begin, info.title_end - info.title_begin);
      size_t hits = 0;
      for (int32_t id : ids_) hits += id >= 0 && Contains(title, id);
      const double coverage = static_cast<double>(hits) / n;
      // src.relevance carries `need`, the minimum number of matching positions.
      if (hits < src.relevance || (!close && coverage >= kCloseMatchCoverage)) return;
      m.kind = MatchKind::kAuto;
      m.auto_group = close ? AutoTargetGroup::kCloseMatch : AutoTargetGroup::kLooseMatch;
      Consider(q, p.id, m, close ? coverage : 0.6 * coverage,
               info.auto_bid[static_cast<int>(m.auto_group) - 1]);
      return;
    }
    case SourceKind::kSubstitutes:
    case SourceKind::kComplements: {
      const AdInfo& info = s.ad_info(p.id);
      m.kind = MatchKind::kAuto;
      m.auto_group = src.kind == SourceKind::kSubstitutes ? AutoTargetGroup::kSubstitutes
                                                          : AutoTargetGroup::kComplements;
      if (info.product == q.viewed) {  // a product is not its own substitute or complement
        if (q.explain) {
          Reject(q, p.id, m, info.auto_bid[static_cast<int>(m.auto_group) - 1], src.relevance,
                 RejectReason::kTargetingExcluded, std::string(kViewedProduct));
        }
        return;
      }
      Consider(q, p.id, m, src.relevance, info.auto_bid[static_cast<int>(m.auto_group) - 1]);
      return;
    }
  }
}

// Starts loading what the list's next posting will need (it is likely read soon).
void Retriever::Prefetch(const CatalogSnapshot& s, const Source& src) {
  const int32_t id = src.next->id;
  if (src.kind <= SourceKind::kCategory) {
    __builtin_prefetch(&s.target_info(id));
  } else {
    __builtin_prefetch(&s.ad_info(id));
  }
}

Retriever::Retriever() = default;
Retriever::~Retriever() = default;

// Shopper values as the catalog's predicate ids, and segment hashes for the CTR model.
void Retriever::ResolveShopper(Query& q) {
  const TargetIndex& ix = q.s.index();
  const Request::Shopper& shopper = q.r.shopper;
  segment_hashes_.clear();
  for (const std::string& seg : shopper.segments) segment_hashes_.push_back(CtrModel::Hash(seg));
  segments_.clear();
  for (const std::string& seg : shopper.segments) {
    auto it = ix.predicate_values.find(seg);
    if (it != ix.predicate_values.end()) segments_.push_back(it->second);
  }
  if (auto it = ix.predicate_values.find(shopper.country);
      !shopper.country.empty() && it != ix.predicate_values.end()) {
    q.country = it->second;
  }
  if (auto it = ix.predicate_values.find(shopper.region);
      !shopper.region.empty() && it != ix.predicate_values.end()) {
    q.region = it->second;
  }
}

// The request's own CTR features (placement, device, slot) as q.base_logit, and the upper bound
// of the CTR part of quality per match kind, sqrt(pmax / (pmax + baseline)), from the largest
// weight each per-ad feature template can contribute (early termination's c).
void Retriever::BoundCtr(Query& q) {
  const Request& r = q.r;
  const int device = static_cast<int>(r.shopper.device);
  const CtrModel& model = q.s.model();
  q.base_logit =
      model.bias() +
      model.Weight(
          CtrFeature::kPlacement,
          CtrModel::Hash(kPlacementNames[static_cast<int>(r.placement) % kNumPlacements])) +
      model.Weight(CtrFeature::kDevice,
                   CtrModel::Hash(kDeviceNames[device >= 0 && device < 5 ? device : 0])) +
      model.Weight(CtrFeature::kSlot, CtrModel::Hash("1"));
  const double per_ad_max =
      std::max(0.f, model.MaxWeight(CtrFeature::kCategory)) +
      text_.size() * std::max(0.f, model.MaxWeight(CtrFeature::kQueryTokenXCategory)) +
      r.shopper.segments.size() * std::max(0.f, model.MaxWeight(CtrFeature::kSegmentXCampaign));
  for (int i = 0; i < 9; ++i) {
    const double pmax = CtrModel::Sigmoid(
        q.base_logit + model.Weight(CtrFeature::kMatch, MatchHashes()[i]) + per_ad_max);
    ctr_factor_[i] = std::sqrt(pmax / (pmax + model.baseline_ctr()));
  }
}

// The id of a query token: the token itself (or an alias: a singular of a catalog plural), else
// the first of its possible singulars the catalog has; -1 when none (it can match nothing).
int32_t Retriever::QueryTokenId(const TargetIndex& ix, absl::string_view token) {
  if (const int32_t id = ix.TokenId(token); id >= 0) return id;
  PluralSingulars(token, &singulars_);
  for (const std::string& singular : singulars_) {
    if (const int32_t id = ix.TokenId(singular); id >= 0) return id;
  }
  return -1;
}

// Query tokens as ids (-1 = in no keyword or title), their CTR hashes, the sorted distinct known
// ids, and the sorted distinct known stem ids (broad match; a token unknown to the catalog may
// still share a stem with one: "running" meets "run").
void Retriever::InternQueryTokens(const Query& q) {
  const TargetIndex& ix = q.s.index();
  const size_t n = text_.size();
  if (stemmer_ == nullptr || stemmer_->language() != q.s.language()) {
    stemmer_ = std::make_unique<Stemmer>(q.s.language());
  }
  ids_.clear();
  typed_ids_.clear();
  token_hashes_.clear();
  stem_set_.clear();
  for (size_t i = 0; i < n; ++i) {
    const absl::string_view token = text_.token(i);
    int32_t id = QueryTokenId(ix, token);
    typed_ids_.push_back(id);
    int32_t stem = id >= 0 ? ix.token_stem[id] : ix.StemId(stemmer_->Stem(token));
    if (id < 0 && stem < 0) {  // neither the word, a singular nor its stem: maybe a typo
      id = ix.typos.Find(token, &typo_scratch_);
      if (id >= 0) stem = ix.token_stem[id];
    }
    ids_.push_back(id);
    token_hashes_.push_back(CtrModel::Hash(token));
    if (stem >= 0) stem_set_.push_back(stem);
  }
  // Synonyms (broad only): each query stem also stands for the stems the table gives it.
  const size_t own_stems = stem_set_.size();
  for (size_t i = 0; i < own_stems; ++i) {
    for (int32_t synonym : ix.synonyms.Get(stem_set_[i])) stem_set_.push_back(synonym);
  }
  id_set_.clear();
  for (int32_t id : ids_) {
    if (id >= 0) id_set_.push_back(id);
  }
  std::sort(id_set_.begin(), id_set_.end());
  id_set_.erase(std::unique(id_set_.begin(), id_set_.end()), id_set_.end());
  std::sort(stem_set_.begin(), stem_set_.end());
  stem_set_.erase(std::unique(stem_set_.begin(), stem_set_.end()), stem_set_.end());
}

// The distinct negative phrases the query matches, sorted, in matched_negatives_. Their owners are
// checked per scored ad (Consider), so a common negative ("free") costs nothing per campaign that
// lists it. Negatives see the query as typed (typed_ids_: no typo correction), so they never
// block more than the same keyword as an exact or phrase target without typos would match.
void Retriever::MatchNegatives(const Query& q) {
  const TargetIndex& ix = q.s.index();
  const std::vector<int32_t>& ids = typed_ids_;
  const size_t n = ids.size();
  auto window_matches = [&](absl::Span<const int32_t> tokens, size_t start) {
    return std::equal(tokens.begin(), tokens.end(), ids.begin() + start);
  };
  auto block = [&](const Posting& p) { matched_negatives_.push_back(p.id); };
  for (size_t len = 1; len <= std::min(n, kMaxKeywordTokens); ++len) {
    for (size_t start = 0; start + len <= n; ++start) {
      if (std::find(ids.begin() + start, ids.begin() + start + len, -1) !=
          ids.begin() + start + len) {
        continue;
      }
      const uint64_t h = HashTokenIds(ids.data() + start, len);
      for (const Posting& p : ix.negative_phrase.Get(h)) {
        if (window_matches(ix.negative_tokens.Get(p.id), start)) block(p);
      }
      if (len == n) {
        for (const Posting& p : ix.negative_exact.Get(h)) {
          if (window_matches(ix.negative_tokens.Get(p.id), start)) block(p);
        }
      }
    }
  }
  std::sort(matched_negatives_.begin(), matched_negatives_.end());
  matched_negatives_.erase(std::unique(matched_negatives_.begin(), matched_negatives_.end()),
                           matched_negatives_.end());
}

void Retriever::AddSource(absl::Span<const Posting> list, SourceKind kind, double max_relevance,
                          double relevance, uint32_t start, uint32_t len) {
  if (list.empty()) return;
  sources_.push_back({list.data(), list.data() + list.size(), kind, std::sqrt(max_relevance),
                      relevance, start, len});
}

// Exact keywords (whole query) and phrase keywords (any contiguous window).
void Retriever::AddExactAndPhraseSources(const Query& q) {
  const TargetIndex& ix = q.s.index();
  const size_t n = ids_.size();
  for (size_t len = 1; len <= std::min(n, kMaxKeywordTokens); ++len) {
    for (size_t start = 0; start + len <= n; ++start) {
      if (std::find(ids_.begin() + start, ids_.begin() + start + len, -1) !=
          ids_.begin() + start + len) {
        continue;
      }
      const uint64_t h = HashTokenIds(ids_.data() + start, len);
      const double phrase_relevance = 0.5 + 0.5 * static_cast<double>(len) / n;
      AddSource(ix.phrase.Get(h), SourceKind::kPhrase, phrase_relevance, phrase_relevance, start,
                len);
      if (len == n) AddSource(ix.exact.Get(h), SourceKind::kExact, 1.0, 1.0, start, len);
    }
  }
}

// Broad keywords, on stems: with few distinct query stems, look up every subset of them (no false
// candidates); otherwise read the lists anchored on the query's stems and check each keyword.
void Retriever::AddBroadSources(const Query& q) {
  const TargetIndex& ix = q.s.index();
  const size_t n = ids_.size();
  if (stem_set_.size() <= kMaxBroadSubsetTokens) {
    const uint32_t m = static_cast<uint32_t>(stem_set_.size());
    for (uint32_t mask = 1; mask < (1u << m); ++mask) {
      subset_.clear();
      for (uint32_t b = 0; b < m; ++b) {
        if (mask & (1u << b)) subset_.push_back(stem_set_[b]);
      }
      if (subset_.size() > kMaxKeywordTokens) continue;
      const double rel = BroadRelevance(subset_.size(), n);
      AddSource(ix.broad_sets.Get(HashTokenIds(subset_.data(), subset_.size())),
                SourceKind::kBroadSet, rel, rel);
    }
  } else {
    for (int32_t stem : stem_set_) AddSource(ix.broad.Get(stem), SourceKind::kBroad, 0.75, 0);
  }
}

// Product targets (the viewed product) and category targets (the request's categories, the
// viewed product's, and their ancestors at distance d).
void Retriever::AddProductAndCategorySources(const Query& q) {
  const CatalogSnapshot& s = q.s;
  const TargetIndex& ix = s.index();
  AddSource(ix.product_targets.Get(q.viewed), SourceKind::kProduct, 1.0, 1.0);
  std::vector<std::pair<int32_t, int>> categories;
  auto add_category = [&](int32_t c) {
    for (int d = 0; c >= 0 && d < 16; ++d, c = s.category_parent(c)) {
      bool seen = false;
      for (auto& [k, kd] : categories) {
        if (k == c) {
          kd = std::min(kd, d);
          seen = true;
        }
      }
      if (!seen) categories.emplace_back(c, d);
    }
  };
  for (const std::string& id : q.r.category_ids) add_category(s.FindCategory(id));
  if (q.viewed >= 0) add_category(s.product_category(q.viewed));
  for (const auto& [c, d] : categories) {
    const double rel = 0.5 * std::pow(0.8, d);
    AddSource(ix.category_targets.Get(c), SourceKind::kCategory, rel, rel);
  }
}

// Close or loose match on title overlap. coverage = query token positions found in the title / n.
// Prefix filtering: an ad reaching `need` positions must contain one of the rarest tokens whose
// positions add up to more than n - need, so only those lists are read.
void Retriever::AddTitleSources(const DenseLists<Posting>& lists, SourceKind kind,
                                double min_coverage, double max_relevance) {
  const size_t n = ids_.size();
  const size_t need = static_cast<size_t>(std::ceil(min_coverage * n - 1e-9));
  if (n == 0 || need == 0) return;
  rare_.clear();
  for (int32_t tok : id_set_) {
    const size_t count = std::count(ids_.begin(), ids_.end(), tok);
    rare_.push_back({lists.Get(tok).size(), {tok, count}});
  }
  std::sort(rare_.begin(), rare_.end());
  size_t remaining = 0;
  for (const auto& x : rare_) remaining += x.second.second;
  for (const auto& [size, tok_count] : rare_) {
    if (remaining < need) break;  // ads without any token taken so far cannot reach `need`
    remaining -= tok_count.second;
    AddSource(lists.Get(tok_count.first), kind, max_relevance, static_cast<double>(need));
  }
}

// Automatic targeting: close and loose match (query vs title), substitutes (the viewed product's
// category) and complements (the viewed and cart products' categories).
void Retriever::AddAutomaticSources(const Query& q) {
  const CatalogSnapshot& s = q.s;
  const TargetIndex& ix = s.index();
  close_seen_.clear();
  loose_seen_.clear();
  AddTitleSources(ix.auto_close, SourceKind::kClose, kCloseMatchCoverage, 1.0);
  AddTitleSources(ix.auto_loose, SourceKind::kLoose, kLooseMatchCoverage,
                  0.6 * kCloseMatchCoverage);
  page_products_.clear();
  if (q.viewed >= 0) page_products_.push_back(q.viewed);
  page_products_.insert(page_products_.end(), cart_products_.begin(), cart_products_.end());
  if (q.viewed >= 0) {
    AddSource(ix.substitutes.Get(s.product_category(q.viewed)), SourceKind::kSubstitutes, 0.6, 0.6);
  }
  std::vector<int32_t> page_categories;
  for (int32_t p : page_products_) {
    const int32_t c = s.product_category(p);
    if (c >= 0 &&
        std::find(page_categories.begin(), page_categories.end(), c) == page_categories.end()) {
      page_categories.push_back(c);
      AddSource(ix.complements.Get(c), SourceKind::kComplements, 0.4, 0.4);
    }
  }
}

// Reads every source merged in decreasing bound x sqrt(max relevance) x c, scoring each posting
// (ReadPosting, Consider): the threshold rises as fast as it can, and without explain reading
// stops for good once the best remaining key cannot beat the K-th best score.
void Retriever::ReadSourcesMerged(const Query& q) {
  // Held in locals: ReadPosting may not be inlined, and the loop should not reload them after it.
  const CatalogSnapshot& s = q.s;
  const bool explain = q.explain;
  Result* const out = out_;
  for (Source& src : sources_) src.rel_factor *= ctr_factor_[SourceMatchIndex(src.kind)];
  auto key = [&](int i) { return sources_[i].next->bid_bound * sources_[i].rel_factor; };
  auto less = [&](int a, int b) { return key(a) < key(b); };
  order_.clear();
  for (int i = 0; i < static_cast<int>(sources_.size()); ++i) order_.push_back(i);
  std::make_heap(order_.begin(), order_.end(), less);
  while (!order_.empty()) {
    ++out->postings_read;
    if (!explain && threshold_ > 0 && key(order_.front()) <= threshold_) break;
    std::pop_heap(order_.begin(), order_.end(), less);
    Source& src = sources_[order_.back()];
    const Posting& p = *src.next++;
    if (src.next != src.end) Prefetch(s, src);
    if (src.next == src.end) {
      order_.pop_back();
    } else {
      std::push_heap(order_.begin(), order_.end(), less);
    }
    ReadPosting(q, src, p);
  }
}

// The K best candidates, best first.
void Retriever::KeepBest(const Query& q) {
  auto& cands = out_->candidates;
  if (cands.size() > q.max_candidates) {
    std::nth_element(cands.begin(), cands.begin() + (q.max_candidates - 1), cands.end(),
                     BetterCandidate);
    cands.resize(q.max_candidates);
  }
  std::sort(cands.begin(), cands.end(), BetterCandidate);
}

// With explain: the keyword texts on candidates and rejections, and only the rejections of ads
// that produced no candidate. Without explain there are no rejections and nothing to do.
void Retriever::FinishExplain(const Query& q) {
  auto fill_text = [&](MatchedTarget& m) {
    if (m.kind == MatchKind::kKeyword && m.target >= 0) {
      m.keyword_text = q.s.catalog().targets[m.target].keyword.text;
    }
  };
  // Without explain only a few candidates are ever shown: their callers read the text (one cache
  // miss per target at 1M ads, about a tenth of retrieval's time when done for all K here).
  if (q.explain) {
    for (Candidate& c : out_->candidates) fill_text(c.matched);
  }
  for (Rejection& x : out_->rejections) fill_text(x.matched);
  if (q.explain) {
    auto& rej = out_->rejections;
    rej.erase(std::remove_if(rej.begin(), rej.end(),
                             [&](const Rejection& x) { return best_.contains(x.ad); }),
              rej.end());
  }
}

absl::Status Retriever::Retrieve(const CatalogSnapshot& s, const Request& r, absl::Time now,
                                 bool explain, Result* out) {
  out->candidates.clear();
  out->rejections.clear();
  out->postings_read = out->ads_considered = 0;
  if (auto st = ValidateRequest(r); !st.ok()) return st;
  if (auto st = NormalizeText(r.query, "query", {}, &text_); !st.ok()) return st;
  out_ = out;
  best_.clear();
  rejected_.clear();
  matched_negatives_.clear();
  threshold_ = 0;
  heap_.clear();
  // K: enough candidates for every slot several times over (budgets and pacing drop some later).
  const size_t k = std::min<size_t>(s.rules().max_candidates,
                                    std::max<size_t>(kMinCandidates, kCandidatesPerSlot * r.slots));
  Query q{s, r, now, explain, k};
  q.viewed = r.viewed_product_id.empty() ? -1 : s.FindProduct(r.viewed_product_id);
  cart_products_.clear();
  for (const std::string& id : r.cart_product_ids) {
    if (const int32_t p = s.FindProduct(id); p >= 0) cart_products_.push_back(p);
  }
  ResolveShopper(q);
  BoundCtr(q);
  InternQueryTokens(q);
  // Negatives first: which campaigns and ad groups the query blocks.
  MatchNegatives(q);
  // Gather every posting list the request touches (a "source"), then read them merged.
  sources_.clear();
  AddExactAndPhraseSources(q);
  AddBroadSources(q);
  AddProductAndCategorySources(q);
  AddAutomaticSources(q);
  ReadSourcesMerged(q);
  KeepBest(q);
  FinishExplain(q);
  out_ = nullptr;
  return absl::OkStatus();
}

absl::Status CtrFeatures(const CatalogSnapshot& s, const Request& r, int32_t ad,
                         const MatchedTarget& m, std::vector<NamedFeature>* out) {
  out->clear();
  TokenizedText text;
  if (auto st = NormalizeText(r.query, "query", {}, &text); !st.ok()) return st;
  const int device = static_cast<int>(r.shopper.device);
  out->push_back({"placement",
                  std::string(kPlacementNames[static_cast<int>(r.placement) % kNumPlacements])});
  out->push_back({"device", std::string(kDeviceNames[device >= 0 && device < 5 ? device : 0])});
  out->push_back({"match", std::string(kMatchNames[MatchIndex(m)])});
  const AdInfo& info = s.ad_info(ad);
  if (info.category >= 0) {
    const std::string& category = s.catalog().categories[info.category].id;
    out->push_back({"category", category});
    for (size_t i = 0; i < text.size(); ++i) {
      out->push_back({"query_token_x_category", std::string(text.token(i)), category});
    }
  }
  for (const std::string& segment : r.shopper.segments) {
    out->push_back({"segment_x_campaign", segment, s.catalog().campaigns[info.campaign].id});
  }
  return absl::OkStatus();
}

absl::Status Retrieve(const CatalogSnapshot& snapshot, const Request& request, absl::Time now,
                      bool explain, Result* out) {
  Retriever r;
  return r.Retrieve(snapshot, request, now, explain, out);
}

}  // namespace gavel::targeting
