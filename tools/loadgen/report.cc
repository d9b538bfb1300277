#include "tools/loadgen/report.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace gavel::loadgen {
namespace {

std::string Us(double ns) { return absl::StrFormat("%.1f", ns / 1000); }

std::string JsonLatency(const LatencySummary& s) {
  return absl::StrCat("{\"count\":", s.count, ",\"mean\":", Us(s.mean_ns),
                      ",\"p50\":", Us(s.p50_ns), ",\"p90\":", Us(s.p90_ns),
                      ",\"p99\":", Us(s.p99_ns), ",\"p999\":", Us(s.p999_ns),
                      ",\"max\":", Us(s.max_ns), "}");
}

// Keys are status-code and enum names: [A-Z_] only, nothing to escape.
std::string JsonCounts(const std::map<std::string, int64_t>& counts) {
  return absl::StrCat("{",
                      absl::StrJoin(counts, ",",
                                    [](std::string* out, const auto& kv) {
                                      absl::StrAppend(out, "\"", kv.first, "\":", kv.second);
                                    }),
                      "}");
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", c));
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

std::string TextLatency(const char* name, const LatencySummary& s) {
  return absl::StrFormat("%-13s p50 %9s  p90 %9s  p99 %9s  p99.9 %9s  max %9s  mean %9s us\n", name,
                         Us(s.p50_ns), Us(s.p90_ns), Us(s.p99_ns), Us(s.p999_ns), Us(s.max_ns),
                         Us(s.mean_ns));
}

std::string TextCounts(const std::map<std::string, int64_t>& counts) {
  if (counts.empty()) return "none";
  return absl::StrJoin(counts, " ", [](std::string* out, const auto& kv) {
    absl::StrAppend(out, kv.first, "=", kv.second);
  });
}

}  // namespace

LatencySummary Summarize(const Histogram& h) {
  return {.count = h.count(),
          .mean_ns = h.Mean(),
          .p50_ns = h.Percentile(50),
          .p90_ns = h.Percentile(90),
          .p99_ns = h.Percentile(99),
          .p999_ns = h.Percentile(99.9),
          .max_ns = h.max()};
}

std::string FormatText(const LoadReport& r) {
  std::string out = absl::StrFormat(
      "gavel_loadgen: %s loop, service %s, target %s, %s, warmup %.1fs, duration %.1fs\n", r.mode,
      r.service, r.target,
      r.mode == "open" ? absl::StrFormat("rate %.0f/s", r.rate)
                       : absl::StrFormat("concurrency %d", r.concurrency),
      r.warmup_seconds, r.duration_seconds);
  absl::StrAppendFormat(&out, "requests     %d (ok %d), %.1f qps; not sent %d\n", r.requests, r.ok,
                        r.qps, r.not_sent);
  absl::StrAppend(&out, "errors       ", TextCounts(r.errors), "\n");
  absl::StrAppend(&out, TextLatency("latency", r.latency));
  if (r.mode == "open") {
    absl::StrAppend(&out, TextLatency("service time", r.service_time));
    absl::StrAppend(&out, TextLatency("send lag", r.send_lag));
  }
  if (r.event_rpcs > 0 || r.events_not_sent > 0) {
    absl::StrAppendFormat(
        &out, "events       %d rpcs (ok %d), %d impressions, %d clicks, not sent %d\n",
        r.event_rpcs, r.event_rpcs_ok, r.impressions_sent, r.clicks_sent, r.events_not_sent);
    absl::StrAppend(&out, "event errors ", TextCounts(r.event_rpc_errors), "\n");
    absl::StrAppend(&out, "outcomes     ", TextCounts(r.event_outcomes), "\n");
    absl::StrAppend(&out, TextLatency("event rpc", r.event_latency));
  }
  absl::StrAppendFormat(&out, "client cpu   %.2fs for %d completions (warmup included)\n",
                        r.client_cpu_seconds, r.all_completed);
  return out;
}

std::string FormatJson(const LoadReport& r) {
  return absl::StrCat(
      "{\"mode\":", JsonString(r.mode), ",\"service\":", JsonString(r.service),
      ",\"target\":", JsonString(r.target), ",\"concurrency\":", r.concurrency,
      ",\"rate\":", absl::StrFormat("%.1f", r.rate),
      ",\"warmup_s\":", absl::StrFormat("%.3f", r.warmup_seconds),
      ",\"duration_s\":", absl::StrFormat("%.3f", r.duration_seconds), ",\"requests\":", r.requests,
      ",\"ok\":", r.ok, ",\"errors\":", JsonCounts(r.errors), ",\"not_sent\":", r.not_sent,
      ",\"qps\":", absl::StrFormat("%.1f", r.qps), ",\"latency_us\":", JsonLatency(r.latency),
      ",\"service_time_us\":", JsonLatency(r.service_time),
      ",\"send_lag_us\":", JsonLatency(r.send_lag), ",\"all_completed\":", r.all_completed,
      ",\"client_cpu_s\":", absl::StrFormat("%.3f", r.client_cpu_seconds),
      ",\"events\":{\"rpcs\":", r.event_rpcs, ",\"rpcs_ok\":", r.event_rpcs_ok,
      ",\"rpc_errors\":", JsonCounts(r.event_rpc_errors), ",\"impressions\":", r.impressions_sent,
      ",\"clicks\":", r.clicks_sent, ",\"not_sent\":", r.events_not_sent,
      ",\"outcomes\":", JsonCounts(r.event_outcomes),
      ",\"latency_us\":", JsonLatency(r.event_latency), "}}\n");
}

}  // namespace gavel::loadgen
