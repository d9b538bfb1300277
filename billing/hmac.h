// HMAC-SHA256 (RFC 2104) with a fixed key whose inner and outer digest states are computed once.
// Signing then costs two digest finishes over the message: OpenSSL 3's one-shot HMAC() looks the
// digest up in its provider tables and builds fresh contexts on every call, which made token
// signing the largest single cost of an auction (12 MACs per 4-winner auction).
//
//   const HmacSha256 mac(secret);
//   unsigned char out[HmacSha256::kBytes];
//   mac.Sign("payload", out);                 // == HMAC(EVP_sha256(), secret, "payload")
//
// Immutable after construction and thread-safe: Sign copies the precomputed states into a
// per-thread context. Not copyable.
#ifndef GAVEL_BILLING_HMAC_H_
#define GAVEL_BILLING_HMAC_H_

#include <cstddef>

#include "absl/strings/string_view.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace gavel::billing {

class HmacSha256 {
 public:
  static constexpr size_t kBytes = 32;

  // Any key length: keys longer than SHA-256's 64-byte block are hashed first, as RFC 2104 says.
  explicit HmacSha256(absl::string_view key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  // Writes the 32-byte MAC of `prefix` followed by `data` to `out` (the prefix saves callers a
  // concatenation; it is part of the MACed message).
  void Sign(absl::string_view data, unsigned char* out) const { Sign({}, data, out); }
  void Sign(absl::string_view prefix, absl::string_view data, unsigned char* out) const;

 private:
  EVP_MD_CTX* inner_;  // SHA-256 state after absorbing key ^ ipad
  EVP_MD_CTX* outer_;  // SHA-256 state after absorbing key ^ opad
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_HMAC_H_
