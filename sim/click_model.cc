#include "sim/click_model.h"

#include <algorithm>
#include <cmath>

#include "absl/random/distributions.h"
#include "auction/types.h"
#include "sim/scenario.h"

namespace gavel::sim {

ClickModel::ClickModel(const ClickSpec& spec)
    : kind_(spec.kind()),
      scale_(spec.attractiveness_scale()),
      exponent_(spec.attractiveness_exponent()),
      continue_(spec.cascade_continue()) {
  for (int s = 0; s < auction::kMaxSlots; ++s) examination_.push_back(sim::Examination(spec, s));
}

double ClickModel::Attractiveness(double quality) const {
  return std::min(1.0, scale_ * std::pow(quality, exponent_));
}

double ClickModel::Examination(int slot) const { return examination_[slot]; }

void ClickModel::Clicks(absl::Span<const double> attractiveness, double multiplier,
                        absl::BitGenRef gen, std::vector<bool>* clicked) const {
  clicked->assign(attractiveness.size(), false);
  if (kind_ == ClickSpec::CASCADE) {
    for (size_t s = 0; s < attractiveness.size(); ++s) {
      if (absl::Bernoulli(gen, std::min(1.0, multiplier * attractiveness[s]))) {
        (*clicked)[s] = true;
        return;
      }
      if (!absl::Bernoulli(gen, continue_)) return;
    }
    return;
  }
  for (size_t s = 0; s < attractiveness.size(); ++s) {
    (*clicked)[s] =
        absl::Bernoulli(gen, std::min(1.0, multiplier * examination_[s] * attractiveness[s]));
  }
}

}  // namespace gavel::sim
