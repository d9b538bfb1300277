#include "billing/hmac.h"

#include <openssl/hmac.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace gavel::billing {
namespace {

std::string Hex(const unsigned char* mac) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(mac), HmacSha256::kBytes));
}

std::string OneShot(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  EXPECT_EQ(len, HmacSha256::kBytes);
  return Hex(out);
}

// RFC 4231 test cases 1, 2 and 6 (a 131-byte key, hashed before use).
TEST(HmacSha256, MatchesRfc4231Vectors) {
  unsigned char mac[HmacSha256::kBytes];
  HmacSha256(std::string(20, '\x0b')).Sign("Hi There", mac);
  EXPECT_EQ(Hex(mac), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  HmacSha256("Jefe").Sign("what do ya want for nothing?", mac);
  EXPECT_EQ(Hex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  HmacSha256(std::string(131, '\xaa'))
      .Sign("Test Using Larger Than Block-Size Key - Hash Key First", mac);
  EXPECT_EQ(Hex(mac), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, MatchesOpenSslOneShotOverRandomKeysAndMessages) {
  std::seed_seq seed{20261126};
  absl::BitGen gen(seed);
  for (int i = 0; i < 2000; ++i) {
    std::string key(absl::Uniform<size_t>(gen, 1, 200), '\0');
    for (char& c : key) c = static_cast<char>(absl::Uniform<int>(gen, 0, 256));
    std::string data(absl::Uniform<size_t>(gen, 0, 600), '\0');
    for (char& c : data) c = static_cast<char>(absl::Uniform<int>(gen, 0, 256));
    const HmacSha256 mac(key);
    unsigned char out[HmacSha256::kBytes];
    mac.Sign(data, out);
    ASSERT_EQ(Hex(out), OneShot(key, data)) << "case " << i;
    // A prefix is part of the message.
    const size_t split = absl::Uniform<size_t>(gen, 0, data.size() + 1);
    mac.Sign(absl::string_view(data).substr(0, split), absl::string_view(data).substr(split), out);
    ASSERT_EQ(Hex(out), OneShot(key, data)) << "case " << i << " split at " << split;
  }
}

TEST(HmacSha256, OneKeySignsFromManyThreadsAtOnce) {
  const HmacSha256 mac("shared-secret-0123456789");
  const std::string want = OneShot("shared-secret-0123456789", "the same message");
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      unsigned char out[HmacSha256::kBytes];
      for (int i = 0; i < 5000; ++i) {
        mac.Sign("the same message", out);
        if (Hex(out) != want) ++mismatches[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace gavel::billing
