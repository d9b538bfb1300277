// gavel_sim: runs a marketplace scenario through the production engine and billing, in process
// (default) or against a running gavel_server (--target), and writes a report. docs/simulator.md.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
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
#include "convert/proto_convert.h"
#include "sim/catalog_export.h"
#include "sim/direct.h"
#include "sim/learning_run.h"
#include "sim/remote.h"
#include "sim/report.h"
#include "sim/sales_report.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

ABSL_FLAG(std::string, scenario, "",
          "scenario file: text format, or protobuf JSON if it ends in .json");
ABSL_FLAG(std::string, out, "sim_report",
          "report folder: created if missing; a previous gavel_sim report in it is deleted first; "
          "any other non-empty folder is refused");
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

// A one-line progress bar over all runs, on stderr. Redrawn at most every kRedraw of wall time
// (and once at the end), so a long multi-seed run prints a few kilobytes, not megabytes.
class Progress {
 public:
  static constexpr std::chrono::milliseconds kRedraw{250};
  Progress(int runs, bool enabled) : fractions_(runs, 0.0), enabled_(enabled) {}
  void Update(int run, double fraction) {
    if (!enabled_) return;
    MutexLock lock(&mu_);
    fractions_[run] = fraction;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_draw_ < kRedraw) return;
    drawn_ = true;
    last_draw_ = now;
    Draw();
  }
  void Finish() {
    if (!enabled_) return;
    MutexLock lock(&mu_);
    Draw();
    std::fprintf(stderr, "\n");
  }

 private:
  void Draw() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    double sum = 0;
    for (double f : fractions_) sum += f;
    const double done = sum / static_cast<double>(fractions_.size());
    const int width = 40, filled = static_cast<int>(done * width);
    std::fprintf(stderr, "\r[%s%s] %5.1f%%", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), 100 * done);
    std::fflush(stderr);
  }

  Mutex mu_;
  std::vector<double> fractions_ ABSL_GUARDED_BY(mu_);
  bool drawn_ ABSL_GUARDED_BY(mu_) = false;
  std::chrono::steady_clock::time_point last_draw_ ABSL_GUARDED_BY(mu_);
  const bool enabled_;
};

// The file that marks a folder as a gavel_sim report, so that a later run may clean it.
constexpr char kMarker[] = ".gavel_sim_report";

// Makes `out` an empty report folder: creates it, or empties it if it holds a previous report
// (kMarker). Refuses (INVALID_ARGUMENT) any other non-empty folder: it may hold someone's files.
absl::Status PrepareOut(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_empty(out, ec)) {
    if (!fs::exists(fs::path(out) / kMarker, ec)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--out: ", out, " is not empty and holds no gavel_sim report; give a new folder"));
    }
    for (const fs::directory_entry& e : fs::directory_iterator(out, ec)) fs::remove_all(e, ec);
    if (ec) {
      return absl::InternalError(absl::StrCat("cannot clean ", out, ": ", ec.message()));
    }
  }
  fs::create_directories(out, ec);  // the runs' ledgers go under it
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", out, ": ", ec.message()));
  std::ofstream marker(fs::path(out) / kMarker, std::ios::trunc);
  marker << "gavel_sim report folder: the next gavel_sim --out here deletes everything in it\n";
  marker.close();
  if (!marker) return absl::InternalError(absl::StrCat("cannot write ", out, "/", kMarker));
  return absl::OkStatus();
}

int Fail(const absl::Status& st) {
  std::cerr << "gavel_sim: " << st << "\n";
  return st.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

// Runs `jobs` on `threads` threads; the first error, if any.
absl::Status RunPool(size_t jobs, int threads, const std::function<absl::Status(size_t)>& job) {
  std::vector<absl::Status> errors(jobs);
  std::vector<std::thread> pool;
  std::atomic<size_t> next{0};
  threads = std::max(1, std::min<int>(threads, static_cast<int>(jobs)));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i = next.fetch_add(1); i < jobs; i = next.fetch_add(1)) errors[i] = job(i);
    });
  }
  for (std::thread& t : pool) t.join();
  for (const absl::Status& e : errors) {
    if (!e.ok()) return e;
  }
  return absl::OkStatus();
}

bool ProgressOn() {
  const std::string flag = absl::GetFlag(FLAGS_progress);
  return flag == "on" || (flag == "auto" && isatty(STDERR_FILENO));
}

// The learning experiment, one RunLearning per seed (docs/simulator.md, "Learning").
int LearningMode(const Scenario& base, const std::string& out, int seeds) {
  std::vector<LearningRun> runs(seeds);
  std::vector<uint64_t> seed_values;
  for (int k = 0; k < seeds; ++k) seed_values.push_back(base.seed() + static_cast<uint64_t>(k));
  Progress progress(seeds, ProgressOn());
  absl::Status st = RunPool(seeds, absl::GetFlag(FLAGS_threads), [&](size_t i) -> absl::Status {
    Scenario s = base;
    s.set_seed(seed_values[i]);
    if (base.has_traffic_seed()) s.set_traffic_seed(base.traffic_seed() + i);
    absl::StatusOr<LearningRun> r = RunLearning(
        s, {.work_dir = absl::StrCat(out, "/seed-", seed_values[i]),
            .progress = [&progress, i](double f) { progress.Update(static_cast<int>(i), f); }});
    if (!r.ok()) return r.status();
    runs[i] = *std::move(r);
    return absl::OkStatus();
  });
  progress.Finish();
  if (!st.ok()) return Fail(st);
  st = WriteLearningReport(out, seed_values, runs);
  if (!st.ok()) return Fail(st);
  std::cout << "scenario " << (base.name().empty() ? absl::GetFlag(FLAGS_scenario) : base.name())
            << " (learning, in process)\n"
            << LearningSummary(runs) << "report: " << out << "/\n";
  return 0;
}

