#include "targeting/synthetic.h"

#include <algorithm>
#include <cmath>

#include "absl/random/distributions.h"
#include "absl/random/zipf_distribution.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gavel::targeting {

using ::gavel::catalog::AdGroup;
using ::gavel::catalog::Advertiser;
using ::gavel::catalog::AutoTargetGroup;
using ::gavel::catalog::BiddingStrategy;
using ::gavel::catalog::Campaign;
using ::gavel::catalog::Catalog;
using ::gavel::catalog::Category;
using ::gavel::catalog::Device;
using ::gavel::catalog::kNumAutoTargetGroups;
using ::gavel::catalog::MatchType;
using ::gavel::catalog::Placement;
using ::gavel::catalog::Product;
using ::gavel::catalog::Target;
using ::gavel::catalog::TargetKind;

namespace {

struct Department {
  const char* name;
  std::vector<const char*> nouns;
  std::vector<const char*> qualifiers;
};

// Word lists: small, hand-written, enough for titles and queries that read like a marketplace.
const std::vector<Department>& Departments() {
  static const auto* const kDepartments = new std::vector<Department>{
      {"shoes",
       {"shoes", "boots", "sandals", "sneakers", "slippers", "loafers"},
       {"running", "trail", "hiking", "walking", "casual", "dress", "winter", "kids", "womens",
        "mens", "waterproof", "basketball"}},
      {"electronics",
       {"headphones", "speaker", "charger", "cable", "keyboard", "mouse", "monitor", "webcam",
        "earbuds", "tablet"},
       {"wireless", "bluetooth", "usb", "gaming", "portable", "noise cancelling", "mechanical",
        "fast", "4k", "ergonomic", "mini", "studio"}},
      {"kitchen",
       {"knife", "pan", "blender", "kettle", "mug", "cutting board", "toaster", "pot", "spatula",
        "grinder"},
       {"stainless", "nonstick", "electric", "ceramic", "cast iron", "chef", "coffee", "glass",
        "bamboo", "compact", "professional", "travel"}},
      {"home",
       {"pillow", "blanket", "lamp", "rug", "curtains", "towel", "sheets", "mattress", "shelf",
        "candle"},
       {"cotton", "memory foam", "led", "blackout", "bath", "queen", "king", "floor", "wall",
        "scented", "outdoor", "weighted"}},
      {"outdoor",
       {"tent", "backpack", "sleeping bag", "water bottle", "flashlight", "hammock", "cooler",
        "chair", "jacket", "gloves"},
       {"camping", "ultralight", "insulated", "tactical", "rechargeable", "folding", "rain",
        "fleece", "hiking", "family", "beach", "thermal"}},
      {"beauty",
       {"shampoo", "moisturizer", "serum", "lipstick", "brush", "razor", "perfume", "sunscreen",
        "conditioner", "mask"},
       {"organic", "vitamin c", "hydrating", "matte", "makeup", "electric", "travel", "sensitive",
        "anti aging", "spf 50", "curly", "natural"}},
      {"toys",
       {"puzzle", "blocks", "doll", "car", "drone", "board game", "robot", "kite", "plush",
        "train"},
       {"wooden", "remote control", "educational", "stem", "magnetic", "kids", "toddler",
        "1000 piece", "family", "building", "stuffed", "electric"}},
      {"pets",
       {"dog food", "cat litter", "leash", "collar", "dog bed", "cat tree", "toy", "harness",
        "bowl", "treats"},
       {"grain free", "large", "small", "orthopedic", "chew", "retractable", "reflective",
        "clumping", "puppy", "senior", "automatic", "training"}},
  };
  return *kDepartments;
}

constexpr const char* kColors[] = {"black", "white", "blue", "red",   "green",  "grey",
                                   "pink",  "brown", "navy", "beige", "yellow", "purple"};
constexpr const char* kAdjectives[] = {
    "lightweight", "durable",    "premium",     "classic",    "soft", "heavy duty", "slim", "large",
    "small",       "adjustable", "comfortable", "breathable", "best", "cheap",      "new"};
constexpr const char* kSyllables[] = {"zor", "vex", "ka", "lin", "tor", "mi", "qu",  "ra",  "no",
                                      "sel", "tri", "ob", "wen", "pax", "lu", "dra", "fin", "gol"};
constexpr const char* kNegatives[] = {
    "used", "refurbished", "free", "cheap", "replacement parts", "repair", "diy", "broken"};
constexpr const char* kSegments[] = {"new-parent", "runner", "gamer",   "pet-owner",
                                     "student",    "prime",  "bargain", "traveler"};
constexpr const char* kCountries[] = {"US", "CA", "GB", "DE", "FR"};

template <typename T, size_t N>
const T& Pick(const T (&list)[N], absl::BitGenRef gen) {
  return list[absl::Uniform<size_t>(gen, 0, N)];
}

// Zipf rank in [0, n), rank 0 most popular.
int ZipfRank(absl::BitGenRef gen, int n, double q) {
  return static_cast<int>(absl::Zipf<int>(gen, n - 1, q, 1.0));
}

std::string Brand(int i) {
  return absl::StrCat(kSyllables[i % 18], kSyllables[(i / 18) % 18],
                      i >= 324 ? kSyllables[(i / 324) % 18] : "");
}

struct LeafCategory {
  int department, noun, qualifier;
  std::string id;
};

std::vector<LeafCategory> Leaves(int count) {
  std::vector<LeafCategory> out;
  const auto& deps = Departments();
  // Round-robin so that every department has popular leaves.
  for (int q = 0; q < 12 && static_cast<int>(out.size()) < count; ++q) {
    for (int n = 0; n < 10 && static_cast<int>(out.size()) < count; ++n) {
      for (int d = 0; d < static_cast<int>(deps.size()) && static_cast<int>(out.size()) < count;
           ++d) {
        if (n < static_cast<int>(deps[d].nouns.size())) out.push_back({d, n, q, ""});
      }
    }
  }
  return out;
}

// Category ids: departments cat-D, nouns cat-D-N, leaves cat-D-N-Q.
void AddCategories(const std::vector<LeafCategory>& leaves, Catalog* c) {
  const auto& deps = Departments();
  std::vector<bool> noun_added(deps.size() * 10, false);
  for (size_t d = 0; d < deps.size(); ++d) {
    c->categories.push_back({.id = absl::StrCat("cat-", d), .name = deps[d].name});
  }
  for (const LeafCategory& l : leaves) {
    const Department& dep = deps[l.department];
    if (!noun_added[l.department * 10 + l.noun]) {
      noun_added[l.department * 10 + l.noun] = true;
      c->categories.push_back({.id = absl::StrCat("cat-", l.department, "-", l.noun),
                               .name = dep.nouns[l.noun],
                               .parent_id = absl::StrCat("cat-", l.department)});
    }
    c->categories.push_back(
        {.id = absl::StrCat("cat-", l.department, "-", l.noun, "-", l.qualifier),
         .name = absl::StrCat(dep.qualifiers[l.qualifier], " ", dep.nouns[l.noun]),
         .parent_id = absl::StrCat("cat-", l.department, "-", l.noun)});
  }
  // Complements: each noun category complements the next noun of its department (socks ~ shoes).
  for (Category& cat : c->categories) {
    std::vector<absl::string_view> parts = absl::StrSplit(cat.id, '-');
    if (parts.size() != 3) continue;
    int d = 0, n = 0;
    if (!absl::SimpleAtoi(parts[1], &d) || !absl::SimpleAtoi(parts[2], &n)) continue;
    const int next = (n + 1) % static_cast<int>(deps[d].nouns.size());
    if (noun_added[d * 10 + next])
      cat.complement_category_ids.push_back(absl::StrCat("cat-", d, "-", next));
  }
}

int64_t LogNormalBid(absl::BitGenRef gen, double median_units) {
  const double v = median_units * std::exp(absl::Gaussian<double>(gen, 0, 0.6));
  return std::clamp<int64_t>(static_cast<int64_t>(v * 100) * 10'000, 20'000, 20'000'000);
}

}  // namespace

