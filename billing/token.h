// Signed click and impression tokens. Every auction winner gets one of each; the event service
// charges a click only at the price inside a token that verifies. Format and rules:
// docs/billing.md.
//
//   auto keyring = Keyring::FromFile("/etc/gavel/token_keys");          // or Keyring::Create(...)
//   TokenIssuer issuer(*keyring, &clock);
//   absl::StatusOr<TokenPair> pair = issuer.Issue({.auction_id = "a1", .campaign_id = "c1", ...});
//   TokenVerifier verifier(*keyring);
//   VerifyResult r = verifier.Verify(pair->click_token, TokenType::kClick, clock.Now());
//
// Keyring, TokenIssuer and TokenVerifier are immutable after construction and thread-safe.
// Issuer and verifier keep their own copy of the keyring (shared, immutable).
#ifndef GAVEL_BILLING_TOKEN_H_
#define GAVEL_BILLING_TOKEN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "billing/hmac.h"
#include "common/clock.h"

namespace gavel::billing {

// Longest token the issuer produces and the verifier accepts, in bytes of base64url text.
inline constexpr size_t kMaxTokenBytes = 1024;

// Longest search term a token carries, in bytes: a longer normalised query is cut to this (at a
// UTF-8 character boundary, trailing spaces dropped) so tokens stay small.
inline constexpr size_t kMaxSearchTermBytes = 80;
// `term` cut as above.
std::string CapSearchTerm(absl::string_view term);

enum class TokenType : uint8_t { kImpression = 1, kClick = 2 };

struct Key {
  std::string id;      // 1-32 bytes of [A-Za-z0-9_.-]
  std::string secret;  // >= 16 bytes
};

// The signing keys: the first is current (signs new tokens), the rest are still accepted for
// verification (the previous key during a rotation).
class Keyring {
 public:
  // Fails with kInvalidArgument (naming the key) on an empty list, a duplicate or malformed id, or
  // a secret shorter than 16 bytes.
  static absl::StatusOr<std::shared_ptr<const Keyring>> Create(std::vector<Key> keys);
  // Reads `key_id hex_secret` lines ('#' comments and blank lines ignored; first key = current).
  // kNotFound if the file cannot be opened; kInvalidArgument with the line number on bad content.
  static absl::StatusOr<std::shared_ptr<const Keyring>> FromFile(const std::string& path);
  // INSECURE: a fixed, publicly known key for the demo server and tests only. Anyone can forge
  // tokens signed with it.
  static std::shared_ptr<const Keyring> InsecureDevDefault();

  const Key& current() const { return keys_.front(); }
  // Every key's id, current first (for metrics: which keys are in use; never the secrets).
  std::vector<std::string> key_ids() const {
    std::vector<std::string> ids;
    for (const Key& k : keys_) ids.push_back(k.id);
    return ids;
  }
  // Null if `id` is unknown.
  const Key* Find(absl::string_view id) const;
  // The MAC of `key`, which must be one of this ring's keys (current() or a Find result).
  const HmacSha256& Mac(const Key& key) const { return *macs_[&key - keys_.data()]; }

