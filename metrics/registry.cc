#include "metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gavel::metrics {

int ThisThreadShard() {
  static std::atomic<int> next{0};
  thread_local const int shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

int64_t Counter::Value() const {
  int64_t total = 0;
  for (const Cell& c : cells_) total += c.v.load(std::memory_order_relaxed);
  return total;
}

const std::vector<int64_t> Buckets::kLatencyNanos = {
    50'000,        100'000,       200'000,       300'000,     500'000,     750'000,
    1'000'000,     1'500'000,     2'000'000,     3'000'000,   5'000'000,   7'500'000,
    10'000'000,    25'000'000,    50'000'000,    100'000'000, 250'000'000, 500'000'000,
    1'000'000'000, 2'500'000'000, 10'000'000'000};
const std::vector<int64_t> Buckets::kCounts = {1,   2,   5,    10,   20,   50,   100,
                                               200, 500, 1000, 2000, 5000, 10000};
const std::vector<int64_t> Buckets::kSmallCounts = {0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16};
const std::vector<int64_t> Buckets::kMicros = {10'000,    20'000,     50'000,    100'000,
                                               200'000,   500'000,    1'000'000, 2'000'000,
                                               5'000'000, 10'000'000, 20'000'000};

Histogram::Histogram(std::vector<int64_t> bounds, double unit)
    : bounds_(std::move(bounds)), unit_(unit) {}

void Histogram::Observe(int64_t v) {
  // Linear search: at most kMaxBuckets compares of one cache line of bounds, and serving latencies
  // mostly land in the first few buckets.
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  Cell& c = cells_[ThisThreadShard()];
  c.counts[i].fetch_add(1, std::memory_order_relaxed);
  c.sum.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.bounds = bounds_;
  s.counts.assign(bounds_.size() + 1, 0);
  for (const Cell& c : cells_) {
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      s.counts[i] += c.counts[i].load(std::memory_order_relaxed);
    }
    s.sum += c.sum.load(std::memory_order_relaxed);
  }
  for (int64_t n : s.counts) s.count += n;
  return s;
}

Histogram::Snapshot Histogram::Snapshot::Minus(const Snapshot& earlier) const {
  Snapshot d = *this;
  if (earlier.counts.size() != counts.size()) return d;
  for (size_t i = 0; i < counts.size(); ++i) d.counts[i] -= earlier.counts[i];
  d.count -= earlier.count;
  d.sum -= earlier.sum;
  return d;
}

double Histogram::Snapshot::Quantile(double q) const {
  if (count <= 0 || bounds.empty()) return 0;
  const double rank = q * static_cast<double>(count);
  int64_t below = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (static_cast<double>(below + counts[i]) >= rank && counts[i] > 0) {
      const double lo = i == 0 ? 0.0 : static_cast<double>(bounds[i - 1]);
      const double hi = static_cast<double>(bounds[i]);
      return lo + (hi - lo) * (rank - static_cast<double>(below)) / static_cast<double>(counts[i]);
    }
    below += counts[i];
  }
  return static_cast<double>(bounds.back());
}

struct Registry::Family {
  std::string name, help, type;
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> callback;
    std::unique_ptr<Histogram> histogram;
    std::function<Labels()> info_labels;  // AddInfo: the labels, read when scraped
  };
  std::vector<Series> series;
};

namespace {

bool ValidName(const std::string& name, bool colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void CheckNames(const std::string& name, const Labels& labels) {
  bool ok = ValidName(name, true);
  for (const auto& [k, v] : labels) ok = ok && ValidName(k, false) && k.rfind("__", 0) != 0;
  if (!ok) {
    std::fprintf(stderr, "metrics: invalid metric or label name in %s\n", name.c_str());
    std::abort();
  }
}

// Go's strconv.FormatFloat(v, 'g', -1, 64) style, as Prometheus' own clients write: the shortest
// text that reads back as the same double; +Inf, -Inf and NaN spelled as the format wants.
std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrFormat("%.0f", v);
  for (int precision = 6; precision <= 17; ++precision) {
    std::string s = absl::StrFormat("%.*g", precision, v);
    if (std::strtod(s.c_str(), nullptr) == v) return s;
  }
  return absl::StrFormat("%.17g", v);
}

std::string LabelText(const Labels& labels, const std::string& extra_name = "",
                      const std::string& extra_value = "") {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    absl::StrAppend(&out, first ? "" : ",", k, "=\"", EscapeLabelValue(v), "\"");
    first = false;
  }
  if (!extra_name.empty()) {
    absl::StrAppend(&out, first ? "" : ",", extra_name, "=\"", extra_value, "\"");
  }
  out += "}";
  return out;
}

