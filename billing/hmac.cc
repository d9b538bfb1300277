#include "billing/hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>

namespace gavel::billing {
namespace {

constexpr size_t kBlock = 64;  // SHA-256's block size

// OpenSSL failing to initialise or run SHA-256 means a broken libcrypto: nothing to recover.
void Check(int ok) {
  if (ok != 1) std::abort();
}

// One reusable context per thread, so signing allocates nothing of its own.
EVP_MD_CTX* ThreadContext() {
  struct Holder {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Holder() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Holder holder;
  return holder.ctx;
}

}  // namespace

HmacSha256::HmacSha256(absl::string_view key) : inner_(EVP_MD_CTX_new()), outer_(EVP_MD_CTX_new()) {
  unsigned char block[kBlock] = {};
  if (key.size() > kBlock) {
    unsigned int len = 0;
    Check(EVP_Digest(key.data(), key.size(), block, &len, EVP_sha256(), nullptr));
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  unsigned char pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  Check(EVP_DigestInit_ex(inner_, EVP_sha256(), nullptr));
  Check(EVP_DigestUpdate(inner_, pad, kBlock));
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  Check(EVP_DigestInit_ex(outer_, EVP_sha256(), nullptr));
  Check(EVP_DigestUpdate(outer_, pad, kBlock));
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(pad, sizeof(pad));
}

HmacSha256::~HmacSha256() {
  EVP_MD_CTX_free(inner_);
  EVP_MD_CTX_free(outer_);
}

void HmacSha256::Sign(absl::string_view prefix, absl::string_view data, unsigned char* out) const {
  EVP_MD_CTX* ctx = ThreadContext();
  unsigned char inner_digest[kBytes];
  unsigned int len = 0;
  Check(EVP_MD_CTX_copy_ex(ctx, inner_));
  if (!prefix.empty()) Check(EVP_DigestUpdate(ctx, prefix.data(), prefix.size()));
  Check(EVP_DigestUpdate(ctx, data.data(), data.size()));
  Check(EVP_DigestFinal_ex(ctx, inner_digest, &len));
  Check(EVP_MD_CTX_copy_ex(ctx, outer_));
  Check(EVP_DigestUpdate(ctx, inner_digest, sizeof(inner_digest)));
  Check(EVP_DigestFinal_ex(ctx, out, &len));
}

}  // namespace gavel::billing
