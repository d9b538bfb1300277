#include "sim/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/stats.h"

namespace gavel::sim {
namespace {

constexpr double kMicros = 1e6;
constexpr int kRoasBins = 20;  // ROAS histogram: [0,1), [1,2), ..., [19, inf)

double Units(int64_t micros) { return static_cast<double>(micros) / kMicros; }
double Share(double a, double b) { return b > 0 ? a / b : 0; }
// A metric's value; NaN (not applicable: pacing_error without pacing, mean_exhaustion_hour when
// nothing ran out) is an empty field.
std::string Num(double v) { return std::isnan(v) ? std::string() : absl::StrFormat("%.6f", v); }
// A confidence limit: empty with fewer than two samples, where there is no interval.
std::string Limit(const Interval& ci, double v) { return ci.n > 1 ? Num(v) : std::string(); }


std::vector<const RunRecord*> RunsOf(const Report& r, const std::string& value) {
  std::vector<const RunRecord*> out;
  for (const RunRecord& run : r.runs) {
    if (run.value == value) out.push_back(&run);
  }
  return out;
}

Interval Across(const Report& r, const std::string& value, const MetricDef& m) {
  std::vector<double> v;
  for (const RunRecord* run : RunsOf(r, value)) {
    const double x = m.get(run->metrics);
    if (!std::isnan(x)) v.push_back(x);
  }
  if (v.empty()) return Interval{.mean = std::nan("")};
  return MeanCi(v);
}

// The change of metric `m` from the first value to `value`, paired by seed (common random
// numbers: the same seed sees the same catalog, traffic and clicks), with its 95% CI.
Interval PairedDelta(const Report& r, const std::string& value, const MetricDef& m) {
  std::vector<const RunRecord*> base = RunsOf(r, r.values[0]), runs = RunsOf(r, value);
  std::vector<double> d;
  for (const RunRecord* run : runs) {
    for (const RunRecord* b : base) {
      const double x = m.get(run->metrics) - m.get(b->metrics);
      if (b->seed == run->seed && !std::isnan(x)) d.push_back(x);
    }
  }
  if (d.empty()) return Interval{.mean = std::nan("")};
  return MeanCi(d);
}

bool AllNumeric(const std::vector<std::string>& values) {
  for (const std::string& v : values) {
    double d;
    if (!absl::SimpleAtod(v, &d)) return false;
  }
  return true;
}

std::string Label(const Report& r, const std::string& value) {
  return r.parameter.empty() ? std::string("run") : absl::StrCat(r.parameter, "=", value);
}

// gnuplot: PNG via pngcairo when the build has it, else the plain png terminal.
constexpr char kTerminal[] =
    "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
    "  set terminal pngcairo size 900,640 noenhanced font 'sans,10'\n"
    "} else {\n"
    "  set terminal png size 900,640 noenhanced\n"
    "}\n"
    "set datafile separator ','\nset key outside right top\nset grid\n";

std::string GnuplotString(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

absl::Status WriteTextFile(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

const std::vector<MetricDef>& Metrics() {
  static const auto* const kMetrics = new std::vector<MetricDef>{
      {"searches", "searches (auctions run)",
       [](const RunMetrics& m) { return double(m.searches); }},
      {"fill_rate", "share of searches that showed ads",
       [](const RunMetrics& m) { return Share(m.searches_with_ads, m.searches); }},
      {"impressions", "ads shown to shoppers",
       [](const RunMetrics& m) { return double(m.impressions); }},
      {"shopper_clicks", "first clicks by shoppers",
       [](const RunMetrics& m) { return double(m.shopper_clicks); }},
      {"ctr", "shopper clicks / impressions", [](const RunMetrics& m) { return Ctr(m); }},
      {"charged_clicks", "clicks billing charged",
       [](const RunMetrics& m) { return double(m.charged_clicks); }},
      {"revenue", "platform revenue (units)",
       [](const RunMetrics& m) { return Units(m.revenue_micros); }},
      {"rpm", "revenue per thousand searches", [](const RunMetrics& m) { return Rpm(m); }},
      {"avg_cpc", "revenue / charged clicks", [](const RunMetrics& m) { return AvgCpc(m); }},
      {"advertiser_value", "value of shopper clicks to advertisers (= total welfare)",
       [](const RunMetrics& m) { return Units(m.value_micros); }},
      {"advertiser_surplus", "value - price, summed",
       [](const RunMetrics& m) { return Units(SurplusMicros(m)); }},
      {"total_welfare", "advertiser surplus + platform revenue (= advertiser_value)",
       [](const RunMetrics& m) { return Units(SurplusMicros(m) + m.revenue_micros); }},
      {"conversions", "orders from ad clicks",
       [](const RunMetrics& m) { return double(m.conversions); }},
      {"sales", "order value from ad clicks (units)",
       [](const RunMetrics& m) { return Units(m.sales_micros); }},
      {"roas", "sales / ad spend", [](const RunMetrics& m) { return Roas(m); }},
      {"acos", "ad spend / sales", [](const RunMetrics& m) { return Acos(m); }},
      {"budget_utilisation", "spend / (sum of daily budgets x days)",
       [](const RunMetrics& m) {
         return Share(double(m.revenue_micros), double(m.budget_per_day_micros) * m.days);
       }},
      {"exhausted_share",
       "campaign-days that spent >= 95% of the budget or had a click refused for budget",
       [](const RunMetrics& m) { return Share(m.campaign_days_exhausted, m.campaign_days); }},
      {"mean_exhaustion_hour", "hour of day at which exhausted campaigns ran out",
       [](const RunMetrics& m) { return m.mean_exhaustion_hour; }},
      {"pacing_error", "mean |cumulative spend share - pacing target|",
       // No pacing, no target to follow: not applicable.
       [](const RunMetrics& m) { return m.pacing ? PacingError(m) : std::nan(""); }},
      {"budget_rejected_clicks", "clicks not charged: budget spent",
       [](const RunMetrics& m) { return double(m.budget_rejected_clicks); }},
      {"repeat_clicks", "repeat clicks sent (same shopper, same ad)",
       [](const RunMetrics& m) { return double(m.repeat_clicks); }},
      {"bot_clicks", "bot clicks sent", [](const RunMetrics& m) { return double(m.bot_clicks); }},
      {"invalid_filtered", "clicks billing filtered as invalid",
       [](const RunMetrics& m) { return double(m.invalid_filtered); }},
      {"invalid_repeat", "... of which REPEAT_CLICK",
       [](const RunMetrics& m) { return double(m.invalid_repeat); }},
      {"invalid_rate_limited", "... of which RATE_LIMITED",
       [](const RunMetrics& m) { return double(m.invalid_rate_limited); }},
      {"bot_clicks_charged", "bot clicks billing charged",
       [](const RunMetrics& m) { return double(m.bot_clicks_charged); }},
  };
  return *kMetrics;
}

namespace {

// The first column's header: the swept parameter, or "run" without a sweep.
std::string ParameterColumn(const Report& r) { return r.parameter.empty() ? "run" : r.parameter; }

// runs.csv: one row per run, every metric.
absl::Status WriteRunsCsv(const std::filesystem::path& root, const Report& r) {
  std::string runs = absl::StrCat(ParameterColumn(r), ",seed");
  for (const MetricDef& m : Metrics()) absl::StrAppend(&runs, ",", m.name);
  runs += "\n";
  for (const RunRecord& run : r.runs) {
    absl::StrAppend(&runs, CsvField(run.value), ",", run.seed);
    for (const MetricDef& m : Metrics()) absl::StrAppend(&runs, ",", Num(m.get(run.metrics)));
    runs += "\n";
  }
  return WriteTextFile(root / "runs.csv", runs);
}

// metrics/<name>.csv (one per metric, every run) and sweep.csv (mean, CI and paired change per
// value and metric).
absl::Status WriteSweepCsvs(const std::filesystem::path& root, const Report& r) {
  const std::string param = ParameterColumn(r);
  std::string sweep = absl::StrCat(
      param, ",metric,n,mean,ci95_low,ci95_high,delta_vs_first,delta_ci95_low,delta_ci95_high\n");
  for (const MetricDef& m : Metrics()) {
    std::string per = absl::StrCat(param, ",seed,", m.name, "\n");
    for (const RunRecord& run : r.runs) {
      absl::StrAppend(&per, CsvField(run.value), ",", run.seed, ",", Num(m.get(run.metrics)), "\n");
    }
    absl::Status st = WriteTextFile(root / "metrics" / absl::StrCat(m.name, ".csv"), per);
    if (!st.ok()) return st;
    for (const std::string& v : r.values) {
      const Interval ci = Across(r, v, m);
      const Interval d = PairedDelta(r, v, m);
      absl::StrAppend(&sweep, CsvField(v), ",", m.name, ",", ci.n, ",", Num(ci.mean), ",",
                      Limit(ci, ci.low()), ",", Limit(ci, ci.high()), ",", Num(d.mean), ",",
                      Limit(d, d.low()), ",", Limit(d, d.high()), "\n");
    }
  }
  return WriteTextFile(root / "sweep.csv", sweep);
}

// ctr_by_slot.csv: per run; ctr_by_slot_mean.csv: the mean over seeds per value, for the plot.
absl::Status WriteCtrBySlotCsvs(const std::filesystem::path& root, const Report& r) {
  const std::string param = ParameterColumn(r);
  std::string ctr = absl::StrCat(param, ",seed,slot,examination,impressions,clicks,ctr\n");
  std::string ctr_mean = absl::StrCat(param, ",slot,examination,ctr_mean,ctr_ci95_half\n");
  for (const RunRecord& run : r.runs) {
    for (size_t s = 0; s < run.metrics.slots.size(); ++s) {
      const SlotMetrics& sm = run.metrics.slots[s];
      absl::StrAppend(&ctr, CsvField(run.value), ",", run.seed, ",", s + 1, ",",
                      s < r.examination.size() ? Num(r.examination[s]) : "", ",", sm.impressions,
                      ",", sm.clicks, ",", Num(Share(sm.clicks, sm.impressions)), "\n");
    }
  }
  for (const std::string& v : r.values) {
    std::vector<const RunRecord*> rs = RunsOf(r, v);
    if (rs.empty()) continue;
    for (size_t s = 0; s < rs[0]->metrics.slots.size(); ++s) {
      std::vector<double> c;
      for (const RunRecord* run : rs) {
        if (s < run->metrics.slots.size()) {
          c.push_back(Share(run->metrics.slots[s].clicks, run->metrics.slots[s].impressions));
        }
      }
      const Interval ci = MeanCi(c);
      absl::StrAppend(&ctr_mean, CsvField(v), ",", s + 1, ",",
                      s < r.examination.size() ? Num(r.examination[s]) : "", ",", Num(ci.mean), ",",
                      Num(ci.half_width), "\n");
    }
  }
  absl::Status st = WriteTextFile(root / "ctr_by_slot.csv", ctr);
  if (st.ok()) st = WriteTextFile(root / "ctr_by_slot_mean.csv", ctr_mean);
  return st;
}

// advertisers.csv and roas_histogram.csv (advertisers with spend, pooled over seeds).
absl::Status WriteAdvertiserCsvs(const std::filesystem::path& root, const Report& r) {
  const std::string param = ParameterColumn(r);
  std::string adv = absl::StrCat(
      param, ",seed,advertiser,budget,spend,spend_of_budget,charged_clicks,shopper_clicks,value,",
      "surplus,conversions,sales,roas,acos,bot_charged_clicks,repeat_charged_clicks\n");
  std::string hist = absl::StrCat(param, ",roas_bin_low,advertisers\n");
  for (const std::string& v : r.values) {
    std::vector<int64_t> bins(kRoasBins, 0);
    for (const RunRecord* run : RunsOf(r, v)) {
      for (const AdvertiserMetrics& a : run->metrics.advertisers) {
        absl::StrAppend(&adv, CsvField(v), ",", run->seed, ",", CsvField(a.id), ",",
                        Num(Units(a.budget_micros)), ",", Num(Units(a.spend_micros)), ",",
                        Num(Share(a.spend_micros, a.budget_micros)), ",", a.charged_clicks, ",",
                        a.shopper_clicks, ",", Num(Units(a.value_micros)), ",",
                        Num(Units(a.value_micros - a.spend_micros)), ",", a.conversions, ",",
                        Num(Units(a.sales_micros)), ",", Num(Share(a.sales_micros, a.spend_micros)),
                        ",", Num(Share(a.spend_micros, a.sales_micros)), ",", a.bot_charged_clicks,
                        ",", a.repeat_charged_clicks, "\n");
        if (a.spend_micros > 0) {
          const double roas = Share(a.sales_micros, a.spend_micros);
          ++bins[std::min<int>(kRoasBins - 1, static_cast<int>(roas))];
        }
      }
    }
    for (int b = 0; b < kRoasBins; ++b) absl::StrAppend(&hist, CsvField(v), ",", b, ",", bins[b], "\n");
  }
  absl::Status st = WriteTextFile(root / "advertisers.csv", adv);
  if (st.ok()) st = WriteTextFile(root / "roas_histogram.csv", hist);
  return st;
}

// pacing.csv: the cumulative share of the day's spend against pacing's target, per bucket.
absl::Status WritePacingCsv(const std::filesystem::path& root, const Report& r) {
  std::string pacing =
      absl::StrCat(ParameterColumn(r), ",seed,hour,spend_share,target_share,spend_of_budget\n");
  for (const RunRecord& run : r.runs) {
    const RunMetrics& m = run.metrics;
    int64_t total = 0;
    for (int64_t s : m.spend_by_bucket) total += s;
    const double budget = static_cast<double>(m.budget_per_day_micros) * m.days;
    int64_t cum = 0;
    for (size_t b = 0; b < m.spend_by_bucket.size(); ++b) {
      cum += m.spend_by_bucket[b];
      absl::StrAppend(
          &pacing, CsvField(run.value), ",", run.seed, ",",
          Num(24.0 * static_cast<double>(b + 1) / static_cast<double>(m.spend_by_bucket.size())),
          ",", Num(Share(cum, total)), ",", m.pacing ? Num(m.target_by_bucket[b]) : "", ",",
          Num(Share(cum, budget)), "\n");
    }
  }
  return WriteTextFile(root / "pacing.csv", pacing);
}

// plots/revenue.csv and plots/revenue.gp. Revenue: mean and CI across seeds on top; below, the
// change from the first value paired by seed, which removes the catalog-to-catalog spread that
// dominates the top panel's CIs.
absl::Status WriteRevenuePlot(const std::filesystem::path& root, const Report& r) {
  const std::string param = ParameterColumn(r);
  const bool numeric = !r.parameter.empty() && AllNumeric(r.values);
  std::string rev_data = absl::StrCat(param, ",revenue,revenue_ci,delta,delta_ci\n");
  const MetricDef* revenue_def = FindMetric("revenue");
  for (const std::string& v : r.values) {
    const Interval a = Across(r, v, *revenue_def), d = PairedDelta(r, v, *revenue_def);
    absl::StrAppend(&rev_data, CsvField(r.parameter.empty() ? "run" : v), ",", Num(a.mean), ",",
                    Num(a.half_width), ",", Num(d.mean), ",", Num(d.half_width), "\n");
  }
  absl::Status st = WriteTextFile(root / "plots" / "revenue.csv", rev_data);
  if (!st.ok()) return st;
  // Without a sweep there is nothing to compare with: one panel, no "change vs" panel.
  const bool sweep = !r.parameter.empty();
  std::string rev = absl::StrCat(kTerminal, "set output 'revenue.png'\n",
                                 sweep ? "set multiplot layout 2,1\n" : "", "set key off\n",
                                 "set offsets graph 0.05, graph 0.05, 0, 0\nset xlabel ",
                                 GnuplotString(param), "\n",
                                 // One point: fixed ranges, so gnuplot has no empty range to warn
                                 // about.
                                 sweep ? "" : "set xrange [-1:1]\nset yrange [0:*]\n");
  const std::string x = numeric ? "1" : "0";
  const std::string xtic = numeric ? "" : ":xtic(1)";
  absl::StrAppend(
      &rev, "set title ",
      GnuplotString(absl::StrCat("Platform revenue vs ", param, " (mean, 95% CI across seeds)")),
      "\nset ylabel 'revenue (units)'\n", "plot 'plots/revenue.csv' every ::1 using ", x, ":2:3",
      xtic, " with yerrorlines lw 2 pt 7\n");
  if (!sweep) return WriteTextFile(root / "plots" / "revenue.gp", rev);
  absl::StrAppend(&rev, "set title ",
                  GnuplotString(absl::StrCat("Change in revenue vs ", param, "=", r.values[0],
                                             ", paired by seed (mean, 95% CI)")),
                  "\nset ylabel 'revenue change (units)'\nset xzeroaxis lt -1\n",
                  "plot 'plots/revenue.csv' every ::1 using ", x, ":4:5", xtic,
                  " with yerrorlines lw 2 pt 7 lc rgb '#c03030'\nunset multiplot\n");
  return WriteTextFile(root / "plots" / "revenue.gp", rev);
}

// plots/pacing_<i>.csv (the first seed of each value) and plots/pacing.gp; nothing when no run
// paces (there is no target to plot against). The target line comes from the first paced value.
absl::Status WritePacingPlot(const std::filesystem::path& root, const Report& r) {
  bool any_pacing = false;
  for (const RunRecord& run : r.runs) any_pacing = any_pacing || run.metrics.pacing;
  if (!any_pacing) return absl::OkStatus();
  bool target_drawn = false;
  std::string pace =
      absl::StrCat(kTerminal, "set output 'pacing.png'\n",
                   "set title 'Share of the day''s spend vs the pacing target (first seed)'\n",
                   "set xlabel 'hour of day (UTC)'\nset ylabel 'cumulative share of daily spend'\n",
                   "set xrange [0:24]\nset xtics 0,2,24\nset yrange [0:1.05]\n");
  std::vector<std::string> lines;
  for (size_t i = 0; i < r.values.size(); ++i) {
    std::vector<const RunRecord*> rs = RunsOf(r, r.values[i]);
    if (rs.empty()) continue;
    const std::string data = absl::StrCat("plots/pacing_", i, ".csv");
    std::string d = "hour,spend_share,target_share\n";
    const RunMetrics& m = rs[0]->metrics;
    int64_t total = 0, cum = 0;
    for (int64_t s : m.spend_by_bucket) total += s;
    absl::StrAppend(&d, "0,0,0\n");
    for (size_t b = 0; b < m.spend_by_bucket.size(); ++b) {
      cum += m.spend_by_bucket[b];
      absl::StrAppend(&d, Num(24.0 * (b + 1) / m.spend_by_bucket.size()), ",",
                      Num(Share(cum, total)), ",", m.pacing ? Num(m.target_by_bucket[b]) : "",
                      "\n");
    }
    absl::Status st = WriteTextFile(root / data, d);
    if (!st.ok()) return st;
    lines.push_back(absl::StrCat("'", data, "' every ::1 using 1:2 with lines lw 2 title ",
                                 GnuplotString(absl::StrCat("spend, ", Label(r, r.values[i])))));
    if (m.pacing && !target_drawn) {
      target_drawn = true;
      lines.push_back(absl::StrCat(
          "'", data, "' every ::1 using 1:3 with lines lw 2 dt 2 lc black title 'pacing target'"));
    }
  }
  absl::StrAppend(&pace, "plot ", absl::StrJoin(lines, ", \\\n     "), "\n");
  return WriteTextFile(root / "plots" / "pacing.gp", pace);
}

// plots/ctr_by_slot.gp, from ctr_by_slot_mean.csv.
absl::Status WriteCtrBySlotPlot(const std::filesystem::path& root, const Report& r) {
  std::string ctr_gp =
      absl::StrCat(kTerminal, "set output 'ctr_by_slot.png'\n",
                   "set title 'CTR by slot (mean, 95% CI across seeds)'\n",
                   "set xlabel 'slot'\nset ylabel 'CTR'\nset xtics 1\nset yrange [0:*]\n",
                   r.examination.empty() ? ""
                                         : "set y2label 'examination probability'\nset y2tics\n"
                                           "set ytics nomirror\nset y2range [0:1.05]\n");
  std::vector<std::string> lines;
  for (size_t i = 0; i < r.values.size(); ++i) {
    lines.push_back(absl::StrCat("'ctr_by_slot_mean.csv' every ::1 using (strcol(1) eq ",
                                 GnuplotString(r.values[i]),
                                 " ? $2 : NaN):4:5 with yerrorlines lw 2 title ",
                                 GnuplotString(absl::StrCat("CTR, ", Label(r, r.values[i])))));
  }
  if (!r.examination.empty()) {  // the position-based model's; a cascade configures none
    lines.push_back(absl::StrCat("'ctr_by_slot_mean.csv' every ::1 using (strcol(1) eq ",
                                 GnuplotString(r.values[0]),
                                 " ? $2 : NaN):3 axes x1y2 with linespoints dt 2 lc black title "
                                 "'examination (configured)'"));
  }
  absl::StrAppend(&ctr_gp, "plot ", absl::StrJoin(lines, ", \\\n     "), "\n");
  return WriteTextFile(root / "plots" / "ctr_by_slot.gp", ctr_gp);
}

// plots/roas.gp, from roas_histogram.csv.
absl::Status WriteRoasPlot(const std::filesystem::path& root, const Report& r) {
  std::string roas = absl::StrCat(
      kTerminal, "set output 'roas.png'\n",
      "set title 'Advertiser ROAS (sales / spend), advertisers with spend, all seeds'\n",
      "set xlabel 'ROAS (bin; last bin = 19 and above)'\nset ylabel 'advertisers'\n",
      "set style data histograms\nset style histogram clustered gap 1\n",
      "set style fill solid 0.6 border -1\nset xtics 1\n");
  std::vector<std::string> lines;
  for (size_t i = 0; i < r.values.size(); ++i) {
    lines.push_back(absl::StrCat("'roas_histogram.csv' every ::", 1 + i * kRoasBins,
                                 "::", (i + 1) * kRoasBins, " using 3:xtic(2) title ",
                                 GnuplotString(Label(r, r.values[i]))));
  }
  absl::StrAppend(&roas, "plot ", absl::StrJoin(lines, ", \\\n     "), "\n");
  return WriteTextFile(root / "plots" / "roas.gp", roas);
}

}  // namespace

absl::Status WriteReport(const std::string& dir, const Report& r) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "metrics", ec);
  fs::create_directories(fs::path(dir) / "plots", ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  const fs::path root(dir);
  // The CSV tables, then the plot scripts (RenderPlots runs them from `dir`); stops at the first
  // write error.
  for (absl::Status (*write)(const fs::path&, const Report&) :
       {WriteRunsCsv, WriteSweepCsvs, WriteCtrBySlotCsvs, WriteAdvertiserCsvs, WritePacingCsv,
        WriteRevenuePlot, WritePacingPlot, WriteCtrBySlotPlot, WriteRoasPlot}) {
    if (absl::Status st = write(root, r); !st.ok()) return st;
  }
  return absl::OkStatus();
}

const MetricDef* FindMetric(absl::string_view name) {
  for (const MetricDef& m : Metrics()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::vector<std::string> RenderPlots(const std::string& dir) {
  std::vector<std::string> warnings;
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    warnings.push_back("gnuplot not found: plots skipped (the .gp scripts are in plots/)");
    return warnings;
  }
  for (const char* name : {"revenue", "pacing", "ctr_by_slot", "roas"}) {
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::path(dir) / "plots" / absl::StrCat(name, ".gp"),
                                 ec)) {
      continue;  // pacing.gp without pacing
    }
    const std::string cmd =
        absl::StrCat("cd '", dir, "' && gnuplot plots/", name, ".gp > plots/", name, ".log 2>&1");
    if (std::system(cmd.c_str()) != 0) {
      warnings.push_back(
          absl::StrCat("gnuplot failed on plots/", name, ".gp (see plots/", name, ".log)"));
    }
  }
  return warnings;
}

namespace {

// "1234", "0.0213 +- 0.0011", "-": fixed decimals, never exponents. A count's mean over seeds gets
// one decimal. NaN (not applicable) prints "-".
std::string Fixed(const Interval& ci, int decimals, bool sign) {
  if (std::isnan(ci.mean)) return "-";
  const int d = decimals == 0 && ci.n > 1 ? 1 : decimals;
  std::string out =
      sign ? absl::StrFormat("%+.*f", d, ci.mean) : absl::StrFormat("%.*f", d, ci.mean);
  if (ci.n > 1) absl::StrAppend(&out, absl::StrFormat(" +- %.*f", d, ci.half_width));
  return out;
}

}  // namespace

std::string SummaryTable(const Report& r) {
  // Counts print as integers (one decimal for a mean over seeds), the rest with fixed decimals.
  struct Key {
    const char* name;
    int decimals;
  };
  static constexpr Key kKey[] = {
      {"searches", 0},
      {"fill_rate", 4},
      {"ctr", 4},
      {"charged_clicks", 0},
      {"revenue", 2},
      {"rpm", 2},
      {"avg_cpc", 4},
      {"advertiser_surplus", 2},
      {"total_welfare", 2},
      {"roas", 3},
      {"acos", 4},
      {"budget_utilisation", 4},
      {"exhausted_share", 4},
      {"mean_exhaustion_hour", 2},
      {"pacing_error", 4},
      {"budget_rejected_clicks", 0},
      {"invalid_filtered", 0},
      {"bot_clicks_charged", 0},
  };
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {r.parameter.empty() ? "metric" : r.parameter};
  for (const std::string& v : r.values) header.push_back(r.parameter.empty() ? "value" : v);
  rows.push_back(header);
  for (const Key& key : kKey) {
    const MetricDef* def = FindMetric(key.name);
    std::vector<std::string> row = {key.name};
    for (const std::string& v : r.values) {
      const Interval ci = Across(r, v, *def);
      row.push_back(Fixed(ci, key.decimals, false));
    }
    rows.push_back(row);
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  const int seeds = r.values.empty() ? 0 : static_cast<int>(RunsOf(r, r.values[0]).size());
  if (seeds > 1)
    absl::StrAppend(&out, "mean +- 95% CI half-width over ", seeds, " seeds (t distribution)\n");
  for (size_t k = 0; k < rows.size(); ++k) {
    const size_t row_start = out.size();
    for (size_t i = 0; i < rows[k].size(); ++i) {
      const int w = static_cast<int>(width[i]);
      absl::StrAppend(&out, i == 0 ? absl::StrFormat("%-*s", w, rows[k][i])
                                   : absl::StrFormat("  %*s", w, rows[k][i]));
    }
    out += "\n";
    if (k == 0) out += std::string(out.size() - row_start - 1, '-') + "\n";  // under the header
  }
  if (seeds > 1 && r.values.size() > 1) {
    absl::StrAppend(&out, "\nchange vs ", r.parameter, "=", r.values[0],
                    ", paired by seed (mean +- 95% CI):\n");
    for (const Key& key : {Key{"revenue", 2}, Key{"rpm", 2}, Key{"ctr", 4},
                           Key{"advertiser_surplus", 2}, Key{"advertiser_value", 2}}) {
      absl::StrAppend(&out, absl::StrFormat("%-*s", static_cast<int>(width[0]), key.name),
                      absl::StrFormat("  %*s", static_cast<int>(width[1]), "(base)"));
      for (size_t i = 1; i < r.values.size(); ++i) {
        const Interval d = PairedDelta(r, r.values[i], *FindMetric(key.name));
        absl::StrAppend(&out, absl::StrFormat("  %*s", static_cast<int>(width[i + 1]),
                                              Fixed(d, key.decimals, true)));
      }
      out += "\n";
    }
  }
  return out;
}

std::string TimingTable(const Report& r) {
  std::string out = "wall clock (not in the report files):\n";
  for (const RunRecord& run : r.runs) {
    const RunMetrics& m = run.metrics;
    absl::StrAppend(
        &out,
        absl::StrFormat(
            "  %s seed=%d: %d searches in %.2f s (+ %.2f s setup) = %.0f "
            "searches/s; auction latency mean %.1f us, p50 %.1f us, p99 %.1f us\n",
            Label(r, run.value), run.seed, m.searches, m.wall_seconds - m.setup_seconds,
            m.setup_seconds,
            m.wall_seconds > m.setup_seconds ? m.searches / (m.wall_seconds - m.setup_seconds) : 0,
            m.latency_mean_us, m.latency_p50_us, m.latency_p99_us));
  }
  return out;
}

}  // namespace gavel::sim
