#include "metrics/registry.h"

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gavel::metrics {
namespace {

using ::testing::HasSubstr;

TEST(Registry, RendersCounterWithHelpTypeAndLabels) {
  Registry r;
  Counter* filled = r.AddCounter("gavel_auctions_total", "Auctions run.", {{"result", "filled"}});
  Counter* empty = r.AddCounter("gavel_auctions_total", "Auctions run.", {{"result", "empty"}});
  filled->Add(3);
  empty->Add();
  EXPECT_EQ(r.Render(),
            "# HELP gavel_auctions_total Auctions run.\n"
            "# TYPE gavel_auctions_total counter\n"
            "gavel_auctions_total{result=\"filled\"} 3\n"
            "gavel_auctions_total{result=\"empty\"} 1\n");
}

TEST(Registry, RendersHistogramCumulativeBucketsInSeconds) {
  Registry r;
  Histogram* h =
      r.AddHistogram("x_seconds", "X.", {}, {1'000'000, 10'000'000}, Histogram::kNanosPerSecond);
  h->Observe(500'000);     // 0.5 ms
  h->Observe(1'000'000);   // exactly on the first bound: counts in it (le is inclusive)
  h->Observe(5'000'000);   // 5 ms
  h->Observe(50'000'000);  // +Inf
  EXPECT_EQ(r.Render(),
            "# HELP x_seconds X.\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{le=\"0.001\"} 2\n"
            "x_seconds_bucket{le=\"0.01\"} 3\n"
            "x_seconds_bucket{le=\"+Inf\"} 4\n"
            "x_seconds_sum 0.0565\n"
            "x_seconds_count 4\n");
}

TEST(Registry, EscapesLabelValues) {
  Registry r;
  r.AddGauge("g", "G.", {{"v", "a\"b\\c\nd"}})->Set(-2);
  EXPECT_THAT(r.Render(), HasSubstr("g{v=\"a\\\"b\\\\c\\nd\"} -2\n"));
}

TEST(Registry, CallbackGaugeIsEvaluatedAtRender) {
  Registry r;
  double v = 1.5;
  r.AddCallbackGauge("age_seconds", "Age.", {}, [&] { return v; });
  EXPECT_THAT(r.Render(), HasSubstr("age_seconds 1.5\n"));
  v = 2;
  EXPECT_THAT(r.Render(), HasSubstr("age_seconds 2\n"));
}

TEST(Registry, CallbackCounterIsTypedCounterAndReadAtRender) {
  Registry r;
  int64_t dropped = 0;
  r.AddCallbackCounter("log_dropped_total", "Dropped.", {}, [&] { return dropped; });
  EXPECT_EQ(r.Render(),
            "# HELP log_dropped_total Dropped.\n"
            "# TYPE log_dropped_total counter\n"
            "log_dropped_total 0\n");
  dropped = 7;
  EXPECT_THAT(r.Render(), HasSubstr("log_dropped_total 7\n"));
}

TEST(Registry, InfoLabelsAreReadAtRender) {
  Registry r;
  std::string version = "aaaa";
  r.AddInfo("model_info", "Model.", [&] { return Labels{{"fnv1a", version}}; });
  EXPECT_EQ(r.Render(),
            "# HELP model_info Model.\n"
            "# TYPE model_info gauge\n"
            "model_info{fnv1a=\"aaaa\"} 1\n");
  version = "bbbb";
  EXPECT_THAT(r.Render(), HasSubstr("model_info{fnv1a=\"bbbb\"} 1\n"));
  EXPECT_DEATH(r.AddInfo("bad_info", "x", [] { return Labels{{"bad-label", "v"}}; }),
               "invalid metric or label name");
}

TEST(Registry, InvalidNameAborts) {
  Registry r;
  EXPECT_DEATH(r.AddCounter("bad-name", "x"), "invalid metric or label name");
  EXPECT_DEATH(r.AddCounter("ok", "x", {{"__reserved", "v"}}), "invalid metric or label name");
  EXPECT_DEATH(r.AddHistogram("h", "x", {}, {2, 1}), "ascending bucket bounds");
}

TEST(Counter, ConcurrentAddsFromManyThreadsAreAllCounted) {
  Counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kShards + 3; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) c.Add();
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(c.Value(), (2 * kShards + 3) * 10'000);
}

TEST(Histogram, ConcurrentObservationsAreAllCounted) {
  Registry r;
  Histogram* h = r.AddHistogram("h", "H.", {}, {10, 100});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) h->Observe(i % 200);
    });
  }
  for (std::thread& t : threads) t.join();
  const Histogram::Snapshot s = h->Read();
  EXPECT_EQ(s.count, 80'000);
  EXPECT_EQ(s.counts[0], 8 * 50 * 11);  // 0..10 of each 200
  EXPECT_EQ(s.counts[1], 8 * 50 * 90);  // 11..100
  EXPECT_EQ(s.counts[2], 8 * 50 * 99);  // 101..199
}

TEST(HistogramSnapshot, QuantileInterpolatesWithinTheBucket) {
  Histogram::Snapshot s{.bounds = {10, 20, 40}, .counts = {0, 10, 10, 0}, .count = 20};
  EXPECT_DOUBLE_EQ(s.Quantile(0.5), 20);   // the 10th of 20 is the top of (10, 20]
  EXPECT_DOUBLE_EQ(s.Quantile(0.75), 30);  // halfway into (20, 40]
  EXPECT_DOUBLE_EQ(Histogram::Snapshot{}.Quantile(0.5), 0);
}

TEST(HistogramSnapshot, MinusGivesTheWindowBetweenTwoReads) {
  Registry r;
  Histogram* h = r.AddHistogram("h", "H.", {}, {10});
  h->Observe(5);
  const Histogram::Snapshot before = h->Read();
  h->Observe(50);
  h->Observe(7);
  const Histogram::Snapshot d = h->Read().Minus(before);
  EXPECT_EQ(d.count, 2);
  EXPECT_EQ(d.sum, 57);
  EXPECT_EQ(d.counts[0], 1);
  EXPECT_EQ(d.counts[1], 1);
}

}  // namespace
}  // namespace gavel::metrics
