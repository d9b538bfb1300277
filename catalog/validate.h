// The catalog's field rules, entity by entity: what a value must be to be served, independent of
// any other entity. targeting::CatalogSnapshot::Build applies them while it resolves references
// (which need the whole catalog) and normalises keyword and title text (which needs the
// normaliser); docs/targeting.md lists every rule.
//
//   absl::Status st = catalog::ValidateCampaign(campaign);
//   // INVALID_ARGUMENT "campaigns[c-7].daily_budget_micros must be > 0, got -5"
//
// Every function returns OK or INVALID_ARGUMENT naming the entity by id, the field and the value.
// Pure functions; thread-safe.
#ifndef GAVEL_CATALOG_VALIDATE_H_
#define GAVEL_CATALOG_VALIDATE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "catalog/model.h"

namespace gavel::catalog {

// Whether `id` is 1-kMaxIdBytes bytes of [A-Za-z0-9._:-].
bool ValidId(absl::string_view id);
// `list_name[index].id` for an invalid id ("campaigns[3].id must be 1-128 bytes of ...").
absl::Status ValidateId(absl::string_view list_name, size_t index, absl::string_view id);
// A bid at any level: [0, kMaxBidMicros]; 0 = unset. Names `where`.`field`.
absl::Status ValidateBid(int64_t bid_micros, absl::string_view where, absl::string_view field);

absl::Status ValidateAdvertiser(const Advertiser& advertiser);
// State, budget, policy, strategy, dates, placement multipliers, default bid, negative keyword
// match types and predicates.
absl::Status ValidateCampaign(const Campaign& campaign);
// State, default bid, negative keyword match types, predicates and automatic targeting settings
// (groups, duplicates, bids). A setting's effective bid needs the campaign: the snapshot checks it.
absl::Status ValidateAdGroup(const AdGroup& ad_group);
absl::Status ValidateProductAd(const ProductAd& ad);
// State, bid, kind and the keyword's match type.
absl::Status ValidateTarget(const Target& target);
absl::Status ValidateProduct(const Product& product);
absl::Status ValidateServingRules(const ServingRules& rules);

// Whether a state means "serve": ENABLED or UNSPECIFIED.
inline bool Serving(EntityState s) {
  return s == EntityState::kEnabled || s == EntityState::kUnspecified;
}

}  // namespace gavel::catalog

#endif  // GAVEL_CATALOG_VALIDATE_H_
