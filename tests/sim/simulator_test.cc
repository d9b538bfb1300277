// The in-process simulator over the real engine and billing: determinism, accounting identities,
// and that budgets, pacing and invalid-click filtering show up in the metrics.
#include "sim/simulator.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "sim/report.h"
#include "sim/scenario.h"

namespace gavel::sim {
namespace {

namespace fs = std::filesystem;

// Small enough for the sanitizer builds: 400 ads, 3,000 searches.
constexpr char kTiny[] = R"pb(
  name: "tiny"
  seed: 11
  catalog { num_ads: 400 }
  bidding { shading: 0.8 }
  budgets { multiplier: 0.02 }
  traffic { queries_per_day: 3000 }
  shoppers { num_shoppers: 300 }
  invalid {
    repeat_click_probability: 0.3
    bot_query_fraction: 0.05
    bots: 2
    bot_click_probability: 1
  }
)pb";

Scenario Tiny() {
  absl::StatusOr<Scenario> s = ParseScenario(kTiny, /*json=*/false);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(base != nullptr ? base : "/tmp") / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Report OneRun(const Scenario& s, const RunMetrics& m) {
  Report r{.scenario_name = s.name(),
           .values = {""},
           .runs = {{.value = "", .seed = s.seed(), .metrics = m}}};
  for (int i = 0; i < s.slots(); ++i) r.examination.push_back(Examination(s.clicks(), i));
  return r;
}

TEST(Simulator, SameSeedGivesByteIdenticalReportFiles) {
  const Scenario s = Tiny();
  std::vector<std::string> dirs;
  for (int i = 0; i < 2; ++i) {
    const std::string dir = TempDir(absl::StrCat("determinism_", i));
    absl::StatusOr<RunMetrics> m = Simulate(s, {.work_dir = dir});
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_TRUE(WriteReport(dir, OneRun(s, *m)).ok());
    dirs.push_back(dir);
  }
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dirs[0])) {
    if (!entry.is_regular_file()) continue;
    const fs::path rel = fs::relative(entry.path(), dirs[0]);
    EXPECT_EQ(Slurp(entry.path()), Slurp(fs::path(dirs[1]) / rel)) << rel;
    ++files;
  }
  EXPECT_GT(files, 10);
  // The ledger directories were removed.
  for (const auto& entry : fs::directory_iterator(dirs[0])) {
    EXPECT_EQ(entry.path().filename().string().rfind("ledger-", 0), std::string::npos)
        << entry.path();
  }
}

TEST(Simulator, DifferentSeedsGiveDifferentRuns) {
  Scenario a = Tiny(), b = Tiny();
  b.set_seed(12);
  auto ma = Simulate(a, {.work_dir = TempDir("seed_a")});
  auto mb = Simulate(b, {.work_dir = TempDir("seed_b")});
  ASSERT_TRUE(ma.ok() && mb.ok());
  EXPECT_NE(ma->revenue_micros, mb->revenue_micros);
}

TEST(Simulator, MetricsAddUp) {
  const Scenario s = Tiny();
  absl::StatusOr<RunMetrics> m = Simulate(s, {.work_dir = TempDir("add_up")});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->searches, 3000);
  EXPECT_GT(m->searches_with_ads, 0);
  EXPECT_GT(m->shopper_clicks, 0);
  EXPECT_GT(m->revenue_micros, 0);
  int64_t spend = 0, value = 0, slot_clicks = 0, slot_impressions = 0, bucket_spend = 0;
  for (const AdvertiserMetrics& a : m->advertisers) {
    spend += a.spend_micros;
    value += a.value_micros;
    // Hard budgets: nobody spends more than its budget.
    EXPECT_LE(a.spend_micros, a.budget_micros) << a.id;
  }
  for (const SlotMetrics& sl : m->slots)
    slot_clicks += sl.clicks, slot_impressions += sl.impressions;
  for (int64_t b : m->spend_by_bucket) bucket_spend += b;
  EXPECT_EQ(spend, m->revenue_micros);
  EXPECT_EQ(bucket_spend, m->revenue_micros);
  EXPECT_EQ(value, m->value_micros);
  EXPECT_EQ(slot_clicks, m->shopper_clicks);
  EXPECT_EQ(slot_impressions, m->impressions);
  // Every click sent got exactly one outcome.
  const int64_t sent = m->shopper_clicks + m->repeat_clicks + m->bot_clicks;
  EXPECT_LE(m->charged_clicks + m->invalid_filtered + m->budget_rejected_clicks, sent);
  EXPECT_EQ(SurplusMicros(*m), m->value_micros - m->revenue_micros);
  // Repeat clicks are real invalid clicks: billing filters them.
  EXPECT_GT(m->repeat_clicks, 0);
  EXPECT_GT(m->invalid_repeat, 0);
  EXPECT_LE(m->invalid_repeat, m->invalid_filtered);
  EXPECT_GT(m->bot_clicks, 0);
  // CTR falls with the slot under the default examination curve.
  EXPECT_GT(m->slots[0].clicks * m->slots[1].impressions,
            m->slots[1].clicks * m->slots[0].impressions);
  // The pacing target is a cumulative share ending at 1.
  EXPECT_NEAR(m->target_by_bucket.back(), 1.0, 1e-9);
}

