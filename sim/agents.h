// The scenario's autobidders inside a run (docs/simulator.md, "Autobidders"): each advertiser
// with an Autobidder entry gets an AcosController (sim/autobidder.h) that, once per simulated
// hour, reads its campaigns' spend and attributed sales from Gavel's sales report
// (billing::Billing::Sales, the GetSalesReport code) and rescales the advertiser's bids. Bids
// change the way a real advertiser changes them: a catalog update (keyword targets' and ad
// groups' bids), published to the engine as a new catalog version, so the auction's
// reserve <= price <= bid holds as for any bid.
//
//   Agents agents(scenario, &market.catalog);   // before the first snapshot: sets budgets
//   ... each simulated hour h of day d:
//   absl::StatusOr<bool> changed = agents.OnHour(*billing, h, day);
//   if (*changed) { rebuild the snapshot from market.catalog and publish it }
//   std::vector<AgentMetrics> m = *agents.Finish(*billing, first_day, last_day);
//
// Budgets: every hour the agent sets each of its campaigns' billing budget (a catalog update too)
// to the campaign's spend today plus an even share of what is left of the agent's daily budget,
// so billing's hard budgets keep the agent's total within its budget on every day while any of
// its campaigns can use what the others leave. Billing's pacing is off for agent campaigns: the
// controller's dual variable paces the total. Deterministic. Thread-compatible. Does not own the
// catalog (must outlive this).
#ifndef GAVEL_SIM_AGENTS_H_
#define GAVEL_SIM_AGENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "billing/billing.h"
#include "catalog/model.h"
#include "sim/autobidder.h"
#include "sim/scenario.pb.h"

namespace gavel::sim {

// Within this relative distance of its target ACOS over the last three days, and within budget,
// an agent has reached its target (the 10%).
inline constexpr double kReachedTolerance = 0.10;

// The conversion rate a value-based agent assumes before it has seen any (sim/agents.cc).
inline constexpr double kPriorConversionRate = 0.02;

struct AgentMetrics {
  int32_t advertiser = 0;
  std::string advertiser_id;
  std::string strategy;  // fixed | target_acos | target_roas
  double target_acos = 0;
  int64_t daily_budget_micros = 0;
  int days = 0;
  // Gavel's sales report (7-day window, by the click's day) over its campaigns.
  int64_t spend_micros = 0, sales_micros = 0;  // the whole run
  int64_t last_day_spend_micros = 0, last_day_sales_micros = 0;
  int64_t last3_spend_micros = 0, last3_sales_micros = 0;  // the last three days
  int64_t max_day_spend_micros = 0;                        // the largest day's spend
  double final_multiplier = 1;
  std::vector<double> hourly_multiplier;  // after each hour's update
  // spend <= budget x days and no day over the daily budget.
  bool within_budget() const;
  // ACOS over the last three days within kReachedTolerance of the target, and within budget.
  bool reached() const;
};

// ACOS as spend / sales (0 without sales, as RunMetrics' Acos).
double AcosOf(int64_t spend_micros, int64_t sales_micros);

class Agents {
 public:
  // `catalog` is the run's catalog: its agent campaigns' budgets are set here. The scenario must
  // be valid; INVALID_ARGUMENT (via Check) for an advertiser index not in the catalog.
  Agents(const Scenario& s, catalog::Catalog* catalog);
  // INVALID_ARGUMENT naming autobidders[i].advertiser if it is not in the catalog.
  absl::Status Check() const;
  bool empty() const { return agents_.empty(); }

  // The hourly step after the hour `hour` (0..23, UTC) ended, `today` being the day now: reads each
  // agent's report, rebalances its campaigns' budgets, updates its controller and rewrites its
  // bids in the catalog (fixed agents only rebalance). Returns whether any bid or budget changed
  // (then publish the catalog and upsert its budgets into billing). Billing's errors.
  absl::StatusOr<bool> OnHour(const billing::Billing& billing, int hour, absl::CivilDay first,
                              absl::CivilDay today);

  // Per agent, the run's outcome from Gavel's report over [first, last].
  absl::StatusOr<std::vector<AgentMetrics>> Finish(const billing::Billing& billing,
                                                   absl::CivilDay first, absl::CivilDay last);

 private:
  struct Agent {
    const Autobidder* spec = nullptr;
    int32_t advertiser = -1;
    std::vector<size_t> campaigns, groups, targets;  // indexes into the catalog's vectors
    std::vector<int64_t> group_bid, target_bid;      // the scenario's bids (multiplier 1)
    AcosController controller;
    int64_t spend_seen = 0, sales_seen = 0;  // the report's totals at the last step
    std::vector<double> hourly_multiplier;
  };
  void ApplyBids(const Agent& a, double multiplier);
  // Sets each campaign's budget to its spend today plus an even share of what is left of the
  // agent's daily budget; returns whether one changed.
  absl::StatusOr<bool> Rebalance(const billing::Billing& billing, const Agent& a,
                                 absl::CivilDay today);

  const Scenario& s_;
  catalog::Catalog* const catalog_;
  billing::AdvertisesFn advertises_;
  std::vector<double> hour_share_;
  std::vector<Agent> agents_;
  std::vector<int32_t> bad_;  // autobidder entries whose advertiser is not in the catalog
};

}  // namespace gavel::sim

#endif  // GAVEL_SIM_AGENTS_H_
