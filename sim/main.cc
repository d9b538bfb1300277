// gavel_sim: runs a marketplace scenario through the production engine and billing, in process
// (default) or against a running gavel_server (--target), and writes a report. docs/simulator.md.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/client_key.h"
#include "common/flags_help.h"
#include "common/sync.h"
#include "sim/catalog_export.h"
#include "sim/remote.h"
#include "sim/report.h"
#include "sim/sales_report.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

ABSL_FLAG(std::string, scenario, "",
          "scenario file: text format, or protobuf JSON if it ends in .json");
ABSL_FLAG(std::string, out, "sim_report", "report folder (created if missing)");
ABSL_FLAG(
    std::string, sweep, "",
    "PARAM=V1,V2,...: one run per value (mechanism, reserve_micros, squashing, pacing, slots, "
    "shading, queries_per_day, bot_query_fraction, organic_probability)");
ABSL_FLAG(int, seeds, 1,
          "runs per value, with seeds scenario.seed, seed+1, ...; >= 2 gives 95% CIs");
ABSL_FLAG(int, threads, 1, "runs in parallel (each run is single-threaded and deterministic)");
ABSL_FLAG(std::string, write_catalog, "",
          "write the scenario's catalog as gavel.v1.Catalog JSON to this file and exit");
ABSL_FLAG(std::string, target, "",
          "host:port of a running gavel_server: run against it over gRPC; several comma-separated "
          "(replicas): calls spread over them round robin");
ABSL_FLAG(std::string, client_key_file, "",
          "--target only: file holding the client key sent with every call (default: "
          "$GAVEL_CLIENT_KEY; none for a server run with --insecure_no_client_auth)");
ABSL_FLAG(int64_t, queries, 0,
          "--target only: searches to send (0 = the scenario's queries_per_day)");
ABSL_FLAG(std::string, progress, "auto", "progress bar on stderr: auto (if a terminal), on, off");
ABSL_FLAG(bool, plots, true, "render PNG plots with gnuplot (skipped with a warning if missing)");

namespace gavel::sim {
namespace {

// A one-line progress bar over all runs, on stderr.
class Progress {
 public:
  Progress(int runs, bool enabled) : fractions_(runs, 0.0), enabled_(enabled) {}
  void Update(int run, double fraction) {
    if (!enabled_) return;
    MutexLock lock(&mu_);
    fractions_[run] = fraction;
    double sum = 0;
    for (double f : fractions_) sum += f;
    const double done = sum / static_cast<double>(fractions_.size());
    const int width = 40, filled = static_cast<int>(done * width);
    std::fprintf(stderr, "\r[%s%s] %5.1f%%", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), 100 * done);
    std::fflush(stderr);
  }
  void Finish() {
    if (enabled_) std::fprintf(stderr, "\n");
  }

