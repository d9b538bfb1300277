// Conversion between gavel.v1.AuctionRules (the auction rules of the catalog file, the admin API
// and simulator scenarios) and the domain types they configure: auction::Rules, and min_relevance,
// which belongs to targeting (catalog::ServingRules). The only place that knows both sides.
//
//   absl::StatusOr<auction::Rules> rules = RulesFromProto(catalog.auction_rules());
//   gavel::v1::AuctionRules shown = RulesToProto(*rules, model.rules);  // every default explicit
//
// Validation is the auction library's (auction::ValidateRules), reported under the proto's field
// names, so a catalog file, an UpdateAuctionRules call and a scenario are held to the same rules
// with the same messages. Pure functions; thread-safe.
#ifndef GAVEL_CONVERT_RULES_CONVERT_H_
#define GAVEL_CONVERT_RULES_CONVERT_H_

#include "absl/status/statusor.h"
#include "auction/types.h"
#include "catalog/model.h"
#include "gavel/v1/types.pb.h"

namespace gavel::convert {

// The auction rules, with the documented default for every unset field (GSP, squashing 1,
// increment and min CPC 10,000, self-competition by advertiser, one winner per product). `slots`
// is left at its default: each request sets it. INVALID_ARGUMENT naming the field under
// "auction_rules." and its value: an enum outside its values ("auction_rules.self_competition has
// unknown value 9"), a list longer than 40 entries, or whatever ValidateRules rejects
// ("auction_rules.squashing_exponent must be in [0, 1], got 2"). min_relevance is not read here:
// building the catalog snapshot checks it ("rules.min_relevance must be in [0, 1], got 2").
absl::StatusOr<auction::Rules> RulesFromProto(const gavel::v1::AuctionRules& rules);

// The inverse, with every field explicit: enums never UNSPECIFIED, every optional field set.
// position_factors stay as listed (empty means the default 1, 1/2, 1/3, ...). For valid rules,
// RulesFromProto(RulesToProto(r, s)) == r apart from `slots`.
gavel::v1::AuctionRules RulesToProto(const auction::Rules& rules,
                                     const catalog::ServingRules& serving);

// The rules `rules` stand for, every default made explicit: RulesToProto(RulesFromProto(rules))
// with min_relevance as given or its default. Errors as RulesFromProto.
absl::StatusOr<gavel::v1::AuctionRules> EffectiveRules(const gavel::v1::AuctionRules& rules);

// UNSPECIFIED (and, for a request already validated, nothing else) maps to GSP.
auction::Mechanism MechanismFromProto(gavel::v1::Mechanism mechanism);
gavel::v1::Mechanism MechanismToProto(auction::Mechanism mechanism);

}  // namespace gavel::convert

#endif  // GAVEL_CONVERT_RULES_CONVERT_H_