void RenderHistogram(const std::string& name, const Labels& labels, const Histogram& h,
                     std::string* out) {
  const Histogram::Snapshot s = h.Read();
  int64_t cumulative = 0;
  for (size_t i = 0; i < s.bounds.size(); ++i) {
    cumulative += s.counts[i];
    absl::StrAppend(
        out, name, "_bucket",
        LabelText(labels, "le", FormatValue(static_cast<double>(s.bounds[i]) / h.unit())), " ",
        cumulative, "\n");
  }
  absl::StrAppend(out, name, "_bucket", LabelText(labels, "le", "+Inf"), " ", s.count, "\n");
  absl::StrAppend(out, name, "_sum", LabelText(labels), " ",
                  FormatValue(static_cast<double>(s.sum) / h.unit()), "\n");
  absl::StrAppend(out, name, "_count", LabelText(labels), " ", s.count, "\n");
}

}  // namespace

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::FamilyFor(const std::string& name, const std::string& help,
                                      const char* type) {
  for (auto& f : families_) {
    if (f->name != name) continue;
    if (f->type != type) {
      std::fprintf(stderr, "metrics: %s registered as %s and %s\n", name.c_str(), f->type.c_str(),
                   type);
      std::abort();
    }
    return *f;
  }
  families_.push_back(std::make_unique<Family>(Family{name, help, type, {}}));
  return *families_.back();
}

Counter* Registry::AddCounter(const std::string& name, const std::string& help, Labels labels) {
  CheckNames(name, labels);
  MutexLock lock(&mu_);
  Family& f = FamilyFor(name, help, "counter");
  f.series.push_back({std::move(labels), std::make_unique<Counter>(), nullptr, nullptr, nullptr});
  return f.series.back().counter.get();
}

Gauge* Registry::AddGauge(const std::string& name, const std::string& help, Labels labels) {
  CheckNames(name, labels);
  MutexLock lock(&mu_);
  Family& f = FamilyFor(name, help, "gauge");
  f.series.push_back({std::move(labels), nullptr, std::make_unique<Gauge>(), nullptr, nullptr});
  return f.series.back().gauge.get();
}

void Registry::AddCallbackGauge(const std::string& name, const std::string& help, Labels labels,
                                std::function<double()> value) {
  CheckNames(name, labels);
  MutexLock lock(&mu_);
  Family& f = FamilyFor(name, help, "gauge");
  f.series.push_back({std::move(labels), nullptr, nullptr, std::move(value), nullptr});
}

void Registry::AddCallbackCounter(const std::string& name, const std::string& help, Labels labels,
                                  std::function<double()> value) {
  CheckNames(name, labels);
  MutexLock lock(&mu_);
  Family& f = FamilyFor(name, help, "counter");
  f.series.push_back({std::move(labels), nullptr, nullptr, std::move(value), nullptr});
}

void Registry::AddInfo(const std::string& name, const std::string& help,
                       std::function<Labels()> labels) {
  CheckNames(name, labels());
  MutexLock lock(&mu_);
  Family& f = FamilyFor(name, help, "gauge");
  f.series.push_back({{}, nullptr, nullptr, nullptr, nullptr, std::move(labels)});
}

Histogram* Registry::AddHistogram(const std::string& name, const std::string& help, Labels labels,
                                  const std::vector<int64_t>& bounds, double unit) {
  CheckNames(name, labels);
  for (const auto& [k, v] : labels) {
    if (k == "le") std::abort();  // reserved for buckets
  }
  if (bounds.empty() || bounds.size() > Histogram::kMaxBuckets ||
      !std::is_sorted(bounds.begin(), bounds.end()) ||
      std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end()) {
    std::fprintf(stderr, "metrics: %s needs 1-%d ascending bucket bounds\n", name.c_str(),
                 Histogram::kMaxBuckets);
    std::abort();
  }
  MutexLock lock(&mu_);
  Family& f = FamilyFor(name, help, "histogram");
  f.series.push_back({std::move(labels), nullptr, nullptr, nullptr,
                      std::unique_ptr<Histogram>(new Histogram(bounds, unit))});
  return f.series.back().histogram.get();
}

std::string Registry::Render() const {
  std::string out;
  MutexLock lock(&mu_);
  for (const auto& f : families_) {
    absl::StrAppend(&out, "# HELP ", f->name, " ", f->help, "\n# TYPE ", f->name, " ", f->type,
                    "\n");
    for (const Family::Series& s : f->series) {
      if (s.histogram != nullptr) {
        RenderHistogram(f->name, s.labels, *s.histogram, &out);
        continue;
      }
      if (s.info_labels) {
        absl::StrAppend(&out, f->name, LabelText(s.info_labels()), " 1\n");
        continue;
      }
      const double v = s.counter ? static_cast<double>(s.counter->Value())
                       : s.gauge ? static_cast<double>(s.gauge->Value())
                                 : s.callback();
      absl::StrAppend(&out, f->name, LabelText(s.labels), " ", FormatValue(v), "\n");
    }
  }
  return out;
}

}  // namespace gavel::metrics
