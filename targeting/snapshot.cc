#include "targeting/snapshot.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "catalog/limits.h"
#include "catalog/validate.h"
#include "targeting/normalize.h"
#include "targeting/variants.h"

namespace gavel::targeting {

using ::gavel::catalog::AdGroup;
using ::gavel::catalog::Advertiser;
using ::gavel::catalog::AutoTargetGroup;
using ::gavel::catalog::AutoTargetSetting;
using ::gavel::catalog::BiddingStrategy;
using ::gavel::catalog::Campaign;
using ::gavel::catalog::Catalog;
using ::gavel::catalog::Category;
using ::gavel::catalog::Device;
using ::gavel::catalog::EntityState;
using ::gavel::catalog::Keyword;
using ::gavel::catalog::kMaxBidMicros;
using ::gavel::catalog::kMaxKeywordBytes;
using ::gavel::catalog::kMaxKeywordTokens;
using ::gavel::catalog::kMaxSynonymBytes;
using ::gavel::catalog::kMaxSynonymEntries;
using ::gavel::catalog::kMaxSynonymsPerEntry;
using ::gavel::catalog::kMaxTitleBytes;
using ::gavel::catalog::kMaxTitleTokens;
using ::gavel::catalog::kNumAutoTargetGroups;
using ::gavel::catalog::kNumPlacements;
using ::gavel::catalog::MatchType;
using ::gavel::catalog::Predicates;
using ::gavel::catalog::Product;
using ::gavel::catalog::ProductAd;
using ::gavel::catalog::Target;
using ::gavel::catalog::TargetKind;

namespace {

absl::string_view CatalogLanguage(const Catalog& c) {
  return c.language.empty() ? Stemmer::kDefaultLanguage : absl::string_view(c.language);
}

absl::Status Invalid(const std::string& where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, what));
}

using ::gavel::catalog::Serving;

// Builds DenseLists from (key, item) pairs; each list keeps insertion order unless sorted later.
template <typename T>
DenseLists<T> MakeDense(size_t keys, std::vector<std::pair<int32_t, T>>& pairs) {
  DenseLists<T> out;
  out.offsets.assign(keys + 1, 0);
  for (const auto& [k, v] : pairs) ++out.offsets[k + 1];
  for (size_t i = 0; i < keys; ++i) out.offsets[i + 1] += out.offsets[i];
  out.items.resize(pairs.size());
  std::vector<uint32_t> next(out.offsets.begin(), out.offsets.end() - 1);
  for (const auto& [k, v] : pairs) out.items[next[k]++] = v;
  std::vector<std::pair<int32_t, T>>().swap(pairs);
  return out;
}

bool ByBoundDesc(const Posting& a, const Posting& b) {
  return a.bid_bound != b.bid_bound ? a.bid_bound > b.bid_bound : a.id < b.id;
}

void SortLists(DenseLists<Posting>* lists) {
  for (size_t k = 0; k + 1 < lists->offsets.size(); ++k) {
    std::sort(lists->items.begin() + lists->offsets[k],
              lists->items.begin() + lists->offsets[k + 1], ByBoundDesc);
  }
}

HashedLists MakeHashed(std::vector<std::pair<uint64_t, Posting>>& pairs) {
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : ByBoundDesc(a.second, b.second);
  });
  HashedLists out;
  out.items.reserve(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i == 0 || pairs[i].first != pairs[i - 1].first) {
      out.ranges[pairs[i].first] = {static_cast<uint32_t>(i), static_cast<uint32_t>(i)};
    }
    out.ranges[pairs[i].first].second = static_cast<uint32_t>(i + 1);
    out.items.push_back(pairs[i].second);
  }
  std::vector<std::pair<uint64_t, Posting>>().swap(pairs);
  return out;
}

}  // namespace