// The catalog-free direct mode: `seeds` runs of scenario.direct's auctions.
int DirectMode(const Scenario& base, const std::string& out, int seeds) {
  absl::StatusOr<auction::Rules> rules = convert::RulesFromProto(base.auction());
  if (!rules.ok()) return Fail(rules.status());
  DirectOptions options{.bidders = base.direct().bidders(),
                        .shading = base.bidding().shading(),
                        .quality = base.direct().quality(),
                        .rules = *rules,
                        .auctions = base.direct().auctions()};
  options.rules.slots = base.slots();
  if (base.bidding().has_value_per_click_micros()) {
    options.value = base.bidding().value_per_click_micros();
  } else {
    options.value.set_kind(Distribution::LOG_NORMAL);
    options.value.set_median(800000);
    options.value.set_sigma(0.6);
  }
  std::string csv = "seed,metric,n,mean,ci95_low,ci95_high\n";
  std::vector<double> revenue, welfare, surplus;
  for (int k = 0; k < seeds; ++k) {
    const uint64_t seed = base.seed() + static_cast<uint64_t>(k);
    std::mt19937_64 gen(DeriveSeed(seed, Stream::kEngine));
    absl::StatusOr<DirectResult> r = RunDirect(options, gen);
    if (!r.ok()) return Fail(r.status());
    for (const auto& [name, ci] : {std::pair<const char*, Interval>{"revenue", r->revenue},
                                   {"welfare", r->welfare},
                                   {"surplus", r->surplus}}) {
      absl::StrAppend(&csv, seed, ",", name, ",", ci.n,
                      absl::StrFormat(",%.6f,%.6f,%.6f\n", ci.mean, ci.low(), ci.high()));
    }
    revenue.push_back(r->revenue.mean);
    welfare.push_back(r->welfare.mean);
    surplus.push_back(r->surplus.mean);
  }
  std::ofstream file(std::filesystem::path(out) / "direct.csv", std::ios::trunc);
  file << csv;
  file.close();
  if (!file) return Fail(absl::InternalError(absl::StrCat("cannot write ", out, "/direct.csv")));
  std::cout << "scenario " << (base.name().empty() ? absl::GetFlag(FLAGS_scenario) : base.name())
            << absl::StrFormat(" (direct: %d bidders per auction, %d auctions per seed)\n",
                               options.bidders, options.auctions)
            << "per auction, micros (mean over seeds; each seed's 95% CI in direct.csv):\n";
  for (const auto& [name, v] : {std::pair<const char*, std::vector<double>*>{"revenue", &revenue},
                                {"welfare", &welfare},
                                {"surplus", &surplus}}) {
    const Interval ci = MeanCi(*v);
    std::cout << absl::StrFormat("  %-8s %14.2f", name, ci.mean)
              << (ci.n > 1 ? absl::StrFormat(" +- %.2f", ci.half_width) : "") << "\n";
  }
  std::cout << "report: " << out << "/\n";
  return 0;
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

  const int seeds = absl::GetFlag(FLAGS_seeds);
  if (seeds < 1 || seeds > 1000) {
    return Fail(
        absl::InvalidArgumentError(absl::StrCat("--seeds must be in [1, 1000], got ", seeds)));
  }
  const std::string out = absl::GetFlag(FLAGS_out);
  if (base->has_learning() || base->has_direct()) {
    const char* mode = base->has_learning() ? "learning" : "direct";
    if (!absl::GetFlag(FLAGS_sweep).empty() || !absl::GetFlag(FLAGS_target).empty()) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("--sweep and --target do not apply to a ", mode, " scenario")));
    }
    if (absl::Status st = PrepareOut(out); !st.ok()) return Fail(st);
    return base->has_learning() ? LearningMode(*base, out, seeds) : DirectMode(*base, out, seeds);
  }

  if (base->has_truth() && !absl::GetFlag(FLAGS_target).empty()) {
    return Fail(absl::InvalidArgumentError(
        "truth works in process only: the gRPC mode clicks by the clicks model"));
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
  // Configured examination probabilities exist for the position-based model only; a cascade's
  // examination follows from the clicks above, so the report shows none.
  if (base->clicks().kind() == ClickSpec::POSITION_BASED) {
    for (int s = 0; s < base->slots(); ++s)
      report.examination.push_back(Examination(base->clicks(), s));
  }

  if (absl::Status st = PrepareOut(out); !st.ok()) return Fail(st);
  Progress progress(static_cast<int>(scenarios.size()), ProgressOn());

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
      "          [--target=HOST:PORT [--queries=N]] | --scenario=FILE --write_catalog=FILE\n"
      "A scenario with learning {} runs the learning experiment, one with direct {} the\n"
      "catalog-free direct mode (docs/simulator.md).");
  gavel::ListOwnFlagsInHelp();
  absl::ParseCommandLine(argc, argv);
  return gavel::sim::Main();
}