 private:
  explicit Keyring(std::vector<Key> keys);
  std::vector<Key> keys_;
  std::vector<std::unique_ptr<const HmacSha256>> macs_;  // macs_[i] is keyed with keys_[i]
};

// What a token says. `user_hash` is the first 8 bytes of HMAC-SHA256(key, "user:" + user_id); the
// user id itself is never stored in a token.
struct TokenClaims {
  TokenType type = TokenType::kClick;
  std::string auction_id;
  int32_t slot = 0;
  std::string ad_id;
  std::string ad_group_id;
  std::string campaign_id;
  std::string advertiser_id;
  std::string product_id;
  int64_t price_micros = 0;  // the cpc charged for a valid click
  int32_t placement = 0;
  uint64_t user_hash = 0;
  // The report dimensions (docs/billing.md, "Sales"); empty in version-1 tokens.
  std::string target_id;    // the matched manual target; empty for automatic targeting
  std::string search_term;  // normalised query, at most kMaxSearchTermBytes; empty off search
  absl::Time issued_at;
  absl::Time expires_at;
  std::string key_id;
};

// Input to TokenIssuer::Issue: one auction winner.
struct WinnerInfo {
  std::string auction_id;
  int32_t slot = 0;
  std::string ad_id;
  std::string ad_group_id;
  std::string campaign_id;
  std::string advertiser_id;
  std::string product_id;
  int64_t price_micros = 0;
  int32_t placement = 0;
  std::string user_id;  // hashed into the token; may be empty (anonymous)
  std::string target_id;    // the matched manual target's id; empty for automatic targeting
  std::string search_term;  // the normalised query on search placements; cut by CapSearchTerm
};

struct TokenPair {
  std::string click_token;
  std::string impression_token;
};

struct TokenOptions {
  // A click token verifies until issue time + ttl.
  absl::Duration ttl = absl::Hours(24);
  // An impression token verifies until issue time + impression_ttl. Shorter than clicks: a client
  // reports an impression when the ad renders, and the server remembers every used token until it
  // expires, so this bounds the impression dedupe state (docs/billing.md, "Memory").
  absl::Duration impression_ttl = absl::Hours(1);
};

class TokenIssuer {
 public:
  // Does not own `clock`, which must outlive the issuer.
  TokenIssuer(std::shared_ptr<const Keyring> keyring, const Clock* clock,
              TokenOptions options = {});
  // Signs a click and an impression token with the current key. kInvalidArgument if the price is
  // negative, slot/placement negative, or the token would exceed kMaxTokenBytes (ids too long).
  absl::StatusOr<TokenPair> Issue(const WinnerInfo& winner) const;
  // The same with the user's hash (HashUser(winner.user_id)) computed by the caller, once for all
  // the winners of one auction: the hash is an HMAC of its own.
  absl::StatusOr<TokenPair> Issue(const WinnerInfo& winner, uint64_t user_hash) const;
  // The hash a token issued now stores for `user_id` (0 for an empty id).
  uint64_t HashUser(absl::string_view user_id) const;

 private:
  std::shared_ptr<const Keyring> keyring_;
  const Clock* clock_;
  TokenOptions options_;
};

enum class TokenError { kOk, kForged, kExpired, kUnknownKey, kWrongEventType };
absl::string_view TokenErrorName(TokenError e);

struct VerifyResult {
  TokenError error = TokenError::kForged;
  // Set when the signature verified (also for kExpired and kWrongEventType, so the event can be
  // attributed to its campaign); default otherwise.
  TokenClaims claims;
  // 16 bytes identifying this token (a prefix of its MAC); empty unless the signature verified.
  std::string token_id;
  bool ok() const { return error == TokenError::kOk; }
};

class TokenVerifier {
 public:
  explicit TokenVerifier(std::shared_ptr<const Keyring> keyring);
  // Checks, in order: base64url (canonical) and layout -> kForged; key id known -> kUnknownKey;
  // HMAC (constant-time) -> kForged; type == `expected` -> kWrongEventType; now < expiry ->
  // kExpired.
  VerifyResult Verify(absl::string_view token, TokenType expected, absl::Time now) const;
  // HMAC-based hash of `user_id` under the key `key_id`; 0 if the key is unknown.
  uint64_t UserHash(absl::string_view key_id, absl::string_view user_id) const;

 private:
  std::shared_ptr<const Keyring> keyring_;
};

// The hash stored in tokens for `user_id` under `key`. Empty user id hashes to 0.
uint64_t HashUserId(const Key& key, absl::string_view user_id);
// The same with the key's precomputed MAC (Keyring::Mac).
uint64_t HashUserId(const HmacSha256& key_mac, absl::string_view user_id);

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_TOKEN_H_
