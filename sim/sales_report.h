// The simulator's sales and autobidding report (docs/simulator.md, "Purchases and attribution",
// "Autobidders"): ACOS and ROAS from Gavel's own sales reports next to the simulator's ground
// truth, and each autobidder's ACOS against its target and spend against its budget, per run and
// as means with 95% confidence intervals across seeds (sim/stats.h).
//
//   // sales.csv, agents.csv, agents_hourly.csv, sales_sweep.csv:
//   absl::Status st = WriteSalesReport("out/", report);
//   std::cout << SalesSummary(report);
//
// Deterministic: the same runs give byte-identical files. Pure apart from the file writes.
#ifndef GAVEL_SIM_SALES_REPORT_H_
#define GAVEL_SIM_SALES_REPORT_H_

#include <string>

#include "absl/status/status.h"
#include "sim/report.h"
#include "sim/simulator.h"

namespace gavel::sim {

// Over all advertisers of a run: Gavel's ACOS (report spend / report sales), the true ACOS
// (charged spend / sales its charged clicks caused), and Gavel's relative gap
// (gavel / true - 1). 0 where a denominator is 0.
double GavelAcos(const RunMetrics& m);
double TrueAcos(const RunMetrics& m);
double AcosGap(const RunMetrics& m);
// Share of the run's autobidders (strategy other than fixed) that reached their target
// (AgentMetrics::reached); 0 without any.
double AgentsReachedShare(const RunMetrics& m);

// Writes sales.csv, agents.csv, agents_hourly.csv and sales_sweep.csv into `dir` (which must
// exist). INTERNAL naming the file on a write error.
absl::Status WriteSalesReport(const std::string& dir, const Report& report);

// The sales and autobidder lines for the terminal: per value, the mean and, with two runs or
// more, +- the 95% CI half-width.
std::string SalesSummary(const Report& report);

}  // namespace gavel::sim

#endif  // GAVEL_SIM_SALES_REPORT_H_
