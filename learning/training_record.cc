#include "learning/training_record.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace gavel::learning {
namespace {

std::string Escape(absl::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\t': out += "%09"; break;
      case '\n': out += "%0A"; break;
      case ' ': out += "%20"; break;
      case '%': out += "%25"; break;
      default: out += c;
    }
  }
  return out;
}

bool Unescape(absl::string_view v, std::string* out) {
  out->clear();
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '%') {
      *out += v[i];
      continue;
    }
    if (i + 2 >= v.size()) return false;  // a '%' needs two more bytes
    const absl::string_view code = v.substr(i + 1, 2);
    if (code == "09") *out += '\t';
    else if (code == "0A") *out += '\n';
    else if (code == "20") *out += ' ';
    else if (code == "25") *out += '%';
    else return false;
    i += 2;
  }
  return true;
}

absl::Status Bad(absl::string_view what) { return absl::InvalidArgumentError(what); }

absl::Status ParseSlot(absl::string_view f, int32_t* slot) {
  if (!absl::SimpleAtoi(f, slot) || *slot < 1 || *slot > 40) {
    return Bad(absl::StrCat("bad slot \"", f, "\" (want 1-40)"));
  }
  return absl::OkStatus();
}

absl::Status ParseTime(absl::string_view f, int64_t* t) {
  if (!absl::SimpleAtoi(f, t) || *t < 0) return Bad(absl::StrCat("bad time \"", f, "\""));
  return absl::OkStatus();
}

}  // namespace

std::string EncodeImpression(const Impression& r) {
  std::string out = absl::StrCat("I\t", r.time_micros, "\t", Escape(r.auction_id), "\t", r.slot,
                                 "\t", Escape(r.model_version), "\t",
                                 absl::StrFormat("%016x", r.shopper_hash));
  for (const Feature& f : r.features) {
    absl::StrAppend(&out, "\t", Escape(f.name), " ", Escape(f.value1));
    if (!f.value2.empty()) absl::StrAppend(&out, " ", Escape(f.value2));
  }
  out += '\n';
  return out;
}

std::string EncodeClick(const Click& r) {
  return absl::StrCat("C\t", r.time_micros, "\t", Escape(r.auction_id), "\t", r.slot, "\n");
}

absl::StatusOr<LogRecord> ParseRecord(absl::string_view line) {
  std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
  LogRecord rec;
  if (f[0] == "C") {
    if (f.size() != 4) return Bad(absl::StrCat("click: expected 4 fields, got ", f.size()));
    rec.kind = LogRecord::Kind::kClick;
    if (auto st = ParseTime(f[1], &rec.click.time_micros); !st.ok()) return st;
    if (!Unescape(f[2], &rec.click.auction_id) || rec.click.auction_id.empty()) {
      return Bad(absl::StrCat("bad auction_id \"", f[2], "\""));
    }
    if (auto st = ParseSlot(f[3], &rec.click.slot); !st.ok()) return st;
    return rec;
  }
  if (f[0] != "I") return Bad(absl::StrCat("unknown record kind \"", f[0], "\""));
  if (f.size() < 6) return Bad(absl::StrCat("impression: expected at least 6 fields, got ", f.size()));
  Impression& r = rec.impression;
  if (auto st = ParseTime(f[1], &r.time_micros); !st.ok()) return st;
  if (!Unescape(f[2], &r.auction_id) || r.auction_id.empty()) {
    return Bad(absl::StrCat("bad auction_id \"", f[2], "\""));
  }
  if (auto st = ParseSlot(f[3], &r.slot); !st.ok()) return st;
  if (!Unescape(f[4], &r.model_version)) {
    return Bad(absl::StrCat("bad model_version \"", f[4], "\""));
  }
  if (f[5].size() != 16 || !absl::SimpleHexAtoi(f[5], &r.shopper_hash)) {
    return Bad(absl::StrCat("bad shopper_hash \"", f[5], "\" (want 16 hex digits)"));
  }
  for (size_t i = 6; i < f.size(); ++i) {
    std::vector<absl::string_view> parts = absl::StrSplit(f[i], ' ');
    Feature feature;
    if (parts.size() < 2 || parts.size() > 3 || !Unescape(parts[0], &feature.name) ||
        !Unescape(parts[1], &feature.value1) || feature.name.empty() || feature.value1.empty() ||
        (parts.size() == 3 && (!Unescape(parts[2], &feature.value2) || feature.value2.empty()))) {
      return Bad(absl::StrCat("bad feature \"", f[i], "\" (want \"name value [value]\")"));
    }
    r.features.push_back(std::move(feature));
  }
  return rec;
}

}  // namespace gavel::learning
