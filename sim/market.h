// The simulated marketplace a scenario describes: the synthetic catalog with the scenario's bids,
// budgets and pacing written into it, and what the catalog does not hold (each ad's value per
// click to its advertiser, each advertiser's conversion rate). Both simulator modes use it: the
// in-process engine loads `catalog`, and --write_catalog hands the same catalog to gavel_server.
//
//   Market m = BuildMarket(scenario);
//   int64_t value = m.value_micros[ad];   // ad = dense ProductAd index (catalog order)
//
// Deterministic: the same scenario gives the same market, byte for byte. Thread-safe (pure).
#ifndef GAVEL_SIM_MARKET_H_
#define GAVEL_SIM_MARKET_H_

#include <cstdint>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "sim/scenario.pb.h"
#include "targeting/snapshot.h"

namespace gavel::sim {

struct Market {
  catalog::Catalog catalog;
  std::vector<int64_t> value_micros;    // per product ad: value of one click to its advertiser
  std::vector<double> conversion_rate;  // per advertiser (catalog order), in [0, 1]
};

// Generates the catalog (targeting::GenerateCatalog with the scenario's sizes) and applies the
// bidding, budget and pacing settings:
// - a value per click is drawn per ad group; unless keep_catalog_bids, every keyword target and
//   the ad group's default bid become floor(value x shading) (at least 1 micro, at most
//   targeting::kMaxBidMicros), automatic targets use the ad group default, and placement
//   multipliers are cleared, so the bid in the auction is the shaded value (bid strategies the
//   catalog spec enables still adjust it);
// - budgets come from budgets.daily_budget_micros, or the generator's x multiplier; `unlimited`
//   gives every campaign 1,000,000 units a day; `pacing` is set on every campaign.
// `s` must be valid (ValidateScenario).
Market BuildMarket(const Scenario& s);

// One draw from `d` (values as configured: micros for money distributions).
double Sample(const Distribution& d, absl::BitGenRef gen);

}  // namespace gavel::sim

#endif  // GAVEL_SIM_MARKET_H_
