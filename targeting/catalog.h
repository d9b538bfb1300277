// The catalog model: advertisers, campaigns, ad groups, product ads, targets, products and
// categories as plain structs mirroring proto/gavel/v1/types.proto, and CatalogSnapshot, the
// immutable, validated, indexed form that retrieval reads.
//
//   Catalog c;
//   c.advertisers.push_back({.id = "a-1", .name = "Acme"});  ... fill the other lists ...
//   absl::StatusOr<std::shared_ptr<const CatalogSnapshot>> s = CatalogSnapshot::Build(std::move(c), 1);
//
// Ids are the caller's strings; Build interns them to dense int32 indexes (the position of the
// entity in its input list) and keeps the strings for output. Rules: docs/targeting.md.
//
// Thread safety: Catalog is a plain value. A CatalogSnapshot is immutable once built and is safe to
// share across threads through std::shared_ptr<const CatalogSnapshot>.
#ifndef GAVEL_TARGETING_CATALOG_H_
#define GAVEL_TARGETING_CATALOG_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "targeting/ctr_model.h"
#include "targeting/enums.h"
#include "targeting/index.h"

namespace gavel::targeting {

// The largest bid (any level) a catalog may hold: 1,000 units.
inline constexpr int64_t kMaxBidMicros = 1'000'000'000;

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
  int64_t default_bid_micros = 0;  // 0 = none
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
};

// Hot per-entity data packed for retrieval, so scoring one ad or target costs one cache miss
// each for the entity and its campaign. Ranges index TargetIndex lists.
struct AdInfo {
  int32_t ad_group, campaign, product, category;  // category -1 when the product has none
  int32_t ad_group_predicates;                    // -1 = none
  uint32_t title_begin, title_end;                // product_tokens.items range
  // Resolved bid per automatic group (close, loose, substitutes, complements); 0 = off.
  std::array<int32_t, 4> auto_bid;
};
struct CampaignInfo {
  absl::Time start, end;  // serving window [start, end)
  std::array<int16_t, kNumPlacements> placement_percent;
  BiddingStrategy strategy;
  int32_t predicates;  // index into TargetIndex::predicates, -1 = none
  uint64_t id_hash;    // CtrModel::Hash(id)
};
struct TargetInfo {
  int32_t ad_group, campaign;
  int32_t bid_micros;           // resolved (ResolveTargetBid); <= kMaxBidMicros fits
  uint32_t ads_begin, ads_end;  // the ad group's serving ads: ad_group_ads.items range
  MatchType match_type;         // kUnspecified for product/category targets
};

class CatalogSnapshot {
 public:
  // Validates `catalog` and builds the index. Returns INVALID_ARGUMENT naming the entity and field,
  // e.g. "campaigns[c-7].daily_budget_micros must be > 0, got -5". `model` may be null: the
  // built-in default model is used.
  static absl::StatusOr<std::shared_ptr<const CatalogSnapshot>> Build(
      Catalog catalog, int64_t version, std::shared_ptr<const CtrModel> model = nullptr);

  int64_t version() const { return version_; }
  const Catalog& catalog() const { return catalog_; }
  const ServingRules& rules() const { return catalog_.rules; }
  const CtrModel& model() const { return *model_; }
  const TargetIndex& index() const { return index_; }

