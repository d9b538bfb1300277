#include "sim/sales_report.h"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/stats.h"

namespace gavel::sim {
namespace {

double Units(int64_t micros) { return static_cast<double>(micros) / 1e6; }
double Share(int64_t a, int64_t b) {
  return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0;
}
std::string Num(double v) { return absl::StrFormat("%.6f", v); }

std::string ParameterColumn(const Report& r) {
  return r.parameter.empty() ? std::string("value") : r.parameter;
}

bool IsAgent(const AgentMetrics& a) { return a.strategy != "fixed"; }

// A scalar of one run, for the sweep table.
struct Scalar {
  std::string name;
  std::function<double(const RunMetrics&)> get;
};

std::vector<Scalar> Scalars(const Report& r) {
  std::vector<Scalar> out = {
      {"revenue", [](const RunMetrics& m) { return Units(m.revenue_micros); }},
      {"gavel_acos", GavelAcos},
      {"true_acos", TrueAcos},
      {"acos_gap", AcosGap},
      {"abs_acos_gap", [](const RunMetrics& m) { return std::abs(AcosGap(m)); }},
  };
  // Per agent (the same agents, in the same order, in every run of a scenario).
  const RunRecord* first = r.runs.empty() ? nullptr : &r.runs.front();
  if (first == nullptr || first->metrics.agents.empty()) return out;
  out.push_back({"agents_reached_share", AgentsReachedShare});
  out.push_back({"agents_all_reached",
                 [](const RunMetrics& m) { return AgentsReachedShare(m) == 1 ? 1.0 : 0.0; }});
  for (size_t i = 0; i < first->metrics.agents.size(); ++i) {
    const std::string p = absl::StrCat("agent_", first->metrics.agents[i].advertiser_id, "_");
    auto agent = [i](const RunMetrics& m) -> const AgentMetrics& { return m.agents[i]; };
    out.push_back({p + "last3_acos_of_target", [agent](const RunMetrics& m) {
                     const AgentMetrics& a = agent(m);
                     return AcosOf(a.last3_spend_micros, a.last3_sales_micros) / a.target_acos;
                   }});
    out.push_back({p + "last_day_acos_of_target", [agent](const RunMetrics& m) {
                     const AgentMetrics& a = agent(m);
                     return AcosOf(a.last_day_spend_micros, a.last_day_sales_micros) /
                            a.target_acos;
                   }});
    out.push_back({p + "spend_of_budget", [agent](const RunMetrics& m) {
                     const AgentMetrics& a = agent(m);
                     return Share(a.spend_micros, a.daily_budget_micros * a.days);
                   }});
    out.push_back(
        {p + "reached", [agent](const RunMetrics& m) { return agent(m).reached() ? 1.0 : 0.0; }});
  }
  return out;
}

Interval Across(const Report& r, const std::string& value, const Scalar& s) {
  std::vector<double> v;
  for (const RunRecord& run : r.runs) {
    if (run.value == value) v.push_back(s.get(run.metrics));
  }
  return MeanCi(v);
}

}  // namespace

double GavelAcos(const RunMetrics& m) {
  int64_t spend = 0, sales = 0;
  for (const AdvertiserMetrics& a : m.advertisers) {
    spend += a.gavel_spend_micros;
    sales += a.gavel_sales_micros;
  }
  return AcosOf(spend, sales);
}

double TrueAcos(const RunMetrics& m) {
  int64_t sales = 0;
  for (const AdvertiserMetrics& a : m.advertisers) sales += a.true_sales_micros;
  return AcosOf(m.revenue_micros, sales);
}

double AcosGap(const RunMetrics& m) {
  const double truth = TrueAcos(m);
  return truth > 0 ? GavelAcos(m) / truth - 1 : 0;
}

double AgentsReachedShare(const RunMetrics& m) {
  int agents = 0, reached = 0;
  for (const AgentMetrics& a : m.agents) {
    if (!IsAgent(a)) continue;
    ++agents;
    if (a.reached()) ++reached;
  }
  return agents > 0 ? static_cast<double>(reached) / agents : 0;
}

absl::Status WriteSalesReport(const std::string& dir, const Report& r) {
  const std::filesystem::path root(dir);
  const std::string param = ParameterColumn(r);
  std::string sales = absl::StrCat(
      param,
      ",seed,advertiser,spend,gavel_spend,true_orders,true_sales,gavel_orders,gavel_sales,"
      "organic_sales,true_acos,gavel_acos,acos_gap\n");
  std::string agents = absl::StrCat(
      param,
      ",seed,advertiser,strategy,target_acos,daily_budget,days,spend,spend_of_budget,"
      "max_day_spend,sales,acos,last_day_acos,last3_acos,last3_acos_of_target,final_multiplier,"
      "within_budget,reached\n");
  std::string hourly = absl::StrCat(param, ",seed,advertiser,hour,multiplier\n");
  for (const RunRecord& run : r.runs) {
    for (const AdvertiserMetrics& a : run.metrics.advertisers) {
      const double truth = AcosOf(a.spend_micros, a.true_sales_micros);
      const double gavel = AcosOf(a.gavel_spend_micros, a.gavel_sales_micros);
      absl::StrAppend(&sales, CsvField(run.value), ",", run.seed, ",", CsvField(a.id), ",",
                      Num(Units(a.spend_micros)), ",", Num(Units(a.gavel_spend_micros)), ",",
                      a.true_orders, ",", Num(Units(a.true_sales_micros)), ",", a.gavel_orders, ",",
                      Num(Units(a.gavel_sales_micros)), ",", Num(Units(a.organic_sales_micros)),
                      ",", Num(truth), ",", Num(gavel), ",", Num(truth > 0 ? gavel / truth - 1 : 0),
                      "\n");
    }
    for (const AgentMetrics& a : run.metrics.agents) {
      const double last3 = AcosOf(a.last3_spend_micros, a.last3_sales_micros);
      absl::StrAppend(&agents, CsvField(run.value), ",", run.seed, ",", CsvField(a.advertiser_id), ",",
                      a.strategy, ",", Num(a.target_acos), ",", Num(Units(a.daily_budget_micros)),
                      ",", a.days, ",", Num(Units(a.spend_micros)), ",",
                      Num(Share(a.spend_micros, a.daily_budget_micros * a.days)), ",",
                      Num(Units(a.max_day_spend_micros)), ",", Num(Units(a.sales_micros)), ",",
                      Num(AcosOf(a.spend_micros, a.sales_micros)), ",",
                      Num(AcosOf(a.last_day_spend_micros, a.last_day_sales_micros)), ",",
                      Num(last3), ",", Num(last3 / a.target_acos), ",", Num(a.final_multiplier),
                      ",", a.within_budget() ? 1 : 0, ",", a.reached() ? 1 : 0, "\n");
      for (size_t h = 0; h < a.hourly_multiplier.size(); ++h) {
        absl::StrAppend(&hourly, CsvField(run.value), ",", run.seed, ",", CsvField(a.advertiser_id), ",",
                        h + 1, ",", Num(a.hourly_multiplier[h]), "\n");
      }
    }
  }
  std::string sweep = absl::StrCat(param, ",metric,n,mean,ci_low,ci_high\n");
  for (const std::string& v : r.values) {
    for (const Scalar& s : Scalars(r)) {
      const Interval ci = Across(r, v, s);
      // One run has no interval: the limits stay empty, as in sweep.csv.
      absl::StrAppend(&sweep, CsvField(v), ",", s.name, ",", ci.n, ",", Num(ci.mean), ",",
                      ci.n > 1 ? Num(ci.low()) : "", ",", ci.n > 1 ? Num(ci.high()) : "", "\n");
    }
  }
  for (auto& [name, content] :
       std::vector<std::pair<std::string, std::string*>>{{"sales.csv", &sales},
                                                         {"agents.csv", &agents},
                                                         {"agents_hourly.csv", &hourly},
                                                         {"sales_sweep.csv", &sweep}}) {
    if (absl::Status st = WriteTextFile(root / name, *content); !st.ok()) return st;
  }
  return absl::OkStatus();
}

std::string SalesSummary(const Report& r) {
  std::string out =
      "sales and autobidders (mean, and +- 95% CI half-width with two seeds or more):\n";
  for (const std::string& v : r.values) {
    if (!r.parameter.empty()) absl::StrAppend(&out, "  ", r.parameter, "=", v, ":\n");
    for (const Scalar& s : Scalars(r)) {
      const Interval ci = Across(r, v, s);
      absl::StrAppend(&out, absl::StrFormat("  %-40s %12.6f", s.name, ci.mean));
      if (ci.n > 1) absl::StrAppend(&out, absl::StrFormat(" +- %.6f", ci.half_width));
      absl::StrAppend(&out, absl::StrFormat(" (n=%d)\n", ci.n));
    }
  }
  return out;
}

}  // namespace gavel::sim
