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

}  // namespace
}  // namespace gavel::sim