  // Dense-index accessors; every index must be in range.
  const ProductAd& ad(int32_t ad) const { return catalog_.product_ads[ad]; }
  int32_t ad_count() const { return static_cast<int32_t>(catalog_.product_ads.size()); }
  int32_t ad_ad_group(int32_t ad) const { return ad_info_[ad].ad_group; }
  int32_t ad_product(int32_t ad) const { return ad_info_[ad].product; }
  int32_t ad_campaign(int32_t ad) const { return ad_info_[ad].campaign; }
  int32_t ad_advertiser(int32_t ad) const { return campaign_advertiser_[ad_campaign(ad)]; }
  int32_t ad_group_campaign(int32_t ad_group) const { return ad_group_campaign_[ad_group]; }
  int32_t campaign_advertiser(int32_t campaign) const { return campaign_advertiser_[campaign]; }
  int32_t product_category(int32_t product) const { return product_category_[product]; }
  int32_t category_parent(int32_t category) const { return category_parent_[category]; }
  int32_t target_ad_group(int32_t target) const { return target_info_[target].ad_group; }
  // -1 for a non-product / non-category target.
  int32_t target_object(int32_t target) const { return target_object_[target]; }
  const AdInfo& ad_info(int32_t ad) const { return ad_info_[ad]; }
  const CampaignInfo& campaign_info(int32_t campaign) const { return campaign_info_[campaign]; }
  const TargetInfo& target_info(int32_t target) const { return target_info_[target]; }
  // Ids for output.
  const std::string& ad_id(int32_t ad) const { return catalog_.product_ads[ad].id; }
  const std::string& ad_group_id(int32_t ad) const { return catalog_.ad_groups[ad_ad_group(ad)].id; }
  const std::string& campaign_id(int32_t ad) const { return catalog_.campaigns[ad_campaign(ad)].id; }
  const std::string& advertiser_id(int32_t ad) const {
    return catalog_.advertisers[ad_advertiser(ad)].id;
  }
  const std::string& product_id(int32_t ad) const { return catalog_.products[ad_product(ad)].id; }

  // Dense index of an id, or -1 when absent.
  int32_t FindAd(absl::string_view id) const { return Find(ad_ids_, id); }
  int32_t FindCampaign(absl::string_view id) const { return Find(campaign_ids_, id); }
  int32_t FindProduct(absl::string_view id) const { return Find(product_ids_, id); }
  int32_t FindCategory(absl::string_view id) const { return Find(category_ids_, id); }

  // Bid resolution (target -> ad group default -> campaign default; 0 = unset). 0 if none is set.
  int64_t ResolveTargetBid(int32_t target) const;
  int64_t ResolveAutoBid(int32_t ad_group, AutoTargetGroup group) const;
  // Whether the ad group has `group` switched on.
  bool AutoEnabled(int32_t ad_group, AutoTargetGroup group) const;

  // Serving window of a campaign as instants: [start, end); InfinitePast/Future when unbounded.
  absl::Time campaign_start(int32_t campaign) const { return campaign_window_[campaign].first; }
  absl::Time campaign_end(int32_t campaign) const { return campaign_window_[campaign].second; }
  // Whether the ad, its ad group, campaign and advertiser are all enabled (or unspecified).
  bool AdEnabled(int32_t ad) const { return ad_enabled_[ad]; }

  CatalogSnapshot(const CatalogSnapshot&) = delete;
  CatalogSnapshot& operator=(const CatalogSnapshot&) = delete;

 private:
  // Keys view the ids inside catalog_, which never moves or changes after Build.
  using IdMap = absl::flat_hash_map<absl::string_view, int32_t>;
  CatalogSnapshot() = default;
  static int32_t Find(const IdMap& m, absl::string_view id) {
    auto it = m.find(id);
    return it == m.end() ? -1 : it->second;
  }
  friend class SnapshotBuilder;

  int64_t version_ = 0;
  Catalog catalog_;
  std::shared_ptr<const CtrModel> model_;
  // ad_group_ids_ and target_ids_ are only needed while building; Build frees them.
  IdMap advertiser_ids_, campaign_ids_, ad_group_ids_, ad_ids_, target_ids_, product_ids_,
      category_ids_;
  std::vector<int32_t> campaign_advertiser_, ad_group_campaign_, target_object_,
      product_category_, category_parent_;
  // Per ad group: enabled mask and bid per AutoTargetGroup.
  std::vector<uint8_t> ad_group_auto_mask_;
  std::vector<std::array<int64_t, kNumAutoTargetGroups>> ad_group_auto_bid_;
  std::vector<std::pair<absl::Time, absl::Time>> campaign_window_;
  std::vector<bool> ad_enabled_;
  std::vector<AdInfo> ad_info_;
  std::vector<CampaignInfo> campaign_info_;
  std::vector<TargetInfo> target_info_;
  TargetIndex index_;
};

}  // namespace gavel::targeting

#endif  // GAVEL_TARGETING_CATALOG_H_
