// Little-endian varint/fixed-width encoding shared by tokens, ledger records and snapshots.
// Internal to billing/. ByteReader never reads past its input: every Read* returns false instead.
#ifndef GAVEL_BILLING_BYTES_H_
#define GAVEL_BILLING_BYTES_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace gavel::billing::internal {

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
// Zig-zag, so small negative numbers stay short.
inline void PutSigned(std::string* out, int64_t v) {
  PutVarint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}
inline void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void PutBytes(std::string* out, absl::string_view s) {
  PutVarint(out, s.size());
  out->append(s.data(), s.size());
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

class ByteReader {
 public:
  explicit ByteReader(absl::string_view in) : in_(in) {}
  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (in_.empty()) return false;
      const uint8_t b = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      // The tenth byte may only carry the top bit; reject overlong and non-minimal encodings so
      // each value has exactly one encoding (a token must not have two spellings).
      if (shift == 63 && b > 1) return false;
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if (b == 0 && shift != 0) return false;
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool Signed(int64_t* v) {
    uint64_t u;
    if (!Varint(&u)) return false;
    *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return true;
  }
  bool Fixed64(uint64_t* v) {
    if (in_.size() < 8) return false;
    uint64_t r = 0;
    for (int i = 7; i >= 0; --i) r = (r << 8) | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(8);
    *v = r;
    return true;
  }
  bool Byte(uint8_t* v) {
    if (in_.empty()) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool Bytes(std::string* s, size_t max_len = 1 << 20) {
    uint64_t n;
    if (!Varint(&n) || n > in_.size() || n > max_len) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  // A length-prefixed value as Bytes reads it, viewed in the input rather than copied.
  bool BytesView(absl::string_view* s) {
    uint64_t n;
    if (!Varint(&n) || n > in_.size()) return false;
    *s = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool Raw(size_t n, std::string* s) {
    if (n > in_.size()) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool empty() const { return in_.empty(); }
  // What is left to read.
  absl::string_view rest() const { return in_; }

 private:
  absl::string_view in_;
};

}  // namespace gavel::billing::internal

#endif  // GAVEL_BILLING_BYTES_H_
