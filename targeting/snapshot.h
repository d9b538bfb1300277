// CatalogSnapshot: the immutable, validated, indexed form of a catalog::Catalog that retrieval
// reads, built once per catalog version.
//
//   catalog::Catalog c;
//   c.advertisers.push_back({.id = "a-1", .name = "Acme"});  ... fill the other lists ...
//   absl::StatusOr<std::shared_ptr<const CatalogSnapshot>> s = CatalogSnapshot::Build(std::move(c),
//   1);
//
// Ids are the caller's strings; Build interns them to dense int32 indexes (the position of the
// entity in its input list) and keeps the strings for output. Rules: docs/targeting.md.
//
// Thread safety: a CatalogSnapshot is immutable once built and is safe to share across threads
// through std::shared_ptr<const CatalogSnapshot>.
#ifndef GAVEL_TARGETING_SNAPSHOT_H_
#define GAVEL_TARGETING_SNAPSHOT_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "catalog/model.h"
#include "targeting/ctr_model.h"
#include "targeting/index.h"

namespace gavel::targeting {

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
  std::array<int16_t, catalog::kNumPlacements> placement_percent;
  catalog::BiddingStrategy strategy;
  int32_t predicates;  // index into TargetIndex::predicates, -1 = none
  uint64_t id_hash;    // CtrModel::Hash(id)
};
struct TargetInfo {
  int32_t ad_group, campaign;
  int32_t bid_micros;             // resolved (ResolveTargetBid); <= kMaxBidMicros fits
  uint32_t ads_begin, ads_end;    // the ad group's serving ads: ad_group_ads.items range
  catalog::MatchType match_type;  // kUnspecified for product/category targets
};

class CatalogSnapshot {
 public:
  // Validates `catalog` and builds the index. Returns INVALID_ARGUMENT naming the entity and field,
  // e.g. "campaigns[c-7].daily_budget_micros must be > 0, got -5". `model` may be null: the
  // built-in default model is used.
  static absl::StatusOr<std::shared_ptr<const CatalogSnapshot>> Build(
      catalog::Catalog catalog, int64_t version, std::shared_ptr<const CtrModel> model = nullptr);

  int64_t version() const { return version_; }
  const catalog::Catalog& catalog() const { return catalog_; }
  const catalog::ServingRules& rules() const { return catalog_.rules; }
  const CtrModel& model() const { return *model_; }
  // The Snowball stemmer name keywords are stemmed with (the catalog's language, or english).
  absl::string_view language() const {
    return catalog_.language.empty() ? absl::string_view("english") : catalog_.language;
  }
  const TargetIndex& index() const { return index_; }

  // Dense-index accessors; every index must be in range.
  const catalog::ProductAd& ad(int32_t ad) const { return catalog_.product_ads[ad]; }
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
  const std::string& ad_group_id(int32_t ad) const {
    return catalog_.ad_groups[ad_ad_group(ad)].id;
  }
  const std::string& campaign_id(int32_t ad) const {
    return catalog_.campaigns[ad_campaign(ad)].id;
  }
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
  int64_t ResolveAutoBid(int32_t ad_group, catalog::AutoTargetGroup group) const;
  // Whether the ad group has `group` switched on.
  bool AutoEnabled(int32_t ad_group, catalog::AutoTargetGroup group) const;

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
  catalog::Catalog catalog_;
  std::shared_ptr<const CtrModel> model_;
  // ad_group_ids_ and target_ids_ are only needed while building; Build frees them.
  IdMap advertiser_ids_, campaign_ids_, ad_group_ids_, ad_ids_, target_ids_, product_ids_,
      category_ids_;
  std::vector<int32_t> campaign_advertiser_, ad_group_campaign_, target_object_, product_category_,
      category_parent_;
  // Per ad group: enabled mask and bid per AutoTargetGroup.
  std::vector<uint8_t> ad_group_auto_mask_;
  std::vector<std::array<int64_t, catalog::kNumAutoTargetGroups>> ad_group_auto_bid_;
  std::vector<std::pair<absl::Time, absl::Time>> campaign_window_;
  std::vector<bool> ad_enabled_;
  std::vector<AdInfo> ad_info_;
  std::vector<CampaignInfo> campaign_info_;
  std::vector<TargetInfo> target_info_;
  TargetIndex index_;
};

}  // namespace gavel::targeting

#endif  // GAVEL_TARGETING_SNAPSHOT_H_