TEST(Simulator, TightBudgetsRunOutEarlierWithoutPacing) {
  Scenario paced = Tiny(), unpaced = Tiny();
  paced.mutable_invalid()->set_bot_query_fraction(0);
  unpaced.mutable_invalid()->set_bot_query_fraction(0);
  unpaced.mutable_budgets()->set_pacing(false);
  auto mp = Simulate(paced, {.work_dir = TempDir("paced")});
  auto mu = Simulate(unpaced, {.work_dir = TempDir("unpaced")});
  ASSERT_TRUE(mp.ok() && mu.ok());
  ASSERT_GT(mu->campaign_days_exhausted, 0);
  // Without pacing, budget-limited campaigns spend early in the day; pacing spreads it out.
  EXPECT_LT(PacingError(*mp), PacingError(*mu));
}

TEST(Simulator, CtrBySlotFollowsExaminationWhenAttractivenessIsConstant) {
  // attractiveness_exponent 0: every ad is equally attractive, so through the whole engine the
  // shoppers' CTR in slot s is attractiveness_scale x examination[s].
  Scenario s = Tiny();
  s.mutable_clicks()->set_attractiveness_exponent(0);
  s.mutable_clicks()->set_attractiveness_scale(0.4);
  s.mutable_traffic()->set_queries_per_day(4000);
  s.mutable_budgets()->set_unlimited(true);
  auto m = Simulate(s, {.work_dir = TempDir("ctr_by_slot")});
  ASSERT_TRUE(m.ok()) << m.status();
  for (size_t i = 0; i < m->slots.size(); ++i) {
    const SlotMetrics& sl = m->slots[i];
    ASSERT_GT(sl.impressions, 500) << "slot " << i + 1;
    const double p = 0.4 * Examination(s.clicks(), static_cast<int>(i));
    const double ctr = static_cast<double>(sl.clicks) / static_cast<double>(sl.impressions);
    EXPECT_NEAR(ctr, p, 5 * std::sqrt(p * (1 - p) / static_cast<double>(sl.impressions)))
        << "slot " << i + 1;
  }
}

TEST(Simulator, DurableLedgerChangesNothingButSpeed) {
  // fsync or not, billing decides the same: the no-op sync only skips the disk flush.
  Scenario fast = Tiny(), durable = Tiny();
  fast.set_ingest_interval_seconds(3600);
  durable.set_ingest_interval_seconds(3600);  // 24 fsyncs
  durable.set_durable(true);
  auto a = Simulate(fast, {.work_dir = TempDir("not_durable")});
  auto b = Simulate(durable, {.work_dir = TempDir("durable")});
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string dir_a = TempDir("not_durable_report"), dir_b = TempDir("durable_report");
  ASSERT_TRUE(WriteReport(dir_a, OneRun(fast, *a)).ok());
  ASSERT_TRUE(WriteReport(dir_b, OneRun(durable, *b)).ok());
  EXPECT_EQ(Slurp(fs::path(dir_a) / "runs.csv"), Slurp(fs::path(dir_b) / "runs.csv"));
  EXPECT_EQ(Slurp(fs::path(dir_a) / "advertisers.csv"), Slurp(fs::path(dir_b) / "advertisers.csv"));
}

TEST(Simulator, ReportsProgress) {
  Scenario s = Tiny();
  double last = 0;
  int calls = 0;
  auto m = Simulate(s, {.work_dir = TempDir("progress"), .progress = [&](double f) {
                          EXPECT_GE(f, last);
                          last = f;
                          ++calls;
                        }});
  ASSERT_TRUE(m.ok());
  EXPECT_GE(calls, 50);
  EXPECT_NEAR(last, 1.0, 0.02);
}

}  // namespace
}  // namespace gavel::sim
