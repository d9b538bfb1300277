#include "pg/array.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gavel::pg {

std::string TextArray(absl::Span<const std::string> elements, bool null_if_exactly_NULL) {
  std::string out = "{";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out.push_back(',');
    const std::string& e = elements[i];
    if (null_if_exactly_NULL && e == "NULL") {
      out += "NULL";
      continue;
    }
    out.push_back('"');
    for (char c : e) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::string Int64ArrayLiteral(absl::Span<const int64_t> values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

absl::StatusOr<std::vector<int64_t>> ParseInt64Array(absl::string_view text) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') {
    return absl::InvalidArgumentError(absl::StrCat("not a bigint[] value: \"", text, "\""));
  }
  std::vector<int64_t> out;
  const absl::string_view inner = text.substr(1, text.size() - 2);
  if (inner.empty()) return out;
  for (absl::string_view e : absl::StrSplit(inner, ',')) {
    int64_t v;
    if (!absl::SimpleAtoi(e, &v)) {
      return absl::InvalidArgumentError(absl::StrCat("not a bigint[] value: \"", text, "\""));
    }
    out.push_back(v);
  }
  return out;
}

}  // namespace gavel::pg