 private:
  Mutex mu_;
  std::vector<double> fractions_ ABSL_GUARDED_BY(mu_);
  const bool enabled_;
};

int Fail(const absl::Status& st) {
  std::cerr << "gavel_sim: " << st << "\n";
  return st.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

int Main() {
  if (absl::GetFlag(FLAGS_scenario).empty()) {
    std::cerr << "gavel_sim: --scenario is required (see --help)\n";
    return 2;
  }
  absl::StatusOr<Scenario> base = LoadScenario(absl::GetFlag(FLAGS_scenario));
  if (!base.ok()) return Fail(base.status());

  if (!absl::GetFlag(FLAGS_write_catalog).empty()) {
    absl::Status st = WriteCatalogJson(*base, absl::GetFlag(FLAGS_write_catalog));
    if (!st.ok()) return Fail(st);
    std::cout << "wrote " << absl::GetFlag(FLAGS_write_catalog) << "\n";
    return 0;
  }

  Report report;
  report.scenario_name = base->name();
  report.values = {""};
  const std::string sweep = absl::GetFlag(FLAGS_sweep);
  if (!sweep.empty()) {
    std::vector<std::string> kv = absl::StrSplit(sweep, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[1].empty()) {
      return Fail(absl::InvalidArgumentError("--sweep must be PARAM=V1,V2,..."));
    }
    report.parameter = kv[0];
    report.values = absl::StrSplit(kv[1], ',');
  }
  const int seeds = absl::GetFlag(FLAGS_seeds);
  if (seeds < 1 || seeds > 1000) {
    return Fail(
        absl::InvalidArgumentError(absl::StrCat("--seeds must be in [1, 1000], got ", seeds)));
  }
  std::vector<Scenario> scenarios;
  for (const std::string& v : report.values) {
    for (int k = 0; k < seeds; ++k) {
      Scenario s = *base;
      if (!report.parameter.empty()) {
        absl::Status st = ApplySweepValue(report.parameter, v, &s);
        if (!st.ok()) return Fail(st);
      }
      s.set_seed(base->seed() + static_cast<uint64_t>(k));
      scenarios.push_back(s);
      report.runs.push_back({.value = v, .seed = s.seed()});
    }
  }
  for (int s = 0; s < base->slots(); ++s)
    report.examination.push_back(Examination(base->clicks(), s));

  const std::string out = absl::GetFlag(FLAGS_out);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);  // the runs' ledgers go under it
  if (ec) return Fail(absl::InternalError(absl::StrCat("cannot create ", out, ": ", ec.message())));

  const std::string progress_flag = absl::GetFlag(FLAGS_progress);
  Progress progress(static_cast<int>(scenarios.size()),
                    progress_flag == "on" || (progress_flag == "auto" && isatty(STDERR_FILENO)));

  const std::string target = absl::GetFlag(FLAGS_target);
  if (!target.empty() && base->autobidders_size() > 0) {
    return Fail(absl::InvalidArgumentError(
        "autobidders run in process only (they update the catalog each simulated hour); drop "
        "--target"));
  }
  const absl::StatusOr<std::string> client_key =
      target.empty() ? std::string() : ReadClientKey(absl::GetFlag(FLAGS_client_key_file));
  if (!client_key.ok()) {
    std::cerr << "gavel_sim: " << client_key.status().message() << "\n";
    return 2;
  }
  std::vector<absl::Status> errors(scenarios.size());
  auto run_one = [&](size_t i) {
    auto cb = [&progress, i](double f) { progress.Update(static_cast<int>(i), f); };
    absl::StatusOr<RunMetrics> m =
        target.empty() ? Simulate(scenarios[i], {.work_dir = out, .progress = cb})
                       : SimulateRemote(scenarios[i], {.target = target,
                                                       .queries = absl::GetFlag(FLAGS_queries),
                                                       .progress = cb,
                                                       .client_key = *client_key});
    if (!m.ok()) {
      errors[i] = m.status();
      return;
    }
    progress.Update(static_cast<int>(i), 1.0);
    report.runs[i].metrics = *std::move(m);
  };
  const int threads = std::max(1, std::min<int>(absl::GetFlag(FLAGS_threads), scenarios.size()));
  std::vector<std::thread> pool;
  std::atomic<size_t> next{0};
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i = next.fetch_add(1); i < scenarios.size(); i = next.fetch_add(1)) run_one(i);
    });
  }
  for (std::thread& t : pool) t.join();
  progress.Finish();
  for (const absl::Status& e : errors) {
    if (!e.ok()) return Fail(e);
  }

  absl::Status st = WriteReport(out, report);
  if (st.ok()) st = WriteSalesReport(out, report);
  if (!st.ok()) return Fail(st);
  if (absl::GetFlag(FLAGS_plots)) {
    for (const std::string& w : RenderPlots(out)) std::cerr << "gavel_sim: warning: " << w << "\n";
  }
  std::cout << "scenario "
            << (report.scenario_name.empty() ? absl::GetFlag(FLAGS_scenario) : report.scenario_name)
            << (target.empty() ? " (in process)" : absl::StrCat(" (against ", target, ")")) << "\n"
            << SummaryTable(report) << "\n"
            << SalesSummary(report) << "\n"
            << TimingTable(report) << "report: " << out << "/\n";
  return 0;
}

}  // namespace
}  // namespace gavel::sim

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "gavel_sim --scenario=FILE [--out=DIR] [--sweep=PARAM=V1,V2] [--seeds=N] [--threads=N]\n"
      "          [--target=HOST:PORT [--queries=N]] | --scenario=FILE --write_catalog=FILE");
  gavel::ListOwnFlagsInHelp();
  absl::ParseCommandLine(argc, argv);
  return gavel::sim::Main();
}
