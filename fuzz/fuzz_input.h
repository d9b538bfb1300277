// Splits a fuzzer's input into typed values, for harnesses that need several fields. Never fails:
// past the end every value is zero or empty, so any input is a valid (if short) test case.
//
//   gavel::fuzz::Input in(data, size);
//   uint8_t mode = in.Byte();
//   std::string id = in.String();      // a length byte, then that many bytes
//   absl::string_view rest = in.Rest();
#ifndef GAVEL_FUZZ_FUZZ_INPUT_H_
#define GAVEL_FUZZ_FUZZ_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace gavel::fuzz {

class Input {
 public:
  Input(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  uint8_t Byte() {
    if (rest_.empty()) return 0;
    const uint8_t b = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return b;
  }
  uint32_t Uint32() { return static_cast<uint32_t>(Bits(4)); }
  uint64_t Uint64() { return Bits(8); }
  // A length byte, then up to that many bytes.
  std::string String() {
    const size_t n = std::min<size_t>(Byte(), rest_.size());
    std::string s(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return s;
  }
  absl::string_view Rest() {
    absl::string_view r = rest_;
    rest_ = {};
    return r;
  }

 private:
  uint64_t Bits(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | Byte();
    return v;
  }
  absl::string_view rest_;
};

}  // namespace gavel::fuzz

#endif  // GAVEL_FUZZ_FUZZ_INPUT_H_
