#include "convert/rules_convert.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auction/validate.h"

namespace gavel::convert {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("auction_rules.", field, what));
}

// ValidateRules names auction::Rules' fields; two of them are spelt differently in the proto.
std::string ProtoFieldNames(absl::string_view message) {
  static constexpr std::pair<absl::string_view, absl::string_view> kRenamed[] = {
      {"squashing ", "squashing_exponent "},
      {"increment_micros ", "price_increment_micros "},
  };
  for (const auto& [domain, proto] : kRenamed) {
    if (absl::StartsWith(message, domain)) {
      return absl::StrCat(proto, message.substr(domain.size()));
    }
  }
  return std::string(message);
}

auction::SelfCompetition SelfCompetitionFromProto(gavel::v1::SelfCompetition s) {
  switch (s) {
    case gavel::v1::SELF_COMPETITION_CAMPAIGN:
      return auction::SelfCompetition::kCampaign;
    case gavel::v1::SELF_COMPETITION_OFF:
      return auction::SelfCompetition::kOff;
    default:
      return auction::SelfCompetition::kAdvertiser;
  }
}

gavel::v1::SelfCompetition SelfCompetitionToProto(auction::SelfCompetition s) {
  switch (s) {
    case auction::SelfCompetition::kCampaign:
      return gavel::v1::SELF_COMPETITION_CAMPAIGN;
    case auction::SelfCompetition::kOff:
      return gavel::v1::SELF_COMPETITION_OFF;
    case auction::SelfCompetition::kAdvertiser:
      break;
  }
  return gavel::v1::SELF_COMPETITION_ADVERTISER;
}

}  // namespace

auction::Mechanism MechanismFromProto(gavel::v1::Mechanism m) {
  switch (m) {
    case gavel::v1::MECHANISM_VCG:
      return auction::Mechanism::kVcg;
    case gavel::v1::MECHANISM_FIRST_PRICE:
      return auction::Mechanism::kFirstPrice;
    default:
      return auction::Mechanism::kGeneralizedSecondPrice;
  }
}

gavel::v1::Mechanism MechanismToProto(auction::Mechanism m) {
  switch (m) {
    case auction::Mechanism::kVcg:
      return gavel::v1::MECHANISM_VCG;
    case auction::Mechanism::kFirstPrice:
      return gavel::v1::MECHANISM_FIRST_PRICE;
    case auction::Mechanism::kGeneralizedSecondPrice:
      return gavel::v1::MECHANISM_GSP;
  }
  return gavel::v1::MECHANISM_GSP;
}

absl::StatusOr<auction::Rules> RulesFromProto(const gavel::v1::AuctionRules& p) {
  // Proto3 enums are open: a number outside the enum must not quietly become the default.
  if (!gavel::v1::Mechanism_IsValid(p.mechanism())) {
    return Invalid("mechanism", absl::StrCat(" has unknown value ", p.mechanism()));
  }
  if (!gavel::v1::SelfCompetition_IsValid(p.self_competition())) {
    return Invalid("self_competition", absl::StrCat(" has unknown value ", p.self_competition()));
  }
  for (const auto& [name, size] :
       {std::pair<absl::string_view, int>{"slot_reserve_micros", p.slot_reserve_micros_size()},
        {"position_factors", p.position_factors_size()}}) {
    if (size > auction::kMaxSlots) {
      return Invalid(name, absl::StrCat(" has ", size, " entries, at most ", auction::kMaxSlots));
    }
  }
  auction::Rules r;
  r.mechanism = MechanismFromProto(p.mechanism());
  r.reserve_micros = p.reserve_micros();
  r.slot_reserve_micros.assign(p.slot_reserve_micros().begin(), p.slot_reserve_micros().end());
  r.reserve_mode = p.quality_weighted_reserve() ? auction::ReserveMode::kQualityWeighted
                                                : auction::ReserveMode::kBid;
  if (p.has_squashing_exponent()) r.squashing = p.squashing_exponent();
  if (p.has_price_increment_micros()) r.increment_micros = p.price_increment_micros();
  if (p.has_min_cpc_micros()) r.min_cpc_micros = p.min_cpc_micros();
  r.position_factors.assign(p.position_factors().begin(), p.position_factors().end());
  r.self_competition = SelfCompetitionFromProto(p.self_competition());
  if (p.has_one_winner_per_product()) r.one_winner_per_product = p.one_winner_per_product();
  // Validate with the most slots a request may ask for, so no request can make these rules invalid
  // (per-slot lists may be shorter than that: they are checked against the slots they cover).
  auction::Rules check = r;
  check.slots = std::max<int>({1, static_cast<int>(r.slot_reserve_micros.size()),
                               static_cast<int>(r.position_factors.size())});
  absl::Status st = auction::ValidateRules(check);
  if (!st.ok()) return Invalid(ProtoFieldNames(st.message()), "");
  return r;
}

gavel::v1::AuctionRules RulesToProto(const auction::Rules& r,
                                     const catalog::ServingRules& serving) {
  gavel::v1::AuctionRules p;
  p.set_mechanism(MechanismToProto(r.mechanism));
  p.set_reserve_micros(r.reserve_micros);
  for (int64_t reserve : r.slot_reserve_micros) p.add_slot_reserve_micros(reserve);
  p.set_quality_weighted_reserve(r.reserve_mode == auction::ReserveMode::kQualityWeighted);
  p.set_squashing_exponent(r.squashing);
  p.set_price_increment_micros(r.increment_micros);
  p.set_min_cpc_micros(r.min_cpc_micros);
  for (double factor : r.position_factors) p.add_position_factors(factor);
  p.set_min_relevance(serving.min_relevance);
  p.set_self_competition(SelfCompetitionToProto(r.self_competition));
  p.set_one_winner_per_product(r.one_winner_per_product);
  return p;
}

absl::StatusOr<gavel::v1::AuctionRules> EffectiveRules(const gavel::v1::AuctionRules& rules) {
  absl::StatusOr<auction::Rules> r = RulesFromProto(rules);
  if (!r.ok()) return r.status();
  catalog::ServingRules serving;
  if (rules.has_min_relevance()) serving.min_relevance = rules.min_relevance();
  return RulesToProto(*r, serving);
}

}  // namespace gavel::convert
