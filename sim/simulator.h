// The in-process marketplace simulator: runs a scenario's traffic through the production engine
// (targeting retrieval, the billing gate's budgets and pacing, the auction, token signing) and
// charges clicks through the production billing (token verification, invalid-click rules, budgets,
// the ledger), all on a gavel::SimulatedClock. Everything random is seeded from the scenario.
//
//   absl::StatusOr<RunMetrics> m = Simulate(scenario, {.work_dir = "/tmp/report"});
//   double rpm = Rpm(*m);
//
// Per simulated day, queries arrive at evenly spaced instants whose hourly density follows the
// traffic curve; clicks are ingested in one batch per ingest_interval_seconds (one ledger write,
// and one fsync when durable). Only clicked winners get tokens (signed with billing's issuer, the
// same claims the engine signs), so token signing does not dominate the run.
//
// Deterministic: the same scenario gives the same RunMetrics (except the wall-clock fields).
// Thread-safe: concurrent Simulate calls share nothing (each has its own billing and ledger).
#ifndef GAVEL_SIM_SIMULATOR_H_
#define GAVEL_SIM_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "billing/records.h"
#include "learning/training_log.h"
#include "sim/agents.h"
#include "sim/scenario.pb.h"
#include "targeting/ctr_model.h"

namespace gavel::sim {

// Pacing curves are kept per 15 minutes of the (UTC) day.
inline constexpr int kPacingBuckets = 96;

struct SlotMetrics {
  int64_t impressions = 0;  // shown to shoppers (bots excluded)
  int64_t clicks = 0;       // first clicks by shoppers (bots and repeats excluded)
};

struct AdvertiserMetrics {
  std::string id;
  int64_t budget_micros = 0;  // sum of its campaigns' daily budgets x days
  int64_t spend_micros = 0;   // charged by billing
  int64_t charged_clicks = 0;
  int64_t shopper_clicks = 0;  // first clicks by shoppers, charged or not
  int64_t value_micros = 0;    // value of its shopper clicks
  int64_t conversions = 0;
  int64_t sales_micros = 0;  // order value of those conversions
  // Charged clicks that are not shopper clicks (so charged_clicks can exceed shopper_clicks):
  // bot clicks and repeat clicks billing did not catch. They cost but bring no value.
  int64_t bot_charged_clicks = 0;
  int64_t repeat_charged_clicks = 0;
  // Purchases through Gavel (docs/simulator.md, "Purchases and attribution"). Gavel's sales
  // report (7-day window) over the run's days, summed over its campaigns:
  int64_t gavel_spend_micros = 0;
  int64_t gavel_sales_micros = 0;
  int64_t gavel_orders = 0;
  // The ground truth: purchases its charged clicks caused, and organic purchases of its products.
  int64_t true_orders = 0;
  int64_t true_sales_micros = 0;
  int64_t organic_sales_micros = 0;
};

struct RunMetrics {
  int64_t searches = 0;
  int64_t searches_with_ads = 0;
  int64_t impressions = 0;     // shopper impressions
  int64_t shopper_clicks = 0;  // first clicks by shoppers
  int64_t repeat_clicks = 0;   // the same shopper again on the same ad (sent to billing)
  int64_t bot_clicks = 0;      // sent to billing
  int64_t charged_clicks = 0;
  int64_t revenue_micros = 0;  // platform revenue: every charge
  int64_t value_micros = 0;    // value of shopper clicks to advertisers (= total welfare)
  int64_t conversions = 0;
  int64_t sales_micros = 0;
  int64_t invalid_filtered = 0;  // billing said INVALID (repeat click, rate limited, ...)
  int64_t invalid_repeat = 0;    // ... of which REPEAT_CLICK
  int64_t invalid_rate_limited = 0;
  int64_t bot_clicks_charged = 0;      // bot clicks billing did not catch
  int64_t budget_rejected_clicks = 0;  // clicks billing did not charge: budget spent
  int64_t campaign_days = 0;
  // Spent >= 95% of the daily budget, or had a click refused for budget.
  int64_t campaign_days_exhausted = 0;
  // Over exhausted campaign-days; NaN (an empty report field) when none ran out.
  double mean_exhaustion_hour = 0;
  std::vector<SlotMetrics> slots;   // per slot, slot 1 first
  std::vector<AdvertiserMetrics> advertisers;
  // Spend per 15-minute bucket of the day summed over days, and pacing's target fraction of the
  // day's spend at each bucket's end (billing::Pacer::TargetFraction).
  std::vector<int64_t> spend_by_bucket;
  std::vector<double> target_by_bucket;
  int64_t budget_per_day_micros = 0;  // sum of daily budgets
  int days = 0;
  bool pacing = false;  // budgets.pacing: without it there is no pacing target to follow
  int64_t purchases = 0;             // purchases sent to billing (caused and organic)
  std::vector<AgentMetrics> agents;  // the scenario's autobidders, in scenario order

  // Wall clock: not deterministic, never written to report files.
  double wall_seconds = 0;   // the whole run
  double setup_seconds = 0;  // of which building the market, snapshot, billing and engine
  double latency_mean_us = 0, latency_p50_us = 0, latency_p99_us = 0;
};

// Adds one billed click to `m`: a charge to revenue, its advertiser and its pacing bucket; a
// budget refusal or an invalid reason to their counters. The in-process and gRPC modes share it.
void CountClickOutcome(billing::Outcome outcome, billing::InvalidReason reason,
                       int64_t charged_micros, int32_t advertiser, int bucket, bool bot,
                       RunMetrics* m, bool repeat = false);

// Derived metrics.
double Rpm(const RunMetrics& m);             // revenue per thousand searches, currency units
double Ctr(const RunMetrics& m);             // shopper clicks / impressions
double AvgCpc(const RunMetrics& m);          // revenue / charged clicks, currency units
double Roas(const RunMetrics& m);            // sales / revenue
double Acos(const RunMetrics& m);            // revenue / sales
int64_t SurplusMicros(const RunMetrics& m);  // value - revenue
// Mean |cumulative spend share - target share| over the buckets, in [0, 1]: how far the spend
// curve is from the one pacing targets (the report leaves it empty for runs without pacing).
double PacingError(const RunMetrics& m);

struct SimOptions {
  // The ledger goes in a fresh directory under it, removed afterwards. Must exist.
  std::string work_dir = "/tmp";
  // Called with the fraction done, about every 1% of the searches.
  std::function<void(double)> progress;
  // The click model the engine scores with (quality, dynamic bids); null: the built-in default.
  std::shared_ptr<const targeting::CtrModel> serving_model;
  // Not null: the run writes the server's training log records to it (docs/learning.md): an
  // impression per winner of every search, a click per click billing charged or refused for
  // budget, as server/training_logger does. Not owned. Simulate fails (INTERNAL) if it drops a
  // line.
  learning::TrainingLog* training_log = nullptr;
};

// Runs `scenario` (must be valid). Errors: INTERNAL when billing cannot open its ledger or the
// engine fails an auction (with its message).
absl::StatusOr<RunMetrics> Simulate(const Scenario& scenario, const SimOptions& options);

}  // namespace gavel::sim

#endif  // GAVEL_SIM_SIMULATOR_H_
