#include "auction/validate.h"

#include <cstddef>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace gavel {
namespace auction {
namespace {

absl::Status CheckMicros(absl::string_view field, int64_t value) {
  if (value >= 0 && value <= kMaxMicros) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " must be in [0, ", kMaxMicros, "], got ", value));
}

}  // namespace

absl::Status ValidateRules(const Rules& rules) {
  switch (rules.mechanism) {
    case Mechanism::kGeneralizedSecondPrice:
    case Mechanism::kVcg:
    case Mechanism::kFirstPrice:
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "mechanism must be GSP, VCG or FIRST_PRICE, got ", static_cast<int>(rules.mechanism)));
  }
  if (rules.reserve_mode != ReserveMode::kBid &&
      rules.reserve_mode != ReserveMode::kQualityWeighted) {
    return absl::InvalidArgumentError(
        absl::StrCat("reserve_mode must be BID or QUALITY_WEIGHTED, got ",
                     static_cast<int>(rules.reserve_mode)));
  }
  if (rules.self_competition != SelfCompetition::kAdvertiser &&
      rules.self_competition != SelfCompetition::kCampaign &&
      rules.self_competition != SelfCompetition::kOff) {
    return absl::InvalidArgumentError(
        absl::StrCat("self_competition must be ADVERTISER, CAMPAIGN or OFF, got ",
                     static_cast<int>(rules.self_competition)));
  }
  if (rules.slots < 1 || rules.slots > kMaxSlots) {
    return absl::InvalidArgumentError(
        absl::StrCat("slots must be in [1, ", kMaxSlots, "], got ", rules.slots));
  }
  if (!(rules.squashing >= 0.0 && rules.squashing <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("squashing must be in [0, 1], got ", rules.squashing));
  }
  const auto& factors = rules.position_factors;
  for (size_t i = 0; i < factors.size(); ++i) {
    if (!(factors[i] > 0.0 && factors[i] <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("position_factors[", i, "] must be in (0, 1], got ", factors[i]));
    }
    if (i > 0 && factors[i] > factors[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("position_factors must be non-increasing, got position_factors[", i,
                       "] = ", factors[i], " > position_factors[", i - 1, "] = ", factors[i - 1]));
    }
  }
  if (absl::Status s = CheckMicros("reserve_micros", rules.reserve_micros); !s.ok()) return s;
  if (rules.slot_reserve_micros.size() > static_cast<size_t>(rules.slots)) {
    return absl::InvalidArgumentError(absl::StrCat("slot_reserve_micros has ",
                                                   rules.slot_reserve_micros.size(),
                                                   " entries but slots is ", rules.slots));
  }
  for (size_t i = 0; i < rules.slot_reserve_micros.size(); ++i) {
    absl::Status s =
        CheckMicros(absl::StrCat("slot_reserve_micros[", i, "]"), rules.slot_reserve_micros[i]);
    if (!s.ok()) return s;
  }
  if (absl::Status s = CheckMicros("increment_micros", rules.increment_micros); !s.ok()) return s;
  return CheckMicros("min_cpc_micros", rules.min_cpc_micros);
}

absl::Status ValidateMinBidOptions(const MinBidOptions& options) {
  if (options.max_bid_micros >= 1 && options.max_bid_micros <= kMaxMicros) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("max_bid_micros must be in [1, ", kMaxMicros,
                                                 "], got ", options.max_bid_micros));
}

absl::Status ValidateCandidates(absl::Span<const Candidate> candidates) {
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    if (c.bid_micros < 1 || c.bid_micros > kMaxMicros) {
      return absl::InvalidArgumentError(absl::StrCat(
          "candidates[", i, "].bid_micros must be in [1, ", kMaxMicros, "], got ", c.bid_micros));
    }
    if (!(c.quality > 0.0 && c.quality <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("candidates[", i, "].quality must be in (0, 1], got ", c.quality));
    }
  }
  return absl::OkStatus();
}

}  // namespace auction
}  // namespace gavel