Catalog GenerateCatalog(const SyntheticOptions& o, absl::BitGenRef gen) {
  Catalog c;
  const auto& deps = Departments();
  const int num_leaves = std::clamp(o.num_ads / 400, 16, 12 * 80);
  const std::vector<LeafCategory> leaves = Leaves(num_leaves);
  AddCategories(leaves, &c);
  const int num_brands = std::max(20, o.num_ads / 100);
  const int num_models = std::max(50, o.num_ads / 50);
  c.products.reserve(o.num_ads);
  c.product_ads.reserve(o.num_ads);
  c.targets.reserve(static_cast<size_t>(o.num_ads) * o.keywords_per_ad_group / o.ads_per_ad_group +
                    16);
  int advertiser = -1, campaign = -1, group = -1;
  int campaigns_left = 0, groups_left = 0, ads_left = 0;
  const LeafCategory* leaf = nullptr;
  std::string brand;
  auto uniform_count = [&](int mean) { return absl::Uniform<int>(gen, 1, 2 * mean); };
  for (int ad = 0; ad < o.num_ads; ++ad) {
    if (ads_left == 0) {
      if (groups_left == 0) {
        if (campaigns_left == 0) {
          ++advertiser;
          c.advertisers.push_back({.id = absl::StrCat("adv-", advertiser),
                                   .name = absl::StrCat("Advertiser ", advertiser)});
          campaigns_left = uniform_count(o.campaigns_per_advertiser);
          brand = Brand(absl::Uniform<int>(gen, 0, num_brands));
        }
        --campaigns_left;
        ++campaign;
        Campaign cmp;
        cmp.id = absl::StrCat("cmp-", campaign);
        cmp.advertiser_id = c.advertisers.back().id;
        cmp.name = absl::StrCat("Campaign ", campaign);
        cmp.daily_budget_micros = absl::Uniform<int64_t>(gen, 10, 1000) * 1'000'000;
        cmp.default_bid_micros = LogNormalBid(gen, 0.8);
        if (absl::Bernoulli(gen, o.dynamic_bidding_fraction)) {
          cmp.bidding_strategy = absl::Bernoulli(gen, 0.5) ? BiddingStrategy::kDynamicDownOnly
                                                           : BiddingStrategy::kDynamicUpAndDown;
        }
        if (absl::Bernoulli(gen, 0.3)) {
          cmp.placement_multiplier_percent[static_cast<int>(Placement::kTopOfSearch)] =
              10 * absl::Uniform<int>(gen, 1, 11);
        }
        if (absl::Bernoulli(gen, o.negative_fraction)) {
          cmp.negative_keywords.push_back({Pick(kNegatives, gen), absl::Bernoulli(gen, 0.5)
                                                                      ? MatchType::kPhrase
                                                                      : MatchType::kExact});
        }
        if (absl::Bernoulli(gen, o.predicate_fraction)) {
          cmp.predicates.include_countries = {Pick(kCountries, gen)};
        }
        c.campaigns.push_back(std::move(cmp));
        groups_left = uniform_count(o.ad_groups_per_campaign);
      }
      --groups_left;
      ++group;
      leaf = &leaves[ZipfRank(gen, static_cast<int>(leaves.size()), o.zipf_exponent)];
      AdGroup g;
      g.id = absl::StrCat("grp-", group);
      g.campaign_id = c.campaigns.back().id;
      g.name = absl::StrCat("Ad group ", group);
      g.default_bid_micros = LogNormalBid(gen, 0.8);
      if (absl::Bernoulli(gen, o.predicate_fraction)) {
        g.predicates.exclude_segments = {Pick(kSegments, gen)};
      }
      if (absl::Bernoulli(gen, o.negative_fraction)) {
        g.negative_keywords.push_back({Pick(kNegatives, gen), MatchType::kPhrase});
      }
      if (absl::Bernoulli(gen, o.auto_targeting_fraction)) {
        for (int k = 1; k < kNumAutoTargetGroups; ++k) {
          g.auto_targeting.push_back({static_cast<AutoTargetGroup>(k), absl::Bernoulli(gen, 0.6),
                                      absl::Bernoulli(gen, 0.5) ? LogNormalBid(gen, 0.5) : 0});
        }
      }
      const Department& dep = deps[leaf->department];
      const std::string noun = dep.nouns[leaf->noun];
      const std::string qualifier = dep.qualifiers[leaf->qualifier];
      const int keywords = uniform_count(o.keywords_per_ad_group);
      for (int k = 0; k < keywords; ++k) {
        std::string text;
        switch (ZipfRank(gen, 6, 1.3)) {
          case 0:
            text = absl::StrCat(qualifier, " ", noun);
            break;
          case 1:
            text = noun;
            break;
          case 2:
            text = absl::StrCat(kColors[ZipfRank(gen, 12, o.zipf_exponent)], " ", noun);
            break;
          case 3:
            text = absl::StrCat(kAdjectives[ZipfRank(gen, 15, o.zipf_exponent)], " ", qualifier,
                                " ", noun);
            break;
          case 4:
            text = absl::StrCat(brand, " ", noun);
            break;
          default:
            text = absl::StrCat(dep.qualifiers[ZipfRank(gen, 12, o.zipf_exponent)], " ", noun);
            break;
        }
        const double u = absl::Uniform<double>(gen, 0, 1);
        Target t;
        t.id = absl::StrCat("tgt-", c.targets.size());
        t.ad_group_id = g.id;
        t.kind = TargetKind::kKeyword;
        t.keyword = {std::move(text), u < 0.3   ? MatchType::kExact
                                      : u < 0.6 ? MatchType::kPhrase
                                                : MatchType::kBroad};
        t.bid_micros = absl::Bernoulli(gen, 0.7) ? LogNormalBid(gen, 1.0) : 0;
        c.targets.push_back(std::move(t));
      }
      c.ad_groups.push_back(std::move(g));
      ads_left = uniform_count(o.ads_per_ad_group);
    }
    --ads_left;
    const Department& dep = deps[leaf->department];
    Product p;
    p.id = absl::StrCat("prd-", ad);
    p.category_id = absl::StrCat("cat-", leaf->department, "-", leaf->noun, "-", leaf->qualifier);
    p.brand = brand;
    p.price_micros = absl::Uniform<int64_t>(gen, 5, 300) * 1'000'000 - 10'000;
    p.title = absl::StrCat(brand, " ", kAdjectives[ZipfRank(gen, 15, o.zipf_exponent)], " ",
                           kColors[ZipfRank(gen, 12, o.zipf_exponent)], " ",
                           dep.qualifiers[leaf->qualifier], " ", dep.nouns[leaf->noun], " ",
                           Brand(absl::Uniform<int>(gen, 0, num_models)).substr(0, 3),
                           absl::Uniform<int>(gen, 1, 100) * 10);
    c.product_ads.push_back(
        {.id = absl::StrCat("ad-", ad), .ad_group_id = c.ad_groups.back().id, .product_id = p.id});
    c.products.push_back(std::move(p));
  }
  return c;
}

