#include "learning/dataset.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "targeting/ctr_model.h"

namespace gavel::learning {

absl::Status LogJoiner::AddFile(absl::string_view name, absl::string_view text) {
  auto error = [&](int line, absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(name, " line ", line, ": ", what));
  };
  if (text.empty()) return error(1, absl::StrCat("empty file, expected \"", kLogHeader, "\""));
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  // A complete file ends in '\n', so the split's last piece is empty.
  if (!lines.back().empty()) {
    return error(static_cast<int>(lines.size()),
                 "truncated record (no newline at the end of the file)");
  }
  lines.pop_back();
  if (lines[0] != kLogHeader) {
    if (absl::StartsWith(lines[0], "gavel-training-log ")) {
      return error(1, absl::StrCat("unknown training log version \"", lines[0],
                                   "\", this trainer reads v1"));
    }
    return error(1, absl::StrCat("not a training log, expected \"", kLogHeader, "\""));
  }
  std::vector<Example> examples;
  std::vector<std::pair<std::string, int32_t>> impression_keys, clicks;
  for (size_t i = 1; i < lines.size(); ++i) {
    const int line_no = static_cast<int>(i) + 1;
    absl::StatusOr<LogRecord> r = ParseRecord(lines[i]);
    if (!r.ok()) return error(line_no, r.status().message());
    if (r->kind == LogRecord::Kind::kClick) {
      clicks.emplace_back(std::move(r->click.auction_id), r->click.slot);
      continue;
    }
    Impression& imp = r->impression;
    for (const Feature& f : imp.features) {
      absl::StatusOr<targeting::CtrModel::Key> key = targeting::CtrModel::KeyOf(f);
      if (!key.ok()) return error(line_no, key.status().message());
      if (f.name == "slot") return error(line_no, "a slot feature in the record's features");
    }
    impression_keys.emplace_back(std::move(imp.auction_id), imp.slot);
    examples.push_back({.time_micros = imp.time_micros,
                        .slot = imp.slot,
                        .clicked = false,
                        .features = std::move(imp.features)});
  }
  for (size_t i = 0; i < examples.size(); ++i) {
    auto [it, inserted] = index_.emplace(std::move(impression_keys[i]), examples_.size());
    if (!inserted) {
      ++stats_.duplicate_impressions;
      continue;
    }
    examples_.push_back(std::move(examples[i]));
    ++stats_.impressions;
  }
  stats_.clicks += static_cast<int64_t>(clicks.size());
  for (auto& c : clicks) clicks_.push_back(std::move(c));
  return absl::OkStatus();
}

std::vector<Example> LogJoiner::Finish(JoinStats* stats) {
  for (const auto& click : clicks_) {
    auto it = index_.find(click);
    if (it == index_.end()) {
      ++stats_.clicks_without_impression;
    } else {
      examples_[it->second].clicked = true;
    }
  }
  std::stable_sort(examples_.begin(), examples_.end(), [](const Example& a, const Example& b) {
    return a.time_micros < b.time_micros;
  });
  *stats = stats_;
  std::vector<Example> out = std::move(examples_);
  *this = LogJoiner();
  return out;
}

}  // namespace gavel::learning