class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(CatalogSnapshot* s)
      : s_(*s), c_(s->catalog_), ix_(s->index_), stemmer_(CatalogLanguage(s->catalog_)) {}

  absl::Status Run() {
    // Drop the caller's growth slack first (before any id is viewed: shrinking moves strings).
    c_.advertisers.shrink_to_fit();
    c_.campaigns.shrink_to_fit();
    c_.ad_groups.shrink_to_fit();
    c_.product_ads.shrink_to_fit();
    c_.targets.shrink_to_fit();
    c_.products.shrink_to_fit();
    c_.categories.shrink_to_fit();
    if (!Stemmer::IsKnownLanguage(CatalogLanguage(c_))) {
      return Invalid("language", absl::StrCat(" must be a Snowball stemmer name (english, french, "
                                              "german, russian, ...), got \"",
                                              c_.language, "\""));
    }
    if (auto st = Ids(); !st.ok()) return st;
    if (auto st = Categories(); !st.ok()) return st;
    if (auto st = Products(); !st.ok()) return st;
    if (auto st = Advertisers(); !st.ok()) return st;
    if (auto st = Campaigns(); !st.ok()) return st;
    if (auto st = AdGroups(); !st.ok()) return st;
    if (auto st = Ads(); !st.ok()) return st;
    if (auto st = Targets(); !st.ok()) return st;
    if (auto st = Synonyms(); !st.ok()) return st;
    if (auto st = catalog::ValidateServingRules(c_.rules); !st.ok()) return st;
    BuildAutoLists();
    for (const Category& c : c_.categories) ix_.category_hash.push_back(CtrModel::Hash(c.id));
    for (const Campaign& c : c_.campaigns) ix_.campaign_hash.push_back(CtrModel::Hash(c.id));
    Pack();
    CatalogSnapshot::IdMap().swap(s_.ad_group_ids_);
    CatalogSnapshot::IdMap().swap(s_.target_ids_);
    return absl::OkStatus();
  }

  void Pack() {
    s_.ad_info_.resize(c_.product_ads.size());
    constexpr AutoTargetGroup kAuto[4] = {
        AutoTargetGroup::kCloseMatch, AutoTargetGroup::kLooseMatch, AutoTargetGroup::kSubstitutes,
        AutoTargetGroup::kComplements};
    for (size_t ad = 0; ad < s_.ad_info_.size(); ++ad) {
      const int32_t g = ad_ad_group_[ad];
      const int32_t p = ad_product_[ad];
      AdInfo& info = s_.ad_info_[ad];
      info = {g,
              s_.ad_group_campaign_[g],
              p,
              s_.product_category_[p],
              ix_.ad_group_predicates[g],
              ix_.product_tokens.offsets[p],
              ix_.product_tokens.offsets[p + 1],
              {}};
      for (int k = 0; k < 4; ++k) {
        info.auto_bid[k] =
            s_.AutoEnabled(g, kAuto[k]) ? static_cast<int32_t>(s_.ResolveAutoBid(g, kAuto[k])) : 0;
      }
    }
    s_.campaign_info_.resize(c_.campaigns.size());
    for (size_t i = 0; i < c_.campaigns.size(); ++i) {
      const Campaign& c = c_.campaigns[i];
      CampaignInfo& info = s_.campaign_info_[i];
      info.start = s_.campaign_window_[i].first;
      info.end = s_.campaign_window_[i].second;
      for (int p = 0; p < kNumPlacements; ++p) {
        info.placement_percent[p] = static_cast<int16_t>(c.placement_multiplier_percent[p]);
      }
      info.strategy = c.bidding_strategy;
      info.predicates = ix_.campaign_predicates[i];
      info.id_hash = ix_.campaign_hash[i];
    }
    s_.target_info_.resize(c_.targets.size());
    for (size_t i = 0; i < c_.targets.size(); ++i) {
      const Target& t = c_.targets[i];
      const int32_t g = target_ad_group_[i];
      s_.target_info_[i] = {
          g,
          s_.ad_group_campaign_[g],
          static_cast<int32_t>(TargetBid(static_cast<int32_t>(i), g)),
          ix_.ad_group_ads.offsets[g],
          ix_.ad_group_ads.offsets[g + 1],
          t.kind == TargetKind::kKeyword ? t.keyword.match_type : MatchType::kUnspecified};
    }
    std::vector<int32_t>().swap(ad_ad_group_);
    std::vector<int32_t>().swap(ad_product_);
    std::vector<int32_t>().swap(target_ad_group_);
  }

  int64_t TargetBid(int32_t target, int32_t ad_group) const {
    const int64_t bid = c_.targets[target].bid_micros;
    return bid != 0 ? bid : DefaultBid(ad_group);
  }

 private:
  template <typename E>
  absl::Status Intern(const std::vector<E>& list, absl::string_view kind,
                      CatalogSnapshot::IdMap* m) {
    m->reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string& id = list[i].id;
      if (auto st = catalog::ValidateId(kind, i, id); !st.ok()) return st;
      if (!m->emplace(absl::string_view(id), static_cast<int32_t>(i)).second) {
        return Invalid(absl::StrCat(kind, "[", id, "].id"), " is a duplicate");
      }
    }
    return absl::OkStatus();
  }

  absl::Status Ids() {
    if (auto st = Intern(c_.advertisers, "advertisers", &s_.advertiser_ids_); !st.ok()) return st;
    if (auto st = Intern(c_.campaigns, "campaigns", &s_.campaign_ids_); !st.ok()) return st;
    if (auto st = Intern(c_.ad_groups, "ad_groups", &s_.ad_group_ids_); !st.ok()) return st;
    if (auto st = Intern(c_.product_ads, "product_ads", &s_.ad_ids_); !st.ok()) return st;
    if (auto st = Intern(c_.targets, "targets", &s_.target_ids_); !st.ok()) return st;
    if (auto st = Intern(c_.products, "products", &s_.product_ids_); !st.ok()) return st;
    return Intern(c_.categories, "categories", &s_.category_ids_);
  }

  // Resolves a reference; error "<where>.<field> names unknown <kind> \"x\"".
  absl::Status Ref(const CatalogSnapshot::IdMap& m, const std::string& id, const std::string& where,
                   absl::string_view field, absl::string_view kind, int32_t* out) {
    *out = CatalogSnapshot::Find(m, id);
    if (*out < 0) {
      return Invalid(where, absl::StrCat(".", field, " names unknown ", kind, " \"", id, "\""));
    }
    return absl::OkStatus();
  }

  absl::Status Categories() {
    const int32_t n = static_cast<int32_t>(c_.categories.size());
    s_.category_parent_.assign(n, -1);
    for (int32_t i = 0; i < n; ++i) {
      const Category& cat = c_.categories[i];
      const std::string where = absl::StrCat("categories[", cat.id, "]");
      if (!cat.parent_id.empty()) {
        if (auto st = Ref(s_.category_ids_, cat.parent_id, where, "parent_id", "category",
                          &s_.category_parent_[i]);
            !st.ok()) {
          return st;
        }
      }
      for (size_t k = 0; k < cat.complement_category_ids.size(); ++k) {
        int32_t unused;
        if (auto st = Ref(s_.category_ids_, cat.complement_category_ids[k], where,
                          absl::StrCat("complement_category_ids[", k, "]"), "category", &unused);
            !st.ok()) {
          return st;
        }
      }
    }
    for (int32_t i = 0; i < n; ++i) {
      int32_t p = s_.category_parent_[i];
      for (int32_t steps = 0; p >= 0; ++steps, p = s_.category_parent_[p]) {
        if (steps > n || p == i) {
          return Invalid(absl::StrCat("categories[", c_.categories[i].id, "].parent_id"),
                         " forms a cycle");
        }
      }
    }
    return absl::OkStatus();
  }

  // The id of a normalised token. Plural variants share one id (docs/targeting.md, "Close
  // variants"): a plural joins a singular the catalog already has, and a new word registers its
  // possible singulars as aliases, so a singular seen later (or only in queries) joins it.
  int32_t InternToken(absl::string_view t) {
    if (auto it = ix_.tokens.find(t); it != ix_.tokens.end()) return it->second;
    PluralSingulars(t, &singulars_);
    for (const std::string& singular : singulars_) {
      if (auto it = ix_.tokens.find(singular); it != ix_.tokens.end()) {
        const int32_t id = it->second;
        ix_.tokens.emplace(std::string(t), id);
        return id;
      }
    }
    const auto id = static_cast<int32_t>(ix_.token_stem.size());
    ix_.tokens.emplace(std::string(t), id);
    for (const std::string& singular : singulars_) ix_.tokens.emplace(singular, id);
    const auto stem =
        ix_.stems.emplace(std::string(stemmer_.Stem(t)), static_cast<int32_t>(ix_.stems.size()));
    ix_.token_stem.push_back(stem.first->second);
    return id;
  }

  // The stem id of one synonym word (interned: a synonym may name a word no keyword has yet).
  absl::Status SynonymStem(const std::string& word, const std::string& field, int32_t* stem) {
    TokenizedText t;
    if (auto st = NormalizeText(word, field, {kMaxSynonymBytes, kMaxKeywordTokens}, &t); !st.ok()) {
      return st;
    }
    if (t.size() != 1) return Invalid(field, absl::StrCat(" must be one word, got ", t.size()));
    const auto it = ix_.stems.emplace(std::string(stemmer_.Stem(t.token(0))),
                                      static_cast<int32_t>(ix_.stems.size()));
    *stem = it.first->second;
    return absl::OkStatus();
  }

  // The synonyms table as stem -> synonym stems (docs/targeting.md, "Synonyms").
  absl::Status Synonyms() {
    if (c_.synonyms.size() > kMaxSynonymEntries) {
      return Invalid("synonyms", absl::StrCat(" must have at most ", kMaxSynonymEntries,
                                              " entries, got ", c_.synonyms.size()));
    }
    std::vector<std::pair<int32_t, int32_t>> pairs;
    for (size_t i = 0; i < c_.synonyms.size(); ++i) {
      const catalog::Synonym& e = c_.synonyms[i];
      const std::string where = absl::StrCat("synonyms[", i, "]");
      if (e.synonyms.empty() || e.synonyms.size() > kMaxSynonymsPerEntry) {
        return Invalid(where, absl::StrCat(".synonyms must list 1-", kMaxSynonymsPerEntry,
                                           " words, got ", e.synonyms.size()));
      }
      int32_t term;
      if (auto st = SynonymStem(e.term, where + ".term", &term); !st.ok()) return st;
      for (size_t k = 0; k < e.synonyms.size(); ++k) {
        int32_t syn;
        if (auto st = SynonymStem(e.synonyms[k], absl::StrCat(where, ".synonyms[", k, "]"), &syn);
            !st.ok()) {
          return st;
        }
        if (syn == term) continue;
        pairs.emplace_back(term, syn);
        if (e.two_way) pairs.emplace_back(syn, term);
      }
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    ix_.synonyms = MakeDense(ix_.stems.size(), pairs);
    for (size_t stem = 0; stem + 1 < ix_.synonyms.offsets.size(); ++stem) {
      if (ix_.synonyms.Get(static_cast<int32_t>(stem)).size() > kMaxSynonymsPerEntry) {
        return Invalid("synonyms", absl::StrCat(": a word has more than ", kMaxSynonymsPerEntry,
                                                " synonyms in all entries together"));
      }
    }
    return absl::OkStatus();
  }

  // Sorted distinct stem ids of keyword tokens: what broad match compares.
  std::vector<int32_t> StemSet(absl::Span<const int32_t> token_ids) const {
    std::vector<int32_t> stems;
    for (int32_t id : token_ids) stems.push_back(ix_.token_stem[id]);
    std::sort(stems.begin(), stems.end());
    stems.erase(std::unique(stems.begin(), stems.end()), stems.end());
    return stems;
  }

  absl::Status Products() {
    const int32_t n = static_cast<int32_t>(c_.products.size());
    s_.product_category_.assign(n, -1);
    std::vector<std::pair<int32_t, int32_t>> tokens;
    TokenizedText text;
    for (int32_t i = 0; i < n; ++i) {
      const Product& p = c_.products[i];
      const std::string where = absl::StrCat("products[", p.id, "]");
      if (!p.category_id.empty()) {
        if (auto st = Ref(s_.category_ids_, p.category_id, where, "category_id", "category",
                          &s_.product_category_[i]);
            !st.ok()) {
          return st;
        }
      }
      if (auto st = catalog::ValidateProduct(p); !st.ok()) return st;
      if (auto st =
              NormalizeText(p.title, where + ".title", {kMaxTitleBytes, kMaxTitleTokens}, &text);
          !st.ok()) {
        return st;
      }
      std::vector<int32_t> ids;
      for (size_t k = 0; k < text.size(); ++k) ids.push_back(InternToken(text.token(k)));
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      for (int32_t id : ids) tokens.emplace_back(i, id);
    }
    ix_.product_tokens = MakeDense(n, tokens);
    return absl::OkStatus();
  }

  absl::Status Advertisers() {
    for (const Advertiser& a : c_.advertisers) {
      if (auto st = catalog::ValidateAdvertiser(a); !st.ok()) return st;
    }
    return absl::OkStatus();
  }

  int32_t InternValue(const std::string& v) {
    return ix_.predicate_values.emplace(v, static_cast<int32_t>(ix_.predicate_values.size()))
        .first->second;
  }

  void CompilePredicates(const Predicates& p, int32_t* out) {
    *out = -1;
    CompiledPredicates c;
    auto strings = [&](const std::vector<std::string>& in, std::vector<int32_t>* ids) {
      for (const std::string& v : in) ids->push_back(InternValue(v));
      std::sort(ids->begin(), ids->end());
    };
    strings(p.include_segments, &c.include_segments);
    strings(p.exclude_segments, &c.exclude_segments);
    strings(p.include_countries, &c.include_countries);
    strings(p.exclude_countries, &c.exclude_countries);
    strings(p.include_regions, &c.include_regions);
    strings(p.exclude_regions, &c.exclude_regions);
    // Ranges were checked by catalog::ValidateCampaign / ValidateAdGroup.
    for (Device d : p.include_devices)
      c.include_devices |= static_cast<uint8_t>(1u << static_cast<int>(d));
    for (Device d : p.exclude_devices)
      c.exclude_devices |= static_cast<uint8_t>(1u << static_cast<int>(d));
    for (int h : p.include_hours) c.include_hours |= 1u << h;
    const bool empty = c.include_segments.empty() && c.exclude_segments.empty() &&
                       c.include_countries.empty() && c.exclude_countries.empty() &&
                       c.include_regions.empty() && c.exclude_regions.empty() &&
                       c.include_devices == 0 && c.exclude_devices == 0 && c.include_hours == 0;
    if (!empty) {
      *out = static_cast<int32_t>(ix_.predicates.size());
      ix_.predicates.push_back(std::move(c));
    }
  }

  absl::Status Negatives(const std::vector<Keyword>& list, bool campaign_level, int32_t owner,
                         const std::string& where) {
    for (size_t k = 0; k < list.size(); ++k) {
      const std::string w = absl::StrCat(where, ".negative_keywords[", k, "]");
      const MatchType mt = list[k].match_type;  // EXACT or PHRASE (catalog::Validate*)
      std::vector<int32_t> ids;
      if (auto st = KeywordTokens(list[k].text, w + ".text", &ids); !st.ok()) return st;
      // Owners share one entry per distinct (tokens, match type): a query matches each once.
      const uint64_t h = HashTokenIds(ids.data(), ids.size());
      const auto [it, inserted] =
          neg_phrase_ids_.emplace(std::make_pair(h, mt == MatchType::kExact),
                                  static_cast<int32_t>(neg_phrase_tokens_.size()));
      const int32_t phrase = it->second;
      if (inserted) {
        for (int32_t id : ids) negative_tokens_.emplace_back(phrase, id);
        (mt == MatchType::kExact ? neg_exact_ : neg_phrase_).emplace_back(h, Posting{phrase, 0});
        neg_phrase_tokens_.push_back(ids);
      } else if (neg_phrase_tokens_[phrase] != ids) {
        return Invalid(w, ".text has the same 64-bit hash as another negative keyword; change it");
      }
      const int32_t neg = static_cast<int32_t>(ix_.negatives.size());
      ix_.negatives.push_back({campaign_level, owner, static_cast<int32_t>(k), phrase});
      (campaign_level ? campaign_negatives_ : ad_group_negatives_).emplace_back(owner, neg);
    }
    return absl::OkStatus();
  }

  // The token ids of a keyword; words of positive keywords (`typo_targets`) also go into the
  // typo index.
  absl::Status KeywordTokens(const std::string& text, const std::string& field,
                             std::vector<int32_t>* ids, bool typo_targets = false) {
    if (text.size() > kMaxKeywordBytes) {
      return Invalid(
          field, absl::StrCat(" must be at most ", kMaxKeywordBytes, " bytes, got ", text.size()));
    }
    TokenizedText t;
    if (auto st = NormalizeText(text, field, {kMaxKeywordBytes, kMaxKeywordTokens}, &t); !st.ok()) {
      return st;
    }
    if (t.empty()) return Invalid(field, " must have at least one token, got none");
    for (size_t i = 0; i < t.size(); ++i) {
      ids->push_back(InternToken(t.token(i)));
      if (typo_targets) ix_.typos.Add(t.token(i), ids->back());
    }
    return absl::OkStatus();
  }

  absl::Status Campaigns() {
    const int32_t n = static_cast<int32_t>(c_.campaigns.size());
    s_.campaign_advertiser_.assign(n, -1);
    s_.campaign_window_.resize(n);
    campaign_serving_.assign(n, false);
    campaign_factor_.assign(n, 1.0);
    ix_.campaign_predicates.assign(n, -1);
    for (int32_t i = 0; i < n; ++i) {
      const Campaign& c = c_.campaigns[i];
      const std::string where = absl::StrCat("campaigns[", c.id, "]");
      if (auto st = Ref(s_.advertiser_ids_, c.advertiser_id, where, "advertiser_id", "advertiser",
                        &s_.campaign_advertiser_[i]);
          !st.ok()) {
        return st;
      }
      if (auto st = catalog::ValidateCampaign(c); !st.ok()) return st;
      const int32_t max_pct = *std::max_element(c.placement_multiplier_percent.begin(),
                                                c.placement_multiplier_percent.end());
      if (auto st = Negatives(c.negative_keywords, true, i, where); !st.ok()) return st;
      CompilePredicates(c.predicates, &ix_.campaign_predicates[i]);
      s_.campaign_window_[i] = {
          c.start_date ? absl::FromCivil(*c.start_date, c.time_zone) : absl::InfinitePast(),
          c.end_date ? absl::FromCivil(*c.end_date + 1, c.time_zone) : absl::InfiniteFuture()};
      campaign_serving_[i] =
          Serving(c.state) && Serving(c_.advertisers[s_.campaign_advertiser_[i]].state);
      // Upper bound of every adjustment (docs/targeting.md, "Bid adjustments"), for postings.
      campaign_factor_[i] = (100.0 + max_pct) / 100.0 *
                            (c.bidding_strategy == BiddingStrategy::kDynamicUpAndDown ? 2.0 : 1.0);
    }
    return absl::OkStatus();
  }

  absl::Status AdGroups() {
    const int32_t n = static_cast<int32_t>(c_.ad_groups.size());
    s_.ad_group_campaign_.assign(n, -1);
    s_.ad_group_auto_mask_.assign(n, 0);
    s_.ad_group_auto_bid_.assign(n, {});
    ad_group_serving_.assign(n, false);
    ix_.ad_group_predicates.assign(n, -1);
    for (int32_t i = 0; i < n; ++i) {
      const AdGroup& g = c_.ad_groups[i];
      const std::string where = absl::StrCat("ad_groups[", g.id, "]");
      int32_t& campaign = s_.ad_group_campaign_[i];
      if (auto st =
              Ref(s_.campaign_ids_, g.campaign_id, where, "campaign_id", "campaign", &campaign);
          !st.ok()) {
        return st;
      }
      if (auto st = catalog::ValidateAdGroup(g); !st.ok()) return st;
      if (auto st = Negatives(g.negative_keywords, false, i, where); !st.ok()) return st;
      CompilePredicates(g.predicates, &ix_.ad_group_predicates[i]);
      for (size_t k = 0; k < g.auto_targeting.size(); ++k) {
        const AutoTargetSetting& a = g.auto_targeting[k];
        const std::string w = absl::StrCat(where, ".auto_targeting[", k, "]");
        const int group = static_cast<int>(a.group);
        const int64_t bid = a.bid_micros != 0 ? a.bid_micros : DefaultBid(i);
        if (a.enabled && bid == 0) {
          return Invalid(w, ".bid_micros: no bid on the setting, its ad group or its campaign");
        }
        s_.ad_group_auto_bid_[i][group] = bid;
        if (a.enabled) s_.ad_group_auto_mask_[i] |= static_cast<uint8_t>(1u << group);
      }
      ad_group_serving_[i] = Serving(g.state) && campaign_serving_[campaign];
    }
    return absl::OkStatus();
  }

  int64_t DefaultBid(int32_t ad_group) const {
    const AdGroup& g = c_.ad_groups[ad_group];
    return g.default_bid_micros != 0
               ? g.default_bid_micros
               : c_.campaigns[s_.ad_group_campaign_[ad_group]].default_bid_micros;
  }

  absl::Status Ads() {
    const int32_t n = static_cast<int32_t>(c_.product_ads.size());
    ad_ad_group_.assign(n, -1);
    ad_product_.assign(n, -1);
    s_.ad_enabled_.assign(n, false);
    std::vector<std::pair<int32_t, int32_t>> group_ads;
    for (int32_t i = 0; i < n; ++i) {
      const ProductAd& a = c_.product_ads[i];
      const std::string where = absl::StrCat("product_ads[", a.id, "]");
      if (auto st = Ref(s_.ad_group_ids_, a.ad_group_id, where, "ad_group_id", "ad group",
                        &ad_ad_group_[i]);
          !st.ok()) {
        return st;
      }
      if (auto st =
              Ref(s_.product_ids_, a.product_id, where, "product_id", "product", &ad_product_[i]);
          !st.ok()) {
        return st;
      }
      if (auto st = catalog::ValidateProductAd(a); !st.ok()) return st;
      s_.ad_enabled_[i] = Serving(a.state) && ad_group_serving_[ad_ad_group_[i]];
      if (s_.ad_enabled_[i]) group_ads.emplace_back(ad_ad_group_[i], i);
    }
    ix_.ad_group_ads = MakeDense(c_.ad_groups.size(), group_ads);
    return absl::OkStatus();
  }

  float Bound(int32_t ad_group, int64_t bid) const {
    return static_cast<float>(static_cast<double>(bid) *
                              campaign_factor_[s_.ad_group_campaign_[ad_group]] * (1 + 1e-6));
  }

  absl::Status Targets() {
    const int32_t n = static_cast<int32_t>(c_.targets.size());
    target_ad_group_.assign(n, -1);
    s_.target_object_.assign(n, -1);
    std::vector<std::pair<int32_t, int32_t>> tokens;
    std::vector<std::pair<uint64_t, Posting>> exact, phrase, broad_sets;
    std::vector<std::pair<int32_t, Posting>> broad_pending, products, categories;
    std::vector<std::vector<int32_t>> broad_tokens;
    for (int32_t i = 0; i < n; ++i) {
      const Target& t = c_.targets[i];
      const std::string where = absl::StrCat("targets[", t.id, "]");
      int32_t& group = target_ad_group_[i];
      if (auto st = Ref(s_.ad_group_ids_, t.ad_group_id, where, "ad_group_id", "ad group", &group);
          !st.ok()) {
        return st;
      }
      if (auto st = catalog::ValidateTarget(t); !st.ok()) return st;
      const int64_t bid = t.bid_micros != 0 ? t.bid_micros : DefaultBid(group);
      if (bid == 0) {
        return Invalid(where, ".bid_micros: no bid on the target, its ad group or its campaign");
      }
      const bool serving = Serving(t.state) && ad_group_serving_[group];
      const Posting posting{i, Bound(group, bid)};
      switch (t.kind) {
        case TargetKind::kKeyword: {
          const MatchType mt = t.keyword.match_type;
          std::vector<int32_t> ids;
          if (auto st = KeywordTokens(t.keyword.text, where + ".keyword.text", &ids, serving);
              !st.ok()) {
            return st;
          }
          for (int32_t id : ids) tokens.emplace_back(i, id);
          if (!serving) break;
          const uint64_t h = HashTokenIds(ids.data(), ids.size());
          if (mt == MatchType::kExact) exact.emplace_back(h, posting);
          if (mt == MatchType::kPhrase) phrase.emplace_back(h, posting);
          if (mt == MatchType::kBroad) {
            broad_pending.emplace_back(static_cast<int32_t>(broad_tokens.size()), posting);
            std::vector<int32_t> stems = StemSet(ids);
            broad_sets.emplace_back(HashTokenIds(stems.data(), stems.size()), posting);
            broad_tokens.push_back(std::move(stems));
          }
          break;
        }
        case TargetKind::kProduct:
          if (auto st = Ref(s_.product_ids_, t.product_id, where, "product_id", "product",
                            &s_.target_object_[i]);
              !st.ok()) {
            return st;
          }
          if (serving) products.emplace_back(s_.target_object_[i], posting);
          break;
        case TargetKind::kCategory:
          if (auto st = Ref(s_.category_ids_, t.category_id, where, "category_id", "category",
                            &s_.target_object_[i]);
              !st.ok()) {
            return st;
          }
          if (serving) categories.emplace_back(s_.target_object_[i], posting);
          break;
        default:
          return Invalid(where, ".kind is out of range");
      }
    }
    ix_.target_tokens = MakeDense(n, tokens);
    ix_.exact = MakeHashed(exact);
    ix_.phrase = MakeHashed(phrase);
    ix_.broad_sets = MakeHashed(broad_sets);
    // Retrieval trusts the 64-bit hash for exact, phrase and broad-set lists: prove no two
    // different keywords share one.
    auto key_tokens = [&](const HashedLists* lists, int32_t target) {
      absl::Span<const int32_t> t = ix_.target_tokens.Get(target);
      // Broad sets are keyed by the sorted distinct stem set.
      if (lists == &ix_.broad_sets) return StemSet(t);
      return std::vector<int32_t>(t.begin(), t.end());
    };
    for (const HashedLists* lists : {&ix_.exact, &ix_.phrase, &ix_.broad_sets}) {
      for (const auto& [hash, range] : lists->ranges) {
        const std::vector<int32_t> first = key_tokens(lists, lists->items[range.first].id);
        for (uint32_t i = range.first + 1; i < range.second; ++i) {
          if (first != key_tokens(lists, lists->items[i].id)) {
            return Invalid(absl::StrCat("targets[", c_.targets[lists->items[i].id].id, "]"),
                           absl::StrCat(".keyword.text has the same 64-bit hash as targets[",
                                        c_.targets[lists->items[range.first].id].id,
                                        "]; change either keyword"));
          }
        }
      }
    }
    // Broad keywords hang off their rarest stem, so a query scans few of them.
    std::vector<int32_t> df(ix_.stems.size(), 0);
    for (const auto& ids : broad_tokens) {
      for (int32_t id : ids) ++df[id];
    }
    std::vector<std::pair<int32_t, Posting>> broad;
    broad.reserve(broad_pending.size());
    for (const auto& [k, posting] : broad_pending) {
      const auto& ids = broad_tokens[k];
      const int32_t anchor = *std::min_element(ids.begin(), ids.end(),
                                               [&](int32_t a, int32_t b) { return df[a] < df[b]; });
      broad.emplace_back(anchor, posting);
    }
    ix_.broad = MakeDense(ix_.stems.size(), broad);
    SortLists(&ix_.broad);
    ix_.product_targets = MakeDense(c_.products.size(), products);
    SortLists(&ix_.product_targets);
    ix_.category_targets = MakeDense(c_.categories.size(), categories);
    SortLists(&ix_.category_targets);
    ix_.negative_tokens = MakeDense(neg_phrase_tokens_.size(), negative_tokens_);
    ix_.campaign_negatives = MakeDense(c_.campaigns.size(), campaign_negatives_);
    ix_.ad_group_negatives = MakeDense(c_.ad_groups.size(), ad_group_negatives_);
    ix_.negative_exact = MakeHashed(neg_exact_);
    ix_.negative_phrase = MakeHashed(neg_phrase_);
    ix_.typos.Finish();
    return absl::OkStatus();
  }

  void BuildAutoLists() {
    std::vector<std::pair<int32_t, Posting>> close, loose, substitutes, complements;
    // Categories that list category c as a complement, inverted: viewed c -> advertised categories.
    std::vector<std::vector<int32_t>> complement_of(c_.categories.size());
    for (size_t x = 0; x < c_.categories.size(); ++x) {
      for (const std::string& y : c_.categories[x].complement_category_ids) {
        complement_of[CatalogSnapshot::Find(s_.category_ids_, y)].push_back(
            static_cast<int32_t>(x));
      }
    }
    std::vector<std::vector<Posting>> by_category(c_.categories.size());
    const auto bit = [](AutoTargetGroup g) { return 1u << static_cast<int>(g); };
    for (int32_t ad = 0; ad < static_cast<int32_t>(c_.product_ads.size()); ++ad) {
      if (!s_.ad_enabled_[ad]) continue;
      const int32_t g = ad_ad_group_[ad];
      const uint8_t mask = s_.ad_group_auto_mask_[g];
      if (mask == 0) continue;
      const auto& bids = s_.ad_group_auto_bid_[g];
      const int32_t product = ad_product_[ad];
      const int32_t category = s_.product_category_[product];
      for (AutoTargetGroup group : {AutoTargetGroup::kCloseMatch, AutoTargetGroup::kLooseMatch}) {
        if (!(mask & bit(group))) continue;
        const Posting posting{ad, Bound(g, bids[static_cast<int>(group)])};
        for (int32_t tok : ix_.product_tokens.Get(product)) {
          (group == AutoTargetGroup::kCloseMatch ? close : loose).emplace_back(tok, posting);
        }
      }
      if (category < 0) continue;
      if (mask & bit(AutoTargetGroup::kSubstitutes)) {
        substitutes.emplace_back(
            category, Posting{ad, Bound(g, bids[static_cast<int>(AutoTargetGroup::kSubstitutes)])});
      }
      if (mask & bit(AutoTargetGroup::kComplements)) {
        by_category[category].push_back(
            Posting{ad, Bound(g, bids[static_cast<int>(AutoTargetGroup::kComplements)])});
      }
    }
    for (size_t viewed = 0; viewed < complement_of.size(); ++viewed) {
      for (int32_t x : complement_of[viewed]) {
        for (const Posting& p : by_category[x]) {
          complements.emplace_back(static_cast<int32_t>(viewed), p);
        }
      }
    }
    ix_.auto_close = MakeDense(ix_.token_stem.size(), close);
    SortLists(&ix_.auto_close);
    ix_.auto_loose = MakeDense(ix_.token_stem.size(), loose);
    SortLists(&ix_.auto_loose);
    ix_.substitutes = MakeDense(c_.categories.size(), substitutes);
    SortLists(&ix_.substitutes);
    ix_.complements = MakeDense(c_.categories.size(), complements);
    SortLists(&ix_.complements);
  }

  CatalogSnapshot& s_;
  Catalog& c_;
  TargetIndex& ix_;
  Stemmer stemmer_;                     // the catalog's language
  std::vector<std::string> singulars_;  // PluralSingulars scratch
  std::vector<bool> campaign_serving_, ad_group_serving_;
  std::vector<int32_t> ad_ad_group_, ad_product_, target_ad_group_;  // packed into *Info by Pack
  std::vector<double> campaign_factor_;
  std::vector<std::pair<int32_t, int32_t>> negative_tokens_, campaign_negatives_,
      ad_group_negatives_;
  absl::flat_hash_map<std::pair<uint64_t, bool>, int32_t> neg_phrase_ids_;
  std::vector<std::vector<int32_t>> neg_phrase_tokens_;
  std::vector<std::pair<uint64_t, Posting>> neg_exact_, neg_phrase_;
};

