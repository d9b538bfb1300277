#include "pg/result.h"

#include <cassert>
#include <optional>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libpq-fe.h"
#include "pg/errors.h"

namespace gavel::pg {
namespace {

// pg_type.oid of bytea: built-in OIDs never change.
constexpr Oid kByteaOid = 17;

}  // namespace

Result::Result(PGresult* result) : result_(result) { assert(result != nullptr); }

Result::Result(Result&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

Result::~Result() { PQclear(result_); }

int Result::rows() const { return PQntuples(result_); }

int Result::columns() const { return PQnfields(result_); }

int64_t Result::affected_rows() const {
  int64_t n = 0;
  // PQcmdTuples is "" for commands without a count.
  return absl::SimpleAtoi(PQcmdTuples(result_), &n) ? n : 0;
}

absl::string_view Result::command() const { return PQcmdStatus(result_); }

absl::string_view Result::column_name(int col) const {
  assert(col >= 0 && col < columns());
  return PQfname(result_, col);
}

int Result::ColumnIndex(absl::string_view name) const {
  for (int col = 0; col < columns(); ++col) {
    if (name == PQfname(result_, col)) return col;
  }
  return -1;
}

bool Result::IsNull(int row, int col) const {
  assert(row >= 0 && row < rows() && col >= 0 && col < columns());
  return PQgetisnull(result_, row, col) == 1;
}

absl::string_view Result::GetString(int row, int col) const {
  assert(row >= 0 && row < rows() && col >= 0 && col < columns());
  return absl::string_view(PQgetvalue(result_, row, col), PQgetlength(result_, row, col));
}

absl::StatusOr<int64_t> Result::GetInt64(int row, int col) const {
  if (IsNull(row, col)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "row %d column %d (%s) is NULL, not an integer", row, col, column_name(col)));
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(GetString(row, col), &value)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("row %d column %d (%s) is \"%s\", not a 64-bit integer", row, col,
                        column_name(col), absl::CHexEscape(GetString(row, col))));
  }
  return value;
}

absl::StatusOr<std::string> Result::GetBytes(int row, int col) const {
  if (PQftype(result_, col) != kByteaOid) {
    return absl::InvalidArgumentError(absl::StrFormat("column %d (%s) is of type oid %d, not bytea",
                                                      col, column_name(col),
                                                      static_cast<int>(PQftype(result_, col))));
  }
  if (IsNull(row, col)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("row %d column %d (%s) is NULL", row, col, column_name(col)));
  }
  size_t length = 0;
  unsigned char* bytes = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, col)), &length);
  if (bytes == nullptr) return absl::ResourceExhaustedError("out of memory decoding bytea");
  std::string out(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return out;
}

std::string SqlState(const absl::Status& status) {
  if (auto payload = status.GetPayload(internal::kSqlStatePayload)) {
    return std::string(*payload);
  }
  constexpr absl::string_view kTag = "[SQLSTATE ";
  const absl::string_view message = status.message();
  const size_t at = message.rfind(kTag);
  if (at == absl::string_view::npos || at + kTag.size() + 6 > message.size() ||
      message[at + kTag.size() + 5] != ']') {
    return "";
  }
  return std::string(message.substr(at + kTag.size(), 5));
}

std::string EncodeBytea(absl::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + 2 * bytes.size());
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

}  // namespace gavel::pg
