#include "auction/types.h"

#include <algorithm>

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
  const std::vector<double>& f = rules.position_factors;
  if (static_cast<size_t>(slot) < f.size()) return f[slot];
  // Beyond the list: 1 / (slot + 1), capped by the last factor given so the factors stay
  // non-increasing (a catalog that lists 8 slots still serves a request for 10).
  const double harmonic = 1.0 / (slot + 1);
  return f.empty() ? harmonic : std::min(f.back(), harmonic);
}

int64_t SlotReserveMicros(const Rules& rules, int slot) {
  if (slot >= 0 && static_cast<size_t>(slot) < rules.slot_reserve_micros.size()) {
    return rules.slot_reserve_micros[slot];
  }
  return rules.reserve_micros;
}

}  // namespace auction
}  // namespace gavel
