#include "pg/result.h"

#include <cassert>
#include <optional>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libpq-fe.h"
#include "pg/errors.h"

namespace gavel::pg {
namespace {

// pg_type.oid of built-in types: they never change.
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;

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
  if (PQfformat(result_, col) == 1) {
    const Oid type = PQftype(result_, col);
    const int size = type == kInt8Oid ? 8 : type == kInt4Oid ? 4 : type == kInt2Oid ? 2 : 0;
    if (size == 0 || PQgetlength(result_, row, col) != size) {
      return absl::InvalidArgumentError(
          absl::StrFormat("row %d column %d (%s) is binary of type oid %d, not an integer", row,
                          col, column_name(col), static_cast<int>(type)));
    }
    return internal::BigEndian(PQgetvalue(result_, row, col), size);
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
  std::string out;
  absl::Status st = GetBytesInto(row, col, &out);
  if (!st.ok()) return st;
  return out;
}

absl::Status Result::GetBytesInto(int row, int col, std::string* out) const {
  if (PQftype(result_, col) != kByteaOid) {
    return absl::InvalidArgumentError(absl::StrFormat("column %d (%s) is of type oid %d, not bytea",
                                                      col, column_name(col),
                                                      static_cast<int>(PQftype(result_, col))));
  }
  if (IsNull(row, col)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("row %d column %d (%s) is NULL", row, col, column_name(col)));
  }
  const absl::string_view text(PQgetvalue(result_, row, col), PQgetlength(result_, row, col));
  if (PQfformat(result_, col) == 1) {
    out->assign(text.data(), text.size());
    return absl::OkStatus();
  }
  out->clear();
  if (absl::StartsWith(text, "\\x")) {
    // The hex format (bytea_output's default): two hex digits per byte.
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const absl::string_view hex = text.substr(2);
    if (hex.size() % 2 == 0) {
      out->resize(hex.size() / 2);
      bool ok = true;
      for (size_t i = 0; i < out->size(); ++i) {
        const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        ok &= hi >= 0 && lo >= 0;
        (*out)[i] = static_cast<char>((hi << 4) | (lo & 0xf));
      }
      if (ok) return absl::OkStatus();
    }
    out->clear();
  }
  size_t length = 0;  // the escape format, or hex that is not well formed: libpq decides
  unsigned char* bytes =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(text.data()), &length);
  if (bytes == nullptr) return absl::ResourceExhaustedError("out of memory decoding bytea");
  out->assign(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return absl::OkStatus();
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