QuerySampler::QuerySampler(const Catalog& catalog, double zipf_exponent)
    : zipf_exponent_(zipf_exponent) {
  const auto& deps = Departments();
  for (const Category& cat : catalog.categories) {
    std::vector<absl::string_view> parts = absl::StrSplit(cat.id, '-');
    int d, n, q;
    if (parts.size() != 4 || !absl::SimpleAtoi(parts[1], &d) || !absl::SimpleAtoi(parts[2], &n) ||
        !absl::SimpleAtoi(parts[3], &q)) {
      continue;
    }
    leaves_.push_back({cat.id, deps[d].qualifiers[q], deps[d].nouns[n], deps[d].name});
  }
}

Request QuerySampler::Sample(absl::BitGenRef gen) const {
  Request r;
  r.placement = absl::Bernoulli(gen, 0.7) ? Placement::kTopOfSearch : Placement::kRestOfSearch;
  r.slots = 4;
  r.shopper.device = static_cast<Device>(absl::Uniform<int>(gen, 1, 5));
  r.shopper.country = kCountries[ZipfRank(gen, 5, 1.5)];
  r.shopper.local_hour = absl::Uniform<int>(gen, 0, 24);
  if (absl::Bernoulli(gen, 0.3)) r.shopper.segments.push_back(Pick(kSegments, gen));
  if (leaves_.empty()) {
    r.query = absl::StrCat(Pick(kColors, gen), " ", Pick(kAdjectives, gen));
    return r;
  }
  const Leaf& leaf = leaves_[ZipfRank(gen, static_cast<int>(leaves_.size()), zipf_exponent_)];
  r.category_ids.push_back(leaf.id);
  // 2 to 4 tokens: noun with a qualifier, colour or adjective, sometimes a trailing modifier.
  switch (absl::Uniform<int>(gen, 0, 4)) {
    case 0:
      r.query = absl::StrCat(leaf.qualifier, " ", leaf.noun);
      break;
    case 1:
      r.query = absl::StrCat(kColors[ZipfRank(gen, 12, zipf_exponent_)], " ", leaf.noun);
      break;
    case 2:
      r.query = absl::StrCat(kColors[ZipfRank(gen, 12, zipf_exponent_)], " ", leaf.qualifier, " ",
                             leaf.noun);
      break;
    default:
      r.query = absl::StrCat(kAdjectives[ZipfRank(gen, 15, zipf_exponent_)], " ", leaf.qualifier,
                             " ", leaf.noun);
      break;
  }
  if (absl::Bernoulli(gen, 0.05)) r.query += absl::StrCat(" ", Pick(kNegatives, gen));
  return r;
}

