// How simulated shoppers click the ads they are shown.
//
// Position-based model (Craswell et al., "An experimental comparison of click position-bias
// models", WSDM 2008): a shopper examines slot s with probability examination[s] and clicks an
// examined ad with probability attractiveness(ad), independently across slots. Cascade model (same
// paper): the shopper reads top to bottom, clicks an ad with probability attractiveness and stops,
// or moves on with probability cascade_continue.
//
//   ClickModel model(scenario.clicks());
//   double a[] = {model.Attractiveness(0.7), model.Attractiveness(0.4)};
//   std::vector<bool> clicked;
//   model.Clicks(a, /*multiplier=*/1.0, gen, &clicked);   // clicked[s] for each shown slot
//
// Immutable after construction; Clicks may run concurrently with distinct generators.
#ifndef GAVEL_SIM_CLICK_MODEL_H_
#define GAVEL_SIM_CLICK_MODEL_H_

#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/types/span.h"
#include "sim/scenario.pb.h"

namespace gavel::sim {

class ClickModel {
 public:
  // `spec` must be valid (ValidateScenario checks it).
  explicit ClickModel(const ClickSpec& spec);

  // min(1, attractiveness_scale x quality ^ attractiveness_exponent); quality in (0, 1].
  double Attractiveness(double quality) const;
  // The configured examination probability of 0-based `slot` (position-based model).
  double Examination(int slot) const;

  // Draws the clicks on ads shown in slots 0..size-1 with the given attractiveness; `multiplier`
  // scales every click probability (device effects), results capped at 1. `clicked` is resized.
  void Clicks(absl::Span<const double> attractiveness, double multiplier, absl::BitGenRef gen,
              std::vector<bool>* clicked) const;

 private:
  ClickSpec::Kind kind_;
  std::vector<double> examination_;  // kMaxSlots entries
  double scale_, exponent_, continue_;
};

}  // namespace gavel::sim

#endif  // GAVEL_SIM_CLICK_MODEL_H_
