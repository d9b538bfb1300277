// The catalog model: advertisers, campaigns, ad groups, product ads, targets, products and
// categories as plain structs mirroring proto/gavel/v1/types.proto. This is the catalog as a caller
// gives it; targeting::CatalogSnapshot::Build validates it and turns it into the indexed form that
// retrieval reads. convert/ maps it to and from gavel.v1.Catalog.
//
//   catalog::Catalog c;
//   c.advertisers.push_back({.id = "a-1", .name = "Acme"});
//   c.campaigns.push_back({.id = "c-1", .advertiser_id = "a-1", .daily_budget_micros =
//   50'000'000});
//
// Plain values: thread-compatible. Field rules: docs/targeting.md; limits: catalog/limits.h.
#ifndef GAVEL_CATALOG_MODEL_H_
#define GAVEL_CATALOG_MODEL_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "catalog/enums.h"

namespace gavel::catalog {

struct Keyword {
  std::string text;
  MatchType match_type = MatchType::kUnspecified;
};

// Empty list = no constraint; a shopper passes when in some include value (if any are listed) and
// in no exclude value. An include list is never satisfied by an unknown (empty / -1) value.
struct Predicates {
  std::vector<std::string> include_segments, exclude_segments;
  std::vector<Device> include_devices, exclude_devices;
  std::vector<std::string> include_countries, exclude_countries;
  std::vector<std::string> include_regions, exclude_regions;
  std::vector<int> include_hours;  // 0-23, shopper's local hour
};

struct Advertiser {
  std::string id, name;
  EntityState state = EntityState::kEnabled;
};

struct Campaign {
  std::string id, advertiser_id, name;
  EntityState state = EntityState::kEnabled;
  int64_t daily_budget_micros = 0;  // > 0
  BudgetPolicy budget_policy = BudgetPolicy::kHard;
  std::optional<absl::CivilDay> start_date, end_date;  // inclusive, in time_zone; unset = unbounded
  absl::TimeZone time_zone = absl::UTCTimeZone();
  BiddingStrategy bidding_strategy = BiddingStrategy::kFixed;
  // Percent increase per Placement (index = static_cast<int>(placement)), 0-900.
  std::array<int32_t, kNumPlacements> placement_multiplier_percent{};
  int64_t default_bid_micros = 0;          // 0 = none
  // Cap on caller-supplied candidates' bids for this campaign; 0 = they may not name it.
  int64_t max_bid_micros = 0;
  std::vector<Keyword> negative_keywords;  // EXACT or PHRASE only
  Predicates predicates;
  bool pacing = true;
};

struct AutoTargetSetting {
  AutoTargetGroup group = AutoTargetGroup::kUnspecified;
  bool enabled = false;
  int64_t bid_micros = 0;  // 0 = the ad group's default
};

struct AdGroup {
  std::string id, campaign_id, name;
  EntityState state = EntityState::kEnabled;
  int64_t default_bid_micros = 0;  // 0 = the campaign's default
  std::vector<Keyword> negative_keywords;
  Predicates predicates;
  std::vector<AutoTargetSetting> auto_targeting;
};

struct ProductAd {
  std::string id, ad_group_id, product_id;
  EntityState state = EntityState::kEnabled;
};

enum class TargetKind { kKeyword, kProduct, kCategory };

struct Target {
  std::string id, ad_group_id;
  EntityState state = EntityState::kEnabled;
  int64_t bid_micros = 0;  // 0 = the ad group's default
  TargetKind kind = TargetKind::kKeyword;
  Keyword keyword;          // kind == kKeyword
  std::string product_id;   // kind == kProduct
  std::string category_id;  // kind == kCategory
};

struct Product {
  std::string id, title, category_id, brand;  // category_id may be empty
  int64_t price_micros = 0;                   // > 0
};

struct Category {
  std::string id, name, parent_id;  // parent_id empty for a root
  std::vector<std::string> complement_category_ids;
};

// Serving knobs the catalog carries (from gavel.v1.AuctionRules.min_relevance).
struct ServingRules {
  double min_relevance = 0.1;  // [0, 1]; below it: LOW_RELEVANCE
  // Retrieval returns at most this many candidates, the best by bid x quality (docs/targeting.md).
  int max_candidates = 256;
};

// A query containing `term` also matches broad keywords containing one of `synonyms`; with
// `two_way`, the reverse too. Single words (docs/targeting.md, "Synonyms").
struct Synonym {
  std::string term;
  std::vector<std::string> synonyms;
  bool two_way = false;
};

// The catalog as the caller gives it.
struct Catalog {
  std::vector<Advertiser> advertisers;
  std::vector<Campaign> campaigns;
  std::vector<AdGroup> ad_groups;
  std::vector<ProductAd> product_ads;
  std::vector<Target> targets;
  std::vector<Product> products;
  std::vector<Category> categories;
  ServingRules rules;
  std::string language;  // Snowball stemmer name; empty = english
  std::vector<Synonym> synonyms;
};

}  // namespace gavel::catalog

#endif  // GAVEL_CATALOG_MODEL_H_