std::vector<catalog::Synonym> GenerateSynonyms(absl::BitGenRef gen) {
  std::vector<catalog::Synonym> out;
  for (const Department& dep : Departments()) {
    for (const std::vector<const char*>* list : {&dep.nouns, &dep.qualifiers}) {
      std::vector<const char*> words;
      for (const char* w : *list) {
        if (absl::string_view(w).find(' ') == absl::string_view::npos) words.push_back(w);
      }
      if (words.size() < 3) continue;
      for (size_t i = 0; i < words.size(); ++i) {
        if (!absl::Bernoulli(gen, 0.5)) continue;
        catalog::Synonym entry{.term = words[i], .two_way = absl::Bernoulli(gen, 0.5)};
        const int count = absl::Uniform<int>(absl::IntervalClosed, gen, 1, 2);
        while (static_cast<int>(entry.synonyms.size()) < count) {
          const char* other = words[absl::Uniform<size_t>(gen, 0, words.size())];
          if (other == words[i] || std::find(entry.synonyms.begin(), entry.synonyms.end(),
                                             other) != entry.synonyms.end()) {
            continue;
          }
          entry.synonyms.push_back(other);
        }
        out.push_back(std::move(entry));
      }
    }
  }
  return out;
}

}  // namespace gavel::targeting
