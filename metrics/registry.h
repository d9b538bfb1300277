// Prometheus metrics for a server: counters, gauges and fixed-bucket histograms, registered once at
// start-up and rendered in the Prometheus text exposition format (version 0.0.4).
//
//   Registry registry;
//   Counter* auctions = registry.AddCounter("gavel_auctions_total", "Auctions run.",
//                                           {{"result", "filled"}});
//   Histogram* latency = registry.AddHistogram("gavel_auction_duration_seconds", "...", {},
//                                              Buckets::kLatencyNanos, Histogram::kNanosPerSecond);
//   auctions->Add();  latency->Observe(elapsed_nanos);
//   std::string text = registry.Render();   // what GET /metrics serves
//
// Recording (Counter::Add, Gauge::Set/Add, Histogram::Observe) takes no lock and allocates
// nothing: each counter and histogram is split into kShards cache-line-sized cells and a thread
// adds to its own cell with a relaxed atomic, so threads recording the same metric do not contend
// on one cache line. Render sums the cells; a scrape sees each cell at some instant, not one
// global instant (Prometheus tolerates this: counters only grow).
//
// Values are integers: a histogram observes int64 units (nanoseconds, micros, counts) and renders
// them divided by a fixed unit (1e9 nanoseconds per second), so the hot path does no floating
// point. (Dividing, not multiplying by 1e-9, renders 300,000 ns as 0.0003, not
// 0.00030000000000000003.) Thread-safe. Registration (Add*) is for start-up: it takes a lock and
// allocates. Metrics live as long as the registry; the pointers Add* returns are never null and
// never move.
#ifndef GAVEL_METRICS_REGISTRY_H_
#define GAVEL_METRICS_REGISTRY_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/sync.h"

namespace gavel::metrics {

inline constexpr int kShards = 16;

// The cell this thread records into: threads are given cells round robin as they first record.
int ThisThreadShard();

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(int64_t n = 1) { cells_[ThisThreadShard()].v.fetch_add(n, std::memory_order_relaxed); }
  int64_t Value() const;

 private:
  struct alignas(64) Cell {
    std::atomic<int64_t> v{0};
  };
  std::array<Cell, kShards> cells_;
};

// One value, set or moved by whoever owns it (in-flight calls, a version number).
class Gauge {
 public:
  void Set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void Add(int64_t n) { v_.fetch_add(n, std::memory_order_relaxed); }
  int64_t Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Bucket upper bounds (inclusive, ascending) in the observed unit; +Inf is implicit.
struct Buckets {
  // 50 us .. 10 s in nanoseconds: serving latencies and fsyncs.
  static const std::vector<int64_t> kLatencyNanos;
  // 1 .. 10,000: candidates per auction, events per batch.
  static const std::vector<int64_t> kCounts;
  // 0 .. 16: winners per auction.
  static const std::vector<int64_t> kSmallCounts;
  // 10,000 .. 20,000,000 micros (1 cent .. 20 units of currency): cost per click.
  static const std::vector<int64_t> kMicros;
};

class Histogram {
 public:
  static constexpr double kNanosPerSecond = 1e9;
  static constexpr int kMaxBuckets = 31;  // upper bounds, +Inf excluded

  // Observes one value; values above the last bound count in +Inf only.
  void Observe(int64_t v);

  struct Snapshot {
    std::vector<int64_t> bounds;  // as registered
    std::vector<int64_t> counts;  // per bucket, not cumulative; bounds.size() + 1 entries
    int64_t count = 0;
    int64_t sum = 0;  // in the observed unit
    // The q-quantile (0 < q < 1) in the observed unit, interpolated linearly within its bucket as
    // Prometheus' histogram_quantile does; 0 without observations; the last bound when it falls
    // in +Inf.
    double Quantile(double q) const;
    Snapshot Minus(const Snapshot& earlier) const;
  };
  Snapshot Read() const;
  // Observed units per rendered unit (kNanosPerSecond, or 1).
  double unit() const { return unit_; }

 private:
  friend class Registry;
  Histogram(std::vector<int64_t> bounds, double unit);
  struct alignas(64) Cell {
    std::array<std::atomic<int64_t>, kMaxBuckets + 1> counts{};
    std::atomic<int64_t> sum{0};
  };
  const std::vector<int64_t> bounds_;
  const double unit_;
  std::array<Cell, kShards> cells_;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Each call adds one time series; series of one name must share help and type. Names and label
  // names must match Prometheus' [a-zA-Z_:][a-zA-Z0-9_:]* (checked: a bad one aborts, since it is
  // a programming error at start-up, never input).
  Counter* AddCounter(const std::string& name, const std::string& help, Labels labels = {});
  Gauge* AddGauge(const std::string& name, const std::string& help, Labels labels = {});
  // A gauge computed when scraped (snapshot age, process start time).
  void AddCallbackGauge(const std::string& name, const std::string& help, Labels labels,
                        std::function<double()> value);
  // A counter read from elsewhere when scraped (lines a log dropped); `value` never decreases.
  void AddCallbackCounter(const std::string& name, const std::string& help, Labels labels,
                          std::function<double()> value);
  // An info gauge (always 1) whose labels are read when scraped, for what can change while the
  // process runs (the model served after a reload). `labels` must return the same label names
  // every time.
  void AddInfo(const std::string& name, const std::string& help,
               std::function<Labels()> labels);
  Histogram* AddHistogram(const std::string& name, const std::string& help, Labels labels,
                          const std::vector<int64_t>& bounds, double unit = 1.0);

  // The text exposition format: per metric name, # HELP and # TYPE, then its series in
  // registration order.
  std::string Render() const;

 private:
  struct Family;
  Family& FamilyFor(const std::string& name, const std::string& help, const char* type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  mutable Mutex mu_;
  std::vector<std::unique_ptr<Family>> families_ ABSL_GUARDED_BY(mu_);
};

// Escapes a label value for the exposition format (backslash, double quote, newline).
std::string EscapeLabelValue(const std::string& v);

}  // namespace gavel::metrics

#endif  // GAVEL_METRICS_REGISTRY_H_
