#include "metrics/request_log.h"

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "auction/types.h"

namespace gavel::metrics {
namespace {

void AppendJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

}  // namespace

std::string AuctionLogLine(absl::Time at, int64_t latency_nanos, const engine::AuctionResult& r) {
  std::string out = "{\"time\":";
  AppendJsonString(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", at, absl::UTCTimeZone()), &out);
  out += ",\"request_id\":";
  AppendJsonString(r.request_id, &out);
  out += ",\"auction_id\":";
  AppendJsonString(r.auction_id, &out);
  absl::StrAppend(&out, ",\"latency_us\":", latency_nanos / 1000, ",\"mechanism\":");
  AppendJsonString(auction::MechanismName(r.mechanism), &out);
  absl::StrAppend(&out, ",\"catalog_version\":", r.catalog_version, ",\"winners\":[");
  for (size_t i = 0; i < r.winners.size(); ++i) {
    const engine::AdOutcome& w = r.winners[i];
    absl::StrAppend(&out, i == 0 ? "" : ",", "{\"slot\":", w.slot, ",\"ad_id\":");
    AppendJsonString(w.ad_id, &out);
    out += ",\"campaign_id\":";
    AppendJsonString(w.campaign_id, &out);
    absl::StrAppend(&out, ",\"cpc_micros\":", w.cpc_micros, "}");
  }
  out += "]}\n";
  return out;
}

absl::StatusOr<std::unique_ptr<RequestLog>> RequestLog::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--request_log: cannot open ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<RequestLog>(new RequestLog(file));
}

RequestLog::RequestLog(std::FILE* file) : file_(file), writer_([this] { Write(); }) {}

RequestLog::~RequestLog() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  writer_.join();
  std::fclose(file_);
}

void RequestLog::Append(std::string line) {
  MutexLock lock(&mu_);
  if (queue_.size() >= kMaxQueuedLines) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queue_.push_back(std::move(line));
}

void RequestLog::Write() {
  std::vector<std::string> batch;
  while (true) {
    bool stopping;
    {
      MutexLock lock(&mu_);
      // Woken only to stop: lines are collected every 100 ms, so an auction never signals.
      if (queue_.empty() && !stopping_) cv_.WaitWithTimeout(&mu_, absl::Milliseconds(100));
      stopping = stopping_;
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
    }
    for (const std::string& line : batch) std::fwrite(line.data(), 1, line.size(), file_);
    if (!batch.empty()) std::fflush(file_);
    if (stopping) return;
  }
}

}  // namespace gavel::metrics
