// Loading, checking and varying a simulation scenario (sim/scenario.proto).
//
//   absl::StatusOr<gavel::sim::Scenario> s = LoadScenario("sim/scenarios/quick.textproto");
//   absl::Status st = ApplySweepValue("reserve_micros", "50000", &*s);
//   uint64_t seed = DeriveSeed(s->seed(), Stream::kTraffic);
//
// Pure functions; thread-safe.
#ifndef GAVEL_SIM_SCENARIO_H_
#define GAVEL_SIM_SCENARIO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sim/scenario.pb.h"

namespace gavel::sim {

// Parses `text` as protobuf JSON when `json`, else as text format. INVALID_ARGUMENT with the
// parser's message (line and column), then ValidateScenario's errors.
absl::StatusOr<Scenario> ParseScenario(absl::string_view text, bool json);
// Reads a file: JSON if the name ends in .json, text format otherwise. NOT_FOUND if unreadable.
absl::StatusOr<Scenario> LoadScenario(const std::string& path);

// INVALID_ARGUMENT naming the field and value, e.g. "days must be in [1, 366], got 0".
absl::Status ValidateScenario(const Scenario& s);

// The parameters --sweep accepts: mechanism (gsp|vcg|first_price), reserve_micros, squashing,
// pacing (on|off), slots, shading, queries_per_day, bot_query_fraction, organic_probability.
const std::vector<std::string>& SweepParameters();
// Sets `parameter` to `value` in `s`. INVALID_ARGUMENT for an unknown parameter or a bad value.
absl::Status ApplySweepValue(absl::string_view parameter, absl::string_view value, Scenario* s);

// Independent random streams, each seeded from the scenario seed, so changing the click model does
// not change the queries, and so on.
enum class Stream : uint64_t {
  kCatalog = 1,
  kValues,
  kTraffic,
  kEngine,
  kClicks,
  kConversions,
  kInvalid,
  kPurchases,  // purchase delays and organic purchases
};
uint64_t DeriveSeed(uint64_t seed, Stream stream);
// The seed of the traffic, engine, click and invalid-traffic streams: traffic_seed if set, else
// seed.
uint64_t TrafficSeed(const Scenario& s);

// The 24 hourly traffic weights the scenario means (its own, or the built-in retail curve).
std::vector<double> HourlyWeights(const Scenario& s);
// Examination probability of 0-based `slot` under the scenario's click model.
double Examination(const ClickSpec& m, int slot);

}  // namespace gavel::sim

#endif  // GAVEL_SIM_SCENARIO_H_