absl::StatusOr<std::shared_ptr<const CatalogSnapshot>> CatalogSnapshot::Build(
    Catalog catalog, int64_t version, std::shared_ptr<const CtrModel> model) {
  std::shared_ptr<CatalogSnapshot> s(new CatalogSnapshot());
  s->version_ = version;
  s->catalog_ = std::move(catalog);
  s->model_ = model != nullptr ? std::move(model) : CtrModel::Default();
  if (auto st = SnapshotBuilder(s.get()).Run(); !st.ok()) return st;
  return std::shared_ptr<const CatalogSnapshot>(std::move(s));
}

int64_t CatalogSnapshot::ResolveTargetBid(int32_t target) const {
  const int64_t bid = catalog_.targets[target].bid_micros;
  if (bid != 0) return bid;
  const int32_t g = target_info_[target].ad_group;
  const int64_t group_bid = catalog_.ad_groups[g].default_bid_micros;
  return group_bid != 0 ? group_bid : catalog_.campaigns[ad_group_campaign_[g]].default_bid_micros;
}

int64_t CatalogSnapshot::ResolveAutoBid(int32_t ad_group, AutoTargetGroup group) const {
  const int64_t bid = ad_group_auto_bid_[ad_group][static_cast<int>(group)];
  if (bid != 0) return bid;
  const int64_t group_bid = catalog_.ad_groups[ad_group].default_bid_micros;
  return group_bid != 0 ? group_bid
                        : catalog_.campaigns[ad_group_campaign_[ad_group]].default_bid_micros;
}

