#include "pg/copy.h"

#include <cassert>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libpq-fe.h"
#include "pg/errors.h"

namespace gavel::pg {
namespace {

// The binary copy header's fixed part: signature, flags (int32), extension length (int32).
constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // + its NUL: 11 bytes
constexpr size_t kSignatureSize = 11;

// A big-endian two's-complement integer of `size` (1 to 8) bytes at `p`: binary smallint,
// integer and bigint values, and the format's counts and lengths.
int64_t BigEndian(const char* p, int size) {
  uint64_t v = 0;
  for (int i = 0; i < size; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  const int shift = 64 - 8 * size;
  return static_cast<int64_t>(v << shift) >> shift;  // sign-extends
}

}  // namespace

bool CopyRow::IsNull(int col) const {
  assert(col >= 0 && col < size());
  return fields_[col].data == nullptr;
}

absl::string_view CopyRow::Bytes(int col) const {
  assert(col >= 0 && col < size());
  const Field& f = fields_[col];
  return f.data == nullptr ? absl::string_view() : absl::string_view(f.data, f.size);
}

absl::StatusOr<int64_t> CopyRow::Int64(int col) const {
  assert(col >= 0 && col < size());
  const Field& f = fields_[col];
  if (f.data == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat("column %d is NULL, not an integer", col));
  }
  if (f.size != 2 && f.size != 4 && f.size != 8) {
    return absl::InvalidArgumentError(
        absl::StrFormat("column %d has %d bytes, not a smallint, integer or bigint", col, f.size));
  }
  return BigEndian(f.data, f.size);
}

// Splits CopyData messages into rows. The server sends one row per message, the header before the
// first and the trailer (a field count of -1) last.
class CopyReader {
 public:
  // Parses one message into row_, or notes the trailer. False if it is malformed.
  bool Parse(absl::string_view message, bool* trailer) {
    if (!header_seen_) {
      if (message.size() < kSignatureSize + 8 ||
          std::memcmp(message.data(), kSignature, kSignatureSize) != 0) {
        return false;
      }
      const int64_t extension = BigEndian(message.data() + kSignatureSize + 4, 4);
      if (extension < 0 || message.size() < kSignatureSize + 8 + static_cast<size_t>(extension)) {
        return false;
      }
      message.remove_prefix(kSignatureSize + 8 + extension);
      header_seen_ = true;
      if (message.empty()) {  // a header alone
        *trailer = false;
        row_.fields_.clear();
        return true;
      }
    }
    if (message.size() < 2) return false;
    const int64_t count = BigEndian(message.data(), 2);
    message.remove_prefix(2);
    *trailer = count == -1;
    row_.fields_.clear();
    if (*trailer) return message.empty();
    if (count < 0) return false;
    for (int64_t i = 0; i < count; ++i) {
      if (message.size() < 4) return false;
      const int64_t size = BigEndian(message.data(), 4);
      message.remove_prefix(4);
      if (size == -1) {
        row_.fields_.push_back({nullptr, 0});
        continue;
      }
      if (size < 0 || static_cast<size_t>(size) > message.size()) return false;
      row_.fields_.push_back({message.data(), static_cast<int32_t>(size)});
      message.remove_prefix(size);
    }
    return message.empty();
  }
  const CopyRow& row() const { return row_; }

 private:
  bool header_seen_ = false;
  CopyRow row_;
};

absl::Status CopyOut(Connection& conn, absl::string_view query,
                     absl::FunctionRef<absl::Status(const CopyRow&)> row) {
  PGconn* c = conn.native_handle();
  PGresult* started =
      PQexec(c, absl::StrCat("COPY (", query, ") TO STDOUT (FORMAT binary)").c_str());
  if (PQresultStatus(started) != PGRES_COPY_OUT) {
    absl::Status st = internal::StatusOf(started, c);
    PQclear(started);
    if (st.ok()) st = absl::InternalError("COPY did not start copying out");
    return st;
  }
  PQclear(started);
  CopyReader reader;
  absl::Status first_error;  // of `row` or of the stream; the rest of the copy is then dropped
  bool ended = false;        // the trailer came
  for (;;) {
    char* buffer = nullptr;
    const int n = PQgetCopyData(c, &buffer, /*async=*/0);
    if (n == -1) break;  // done: the outcome is in PQgetResult
    if (n == -2) {
      PQfreemem(buffer);
      break;  // an error: PQgetResult has it too
    }
    if (first_error.ok()) {
      bool trailer = false;
      if (ended || !reader.Parse(absl::string_view(buffer, n), &trailer)) {
        first_error = absl::DataLossError("the server's binary COPY data is malformed");
      } else if (trailer) {
        ended = true;
      } else if (reader.row().size() > 0) {
        first_error = row(reader.row());
      }
    }
    PQfreemem(buffer);
  }
  absl::Status outcome;
  while (PGresult* r = PQgetResult(c)) {
    if (outcome.ok()) outcome = internal::StatusOf(r, c);
    PQclear(r);
  }
  if (!first_error.ok()) return first_error;
  if (outcome.ok() && !ended) return absl::DataLossError("the binary COPY data has no trailer");
  return outcome;
}

absl::StatusOr<std::string> QuoteLiteral(Connection& conn, absl::string_view text) {
  if (text.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("a string literal cannot hold a NUL byte");
  }
  char* quoted = PQescapeLiteral(conn.native_handle(), text.data(), text.size());
  if (quoted == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot quote a string literal: ",
                     internal::OneLine(PQerrorMessage(conn.native_handle()))));
  }
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

}  // namespace gavel::pg
