// The simulator's report: CSV files (one per metric, plus per-slot, per-advertiser and pacing
// tables), a summary table for the terminal, and gnuplot plots.
//
//   Report report{.parameter = "reserve_micros", .values = {"0", "50000"}, .runs = runs};
//   absl::Status st = WriteReport("out/", report);      // CSVs and plots/*.gp
//   std::cout << SummaryTable(report);
//   std::vector<std::string> warnings = RenderPlots("out/");   // PNGs, if gnuplot is installed
//
// Everything written to files and SummaryTable is deterministic (no wall-clock numbers): the same
// runs give byte-identical files. TimingTable holds the wall-clock numbers, for the terminal only.
// Pure functions apart from the file writes; thread-compatible.
#ifndef GAVEL_SIM_REPORT_H_
#define GAVEL_SIM_REPORT_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "sim/simulator.h"

namespace gavel::sim {

struct RunRecord {
  std::string value;  // the swept parameter's value ("" without a sweep)
  uint64_t seed = 0;
  RunMetrics metrics;
};

struct Report {
  std::string scenario_name;
  std::string parameter;            // empty without a sweep
  std::vector<std::string> values;  // sweep values in order ({""} without a sweep)
  std::vector<RunRecord> runs;      // grouped by value, seeds in order
  std::vector<double> examination;  // configured examination probability per slot
};

// A scalar metric of one run.
struct MetricDef {
  std::string name, description;
  std::function<double(const RunMetrics&)> get;
};
const std::vector<MetricDef>& Metrics();
// The metric named `name`, or null.
const MetricDef* FindMetric(absl::string_view name);

// Writes into `dir` (created if missing): runs.csv (one row per run, every metric),
// sweep.csv (mean and 95% CI per value and metric), metrics/<metric>.csv, ctr_by_slot.csv,
// advertisers.csv, pacing.csv, roas_histogram.csv and plots/*.gp. INTERNAL naming the file on a
// write error.
absl::Status WriteReport(const std::string& dir, const Report& report);

// Runs gnuplot on every plots/*.gp in `dir`, writing PNGs next to them. Returns warnings (gnuplot
// missing, a script failing); never fails the run.
std::vector<std::string> RenderPlots(const std::string& dir);

// Key metrics, one column per value: "mean +- half-width (95% CI)" across seeds.
std::string SummaryTable(const Report& report);
// Per run: searches, wall seconds, auctions per second, auction latency mean/p50/p99.
std::string TimingTable(const Report& report);

// `s` as one CSV field: quoted (quotes doubled) if it holds a comma, a quote or a newline.
std::string CsvField(const std::string& s);
// Writes `content` to `path`, replacing it; INTERNAL naming the path if that fails.
absl::Status WriteTextFile(const std::filesystem::path& path, const std::string& content);

}  // namespace gavel::sim

#endif  // GAVEL_SIM_REPORT_H_
