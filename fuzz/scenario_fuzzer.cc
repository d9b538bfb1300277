// Simulator scenario files (sim/scenario.h ParseScenario) on arbitrary bytes: the first byte picks
// JSON (odd) or text format (even). A scenario that validates must also give what the simulator
// asks of it first: its traffic curve and examination probabilities.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "sim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gavel::fuzz::Input in(data, size);
  const bool json = in.Byte() % 2 == 1;
  auto scenario = gavel::sim::ParseScenario(in.Rest(), json);
  if (!scenario.ok()) return 0;
  if (gavel::sim::HourlyWeights(*scenario).size() != 24) std::abort();
  for (int slot = 0; slot < 40; ++slot) {
    const double e = gavel::sim::Examination(scenario->clicks(), slot);
    if (!(e >= 0 && e <= 1)) std::abort();
  }
  for (const std::string& p : gavel::sim::SweepParameters()) {
    gavel::sim::Scenario copy = *scenario;
    gavel::sim::ApplySweepValue(p, "2", &copy).IgnoreError();
  }
  return 0;
}
