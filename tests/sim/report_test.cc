#include "sim/report.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace gavel::sim {
namespace {

namespace fs = std::filesystem;

RunMetrics Metrics(int64_t revenue) {
  RunMetrics m;
  m.searches = 1000;
  m.searches_with_ads = 900;
  m.impressions = 3000;
  m.shopper_clicks = 90;
  m.charged_clicks = 80;
  m.revenue_micros = revenue;
  m.value_micros = 2 * revenue;
  m.days = 1;
  m.slots = {{.impressions = 1000, .clicks = 50}, {.impressions = 2000, .clicks = 40}};
  m.advertisers = {{.id = "adv-0",
                    .budget_micros = 10'000'000,
                    .spend_micros = revenue,
                    .sales_micros = 4 * revenue}};
  m.spend_by_bucket.assign(kPacingBuckets, 0);
  m.spend_by_bucket[10] = revenue;
  m.target_by_bucket.assign(kPacingBuckets, 1.0);
  return m;
}

Report TwoValues() {
  Report r{.parameter = "reserve_micros", .values = {"0", "50000"}, .examination = {1.0, 0.7}};
  r.runs = {{.value = "0", .seed = 1, .metrics = Metrics(1'000'000)},
            {.value = "0", .seed = 2, .metrics = Metrics(3'000'000)},
            {.value = "50000", .seed = 1, .metrics = Metrics(2'000'000)},
            {.value = "50000", .seed = 2, .metrics = Metrics(4'000'000)}};
  return r;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SweepReport, MeanCiAndPairedDeltaPerValue) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/report";
  ASSERT_TRUE(WriteReport(dir, TwoValues()).ok());
  const std::string sweep = Slurp(fs::path(dir) / "sweep.csv");
  // revenue at 0: samples 1 and 3 -> mean 2, s = sqrt(2), t(0.975, 1) = 12.7062.
  const double hw = 12.7062 * std::sqrt(2.0) / std::sqrt(2.0);
  EXPECT_NE(sweep.find(absl::StrFormat("0,revenue,2,2.000000,%.6f,%.6f,0.000000", 2 - hw, 2 + hw)),
            std::string::npos)
      << sweep;
  // 50000 vs 0, paired by seed: +1 both times, so no spread.
  const size_t at = sweep.find("50000,revenue,2,3.000000");
  ASSERT_NE(at, std::string::npos) << sweep;
  const std::string line = sweep.substr(at, sweep.find('\n', at) - at);
  EXPECT_TRUE(absl::EndsWith(line, ",1.000000,1.000000,1.000000")) << line;
  EXPECT_TRUE(fs::exists(fs::path(dir) / "metrics" / "revenue.csv"));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "plots" / "revenue.gp"));
}

TEST(SweepReport, SummaryTableHasOneColumnPerValue) {
  const std::string table = SummaryTable(TwoValues());
  EXPECT_NE(table.find("reserve_micros"), std::string::npos);
  EXPECT_NE(table.find("50000"), std::string::npos);
  EXPECT_NE(table.find("over 2 seeds"), std::string::npos);
  EXPECT_NE(table.find("change vs reserve_micros=0"), std::string::npos);
}

TEST(RenderPlots, WarnsAndSkipsWithoutGnuplot) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/no_gnuplot";
  ASSERT_TRUE(WriteReport(dir, TwoValues()).ok());
  const char* path = std::getenv("PATH");
  const std::string saved = path != nullptr ? path : "";
  setenv("PATH", "/nonexistent", 1);
  const std::vector<std::string> warnings = RenderPlots(dir);
  setenv("PATH", saved.c_str(), 1);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("gnuplot not found"), std::string::npos);
  EXPECT_FALSE(fs::exists(fs::path(dir) / "revenue.png"));
}

Report OneRun(RunMetrics m) {
  Report r{.values = {""}, .examination = {1.0, 0.7}};
  r.runs = {{.value = "", .seed = 1, .metrics = std::move(m)}};
  return r;
}

std::string Line(const std::string& text, absl::string_view starting) {
  const size_t at = text.find(absl::StrCat("\n", starting));
  if (at == std::string::npos) return "";
  return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

TEST(SweepReport, OneSeedLeavesConfidenceIntervalsEmpty) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/one_seed";
  ASSERT_TRUE(WriteReport(dir, OneRun(Metrics(1'500'000))).ok());
  const std::string sweep = Slurp(fs::path(dir) / "sweep.csv");
  EXPECT_EQ(Line(sweep, ",revenue,"), ",revenue,1,1.500000,,,0.000000,,") << sweep;
}