bool CatalogSnapshot::AutoEnabled(int32_t ad_group, AutoTargetGroup group) const {
  return ad_group_auto_mask_[ad_group] & (1u << static_cast<int>(group));
}

size_t TargetIndex::Bytes() const {
  size_t b = tokens.capacity() * (sizeof(std::string) + 4 + 1) +
             stems.capacity() * (sizeof(std::string) + 4 + 1) + token_stem.capacity() * 4;
  for (const auto& [t, id] : tokens) b += t.capacity() > 15 ? t.capacity() + 1 : 0;
  for (const auto& [t, id] : stems) b += t.capacity() > 15 ? t.capacity() + 1 : 0;
  b += target_tokens.Bytes() + exact.Bytes() + phrase.Bytes() + broad.Bytes() + broad_sets.Bytes() +
       product_targets.Bytes() + category_targets.Bytes() + auto_close.Bytes() +
       auto_loose.Bytes() + substitutes.Bytes() + complements.Bytes() + product_tokens.Bytes() +
       ad_group_ads.Bytes() + negatives.capacity() * sizeof(NegativeRef) + negative_tokens.Bytes() +
       campaign_negatives.Bytes() + ad_group_negatives.Bytes() + negative_exact.Bytes() +
       negative_phrase.Bytes() + predicates.capacity() * sizeof(CompiledPredicates) +
       campaign_predicates.capacity() * 4 + ad_group_predicates.capacity() * 4 +
       category_hash.capacity() * 8 + campaign_hash.capacity() * 8 + synonyms.Bytes() +
       typos.Bytes();
  return b;
}

}  // namespace gavel::targeting
