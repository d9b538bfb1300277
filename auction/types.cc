#include "auction/types.h"

namespace gavel {
namespace auction {

absl::string_view LossReasonName(LossReason reason) {
  switch (reason) {
    case LossReason::kBelowReserve:
      return "BELOW_RESERVE";
    case LossReason::kOutranked:
      return "OUTRANKED";
    case LossReason::kDuplicateProduct:
      return "DUPLICATE_PRODUCT";
  }
  return "UNKNOWN";
}

absl::string_view MechanismName(Mechanism mechanism) {
  switch (mechanism) {
    case Mechanism::kGeneralizedSecondPrice:
      return "GSP";
    case Mechanism::kVcg:
      return "VCG";
    case Mechanism::kFirstPrice:
      return "FIRST_PRICE";
  }
  return "UNKNOWN";
}

double PositionFactor(const Rules& rules, int slot) {
  if (slot < 0) return 0.0;
  if (static_cast<size_t>(slot) < rules.position_factors.size()) {
    return rules.position_factors[slot];
  }
  return 1.0 / (slot + 1);
}

int64_t SlotReserveMicros(const Rules& rules, int slot) {
  if (slot >= 0 && static_cast<size_t>(slot) < rules.slot_reserve_micros.size()) {
    return rules.slot_reserve_micros[slot];
  }
  return rules.reserve_micros;
}

}  // namespace auction
}  // namespace gavel