TEST(SummaryTable, PrintsCountsAsIntegersAndTheRestWithFixedDecimals) {
  RunMetrics m = Metrics(1'311'000'000);
  m.searches = 20000;
  m.charged_clicks = 13110;
  const std::string table = SummaryTable(OneRun(m));
  EXPECT_EQ(table.find("e+"), std::string::npos) << table;
  EXPECT_NE(table.find(" 20000\n"), std::string::npos) << table;
  EXPECT_NE(table.find(" 13110\n"), std::string::npos) << table;
  EXPECT_NE(table.find(" 1311.00\n"), std::string::npos) << table;  // revenue, units
  // Means over seeds: one decimal for counts, never an exponent.
  const std::string two = SummaryTable(TwoValues());
  EXPECT_EQ(two.find("e+"), std::string::npos) << two;
  EXPECT_NE(two.find("1000.0 +- 0.0"), std::string::npos) << two;
}

TEST(RevenuePlot, WithoutSweepHasNoChangePanel) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/no_sweep_plot";
  ASSERT_TRUE(WriteReport(dir, OneRun(Metrics(1'000'000))).ok());
  const std::string gp = Slurp(fs::path(dir) / "plots" / "revenue.gp");
  EXPECT_EQ(gp.find("Change in revenue"), std::string::npos) << gp;
  EXPECT_EQ(gp.find("multiplot"), std::string::npos) << gp;
  // With a sweep the paired change panel is there.
  ASSERT_TRUE(WriteReport(dir, TwoValues()).ok());
  EXPECT_NE(Slurp(fs::path(dir) / "plots" / "revenue.gp").find("Change in revenue"),
            std::string::npos);
}

TEST(PacingReport, WithoutPacingNoPlotNoPacingErrorAndNoExhaustionHour) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/no_pacing";
  RunMetrics m = Metrics(1'000'000);
  m.pacing = false;
  m.mean_exhaustion_hour = std::nan("");  // nothing ran out
  ASSERT_TRUE(WriteReport(dir, OneRun(m)).ok());
  EXPECT_FALSE(fs::exists(fs::path(dir) / "plots" / "pacing.gp"));
  const std::string sweep = Slurp(fs::path(dir) / "sweep.csv");
  EXPECT_EQ(Line(sweep, ",pacing_error,"), ",pacing_error,0,,,,,,") << sweep;
  EXPECT_EQ(Line(sweep, ",mean_exhaustion_hour,"), ",mean_exhaustion_hour,0,,,,,,") << sweep;
  const std::string table = SummaryTable(OneRun(m));
  EXPECT_NE(Line(table, "pacing_error").find(" -"), std::string::npos) << table;
  EXPECT_EQ(Line(table, "mean_exhaustion_hour").find(" 0"), std::string::npos) << table;

  m.pacing = true;
  m.mean_exhaustion_hour = 14.5;
  ASSERT_TRUE(WriteReport(dir, OneRun(m)).ok());
  EXPECT_TRUE(fs::exists(fs::path(dir) / "plots" / "pacing.gp"));
  const std::string paced = Slurp(fs::path(dir) / "sweep.csv");
  EXPECT_TRUE(absl::StartsWith(Line(paced, ",pacing_error,"), ",pacing_error,1,0.")) << paced;
  EXPECT_TRUE(
      absl::StartsWith(Line(paced, ",mean_exhaustion_hour,"), ",mean_exhaustion_hour,1,14.500000"))
      << paced;
}

TEST(CtrBySlot, CascadeHasNoConfiguredExamination) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/cascade";
  Report r = OneRun(Metrics(1'000'000));
  r.examination.clear();  // gavel_sim leaves it empty for the cascade model
  ASSERT_TRUE(WriteReport(dir, r).ok());
  const std::string csv = Slurp(fs::path(dir) / "ctr_by_slot.csv");
  EXPECT_NE(csv.find("\n,1,1,,1000,50,0.050000\n"), std::string::npos) << csv;
  EXPECT_EQ(Slurp(fs::path(dir) / "plots" / "ctr_by_slot.gp").find("examination"),
            std::string::npos);
  // Position-based: the configured values are there.
  ASSERT_TRUE(WriteReport(dir, OneRun(Metrics(1'000'000))).ok());
  EXPECT_NE(Slurp(fs::path(dir) / "ctr_by_slot.csv").find("\n,1,2,0.700000,2000,40,"),
            std::string::npos);
}

TEST(AdvertisersCsv, SaysWhichChargedClicksAreNotShopperClicks) {
  const std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/bots";
  RunMetrics m = Metrics(1'000'000);
  m.advertisers.push_back({.id = "adv-1"});
  // A charged bot click and a charged repeat, counted as billing answers them.
  CountClickOutcome(billing::Outcome::kCharged, billing::InvalidReason::kNone, 300'000, 1, 3,
                    /*bot=*/true, &m);
  CountClickOutcome(billing::Outcome::kCharged, billing::InvalidReason::kNone, 200'000, 1, 3,
                    /*bot=*/false, &m, /*repeat=*/true);
  EXPECT_EQ(m.advertisers[1].charged_clicks, 2);
  EXPECT_EQ(m.advertisers[1].shopper_clicks, 0);
  ASSERT_TRUE(WriteReport(dir, OneRun(m)).ok());
  const std::string csv = Slurp(fs::path(dir) / "advertisers.csv");
  EXPECT_TRUE(absl::StartsWith(csv,
                               "run,seed,advertiser,budget,spend,spend_of_budget,charged_clicks,"
                               "shopper_clicks,value,surplus,conversions,sales,roas,acos,"
                               "bot_charged_clicks,repeat_charged_clicks\n"))
      << csv;
  const std::string row = Line(csv, ",1,adv-1,");
  EXPECT_TRUE(absl::EndsWith(row, ",1,1")) << row;
  EXPECT_NE(row.find(",2,0,"), std::string::npos) << row;  // charged 2, shopper clicks 0
}

}  // namespace
}  // namespace gavel::sim
