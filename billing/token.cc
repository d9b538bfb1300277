#include "billing/token.h"

#include <openssl/crypto.h>

#include <fstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "billing/bytes.h"

namespace gavel::billing {
namespace {

using internal::ByteReader;

// 2: version 1 plus target id and search term; 1 (still verified): without them.
constexpr uint8_t kTokenVersion = 2;
constexpr size_t kMacBytes = HmacSha256::kBytes;
constexpr size_t kTokenIdBytes = 16;

bool ValidKeyId(absl::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The signed bytes of a winner's token of type `type`. Only byte 1 (the type) differs between a
// winner's click and impression tokens.
std::string EncodePayload(const WinnerInfo& w, TokenType type, absl::string_view key_id,
                          uint64_t user_hash, absl::Time issued_at, absl::Time expires_at) {
  std::string out;
  out.reserve(192);  // room for the MAC the issuer appends
  out.push_back(static_cast<char>(kTokenVersion));
  out.push_back(static_cast<char>(type));
  internal::PutBytes(&out, key_id);
  internal::PutBytes(&out, w.auction_id);
  internal::PutVarint(&out, static_cast<uint32_t>(w.slot));
  internal::PutBytes(&out, w.ad_id);
  internal::PutBytes(&out, w.ad_group_id);
  internal::PutBytes(&out, w.campaign_id);
  internal::PutBytes(&out, w.advertiser_id);
  internal::PutBytes(&out, w.product_id);
  internal::PutVarint(&out, static_cast<uint64_t>(w.price_micros));
  internal::PutVarint(&out, static_cast<uint32_t>(w.placement));
  internal::PutFixed64(&out, user_hash);
  internal::PutSigned(&out, absl::ToUnixMicros(issued_at));
  internal::PutSigned(&out, absl::ToUnixMicros(expires_at));
  internal::PutBytes(&out, w.target_id);
  internal::PutBytes(&out, CapSearchTerm(w.search_term));
  return out;
}

// Appends the MAC of `payload` and returns it as base64url text.
std::string SignAndEncode(const HmacSha256& mac, std::string payload) {
  const size_t signed_bytes = payload.size();
  payload.resize(signed_bytes + HmacSha256::kBytes);
  mac.Sign(absl::string_view(payload.data(), signed_bytes),
           reinterpret_cast<unsigned char*>(&payload[signed_bytes]));
  return absl::WebSafeBase64Escape(payload);
}

// Parses everything after the key id. False on any malformation or trailing byte.
bool DecodeRest(uint8_t version, ByteReader* r, TokenClaims* c) {
  uint64_t slot, price, placement, user_hash;
  int64_t issued, expires;
  if (!r->Bytes(&c->auction_id) || !r->Varint(&slot) || slot > INT32_MAX || !r->Bytes(&c->ad_id) ||
      !r->Bytes(&c->ad_group_id) || !r->Bytes(&c->campaign_id) || !r->Bytes(&c->advertiser_id) ||
      !r->Bytes(&c->product_id) || !r->Varint(&price) || price > INT64_MAX ||
      !r->Varint(&placement) || placement > INT32_MAX || !r->Fixed64(&user_hash) ||
      !r->Signed(&issued) || !r->Signed(&expires) ||
      (version >= 2 && (!r->Bytes(&c->target_id) || !r->Bytes(&c->search_term))) || !r->empty()) {
    return false;
  }
  c->slot = static_cast<int32_t>(slot);
  c->price_micros = static_cast<int64_t>(price);
  c->placement = static_cast<int32_t>(placement);
  c->user_hash = user_hash;
  c->issued_at = absl::FromUnixMicros(issued);
  c->expires_at = absl::FromUnixMicros(expires);
  return true;
}

}  // namespace

std::string CapSearchTerm(absl::string_view term) {
  if (term.size() <= kMaxSearchTermBytes) return std::string(term);
  size_t n = kMaxSearchTermBytes;
  while (n > 0 && (static_cast<unsigned char>(term[n]) & 0xC0) == 0x80) --n;  // a continuation
  while (n > 0 && term[n - 1] == ' ') --n;
  return std::string(term.substr(0, n));
}

uint64_t HashUserId(const HmacSha256& key_mac, absl::string_view user_id) {
  if (user_id.empty()) return 0;
  unsigned char mac[HmacSha256::kBytes];
  key_mac.Sign("user:", user_id, mac);
  uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | mac[i];
  return h == 0 ? 1 : h;  // 0 is reserved for "no user"
}

uint64_t HashUserId(const Key& key, absl::string_view user_id) {
  return HashUserId(HmacSha256(key.secret), user_id);
}

Keyring::Keyring(std::vector<Key> keys) : keys_(std::move(keys)) {
  macs_.reserve(keys_.size());
  for (const Key& k : keys_) macs_.push_back(std::make_unique<const HmacSha256>(k.secret));
}

absl::StatusOr<std::shared_ptr<const Keyring>> Keyring::Create(std::vector<Key> keys) {
  if (keys.empty()) return absl::InvalidArgumentError("keyring needs at least one key, got 0");
  absl::flat_hash_set<std::string> seen;
  for (const Key& k : keys) {
    if (!ValidKeyId(k.id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("key id must be 1-32 chars of [A-Za-z0-9_.-], got \"", k.id, "\""));
    }
    if (k.secret.size() < 16) {
      return absl::InvalidArgumentError(
          absl::StrCat("key \"", k.id, "\": secret must be >= 16 bytes, got ", k.secret.size()));
    }
    if (!seen.insert(k.id).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate key id \"", k.id, "\""));
    }
  }
  return std::shared_ptr<const Keyring>(new Keyring(std::move(keys)));
}

absl::StatusOr<std::shared_ptr<const Keyring>> Keyring::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open key file ", path));
  std::vector<Key> keys;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    std::vector<absl::string_view> parts = absl::StrSplit(l, ' ', absl::SkipWhitespace());
    std::string secret;
    if (parts.size() != 2 || parts[1].size() % 2 != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": expected \"key_id hex_secret\""));
    }
    for (char c : parts[1]) {
      if (!absl::ascii_isxdigit(c)) {
        return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": secret is not hex"));
      }
    }
    keys.push_back({std::string(parts[0]), absl::HexStringToBytes(parts[1])});
  }
  auto ring = Create(std::move(keys));
  if (!ring.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", ring.status().message()));
  }
  return ring;
}

std::shared_ptr<const Keyring> Keyring::InsecureDevDefault() {
  return *Create({{"insecure-dev", "gavel-insecure-development-key-do-not-use"}});
}

const Key* Keyring::Find(absl::string_view id) const {
  for (const Key& k : keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

TokenIssuer::TokenIssuer(std::shared_ptr<const Keyring> keyring, const Clock* clock,
                         TokenOptions options)
    : keyring_(std::move(keyring)), clock_(clock), options_(options) {}

uint64_t TokenIssuer::HashUser(absl::string_view user_id) const {
  return HashUserId(keyring_->Mac(keyring_->current()), user_id);
}

absl::StatusOr<TokenPair> TokenIssuer::Issue(const WinnerInfo& w) const {
  return Issue(w, HashUser(w.user_id));
}

absl::StatusOr<TokenPair> TokenIssuer::Issue(const WinnerInfo& w, uint64_t user_hash) const {
  if (w.price_micros < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("price_micros must be >= 0, got ", w.price_micros));
  }
  if (w.slot < 0 || w.placement < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("slot and placement must be >= 0, got ", w.slot, " and ", w.placement));
  }
  const Key& key = keyring_->current();
  const HmacSha256& mac = keyring_->Mac(key);
  const absl::Time issued_at = absl::FromUnixMicros(absl::ToUnixMicros(clock_->Now()));
  std::string click =
      EncodePayload(w, TokenType::kClick, key.id, user_hash, issued_at, issued_at + options_.ttl);
  // The impression token shares the payload but for its type and its shorter expiry.
  std::string impression = EncodePayload(w, TokenType::kImpression, key.id, user_hash, issued_at,
                                         issued_at + options_.impression_ttl);
  TokenPair pair{.click_token = SignAndEncode(mac, std::move(click)),
                 .impression_token = SignAndEncode(mac, std::move(impression))};
  if (pair.click_token.size() > kMaxTokenBytes) {
    return absl::InvalidArgumentError(absl::StrCat("token would be ", pair.click_token.size(),
                                                   " bytes, over the limit of ", kMaxTokenBytes,
                                                   "; ids are too long"));
  }
  return pair;
}

absl::string_view TokenErrorName(TokenError e) {
  switch (e) {
    case TokenError::kOk:
      return "OK";
    case TokenError::kForged:
      return "FORGED";
    case TokenError::kExpired:
      return "EXPIRED";
    case TokenError::kUnknownKey:
      return "UNKNOWN_KEY";
    case TokenError::kWrongEventType:
      return "WRONG_EVENT_TYPE";
  }
  return "?";
}

TokenVerifier::TokenVerifier(std::shared_ptr<const Keyring> keyring)
    : keyring_(std::move(keyring)) {}

uint64_t TokenVerifier::UserHash(absl::string_view key_id, absl::string_view user_id) const {
  const Key* key = keyring_->Find(key_id);
  return key == nullptr ? 0 : HashUserId(keyring_->Mac(*key), user_id);
}

VerifyResult TokenVerifier::Verify(absl::string_view token, TokenType expected,
                                   absl::Time now) const {
  VerifyResult result;
  std::string raw;
  if (token.size() > kMaxTokenBytes || !absl::WebSafeBase64Unescape(token, &raw) ||
      raw.size() < kMacBytes + 2) {
    return result;  // kForged
  }
  // Base64 has spare low bits in its last character; accept only the canonical spelling so one
  // token has exactly one text form.
  if (absl::WebSafeBase64Escape(raw) != token) return result;
  const absl::string_view payload(raw.data(), raw.size() - kMacBytes);
  const absl::string_view mac(raw.data() + payload.size(), kMacBytes);
  ByteReader r(payload);
  uint8_t version, type;
  TokenClaims c;
  if (!r.Byte(&version) || version < 1 || version > kTokenVersion || !r.Byte(&type) ||
      (type != static_cast<uint8_t>(TokenType::kClick) &&
       type != static_cast<uint8_t>(TokenType::kImpression)) ||
      !r.Bytes(&c.key_id, 32)) {
    return result;
  }
  const Key* key = keyring_->Find(c.key_id);
  if (key == nullptr) {
    result.error = TokenError::kUnknownKey;
    return result;
  }
  unsigned char expected_mac[HmacSha256::kBytes];
  keyring_->Mac(*key).Sign(payload, expected_mac);
  if (CRYPTO_memcmp(expected_mac, mac.data(), kMacBytes) != 0) return result;
  if (!DecodeRest(version, &r, &c)) return result;  // signed by us yet malformed: treat as forged
  c.type = static_cast<TokenType>(type);
  result.claims = std::move(c);
  result.token_id.assign(mac.data(), kTokenIdBytes);
  if (result.claims.type != expected) {
    result.error = TokenError::kWrongEventType;
  } else if (now >= result.claims.expires_at) {
    result.error = TokenError::kExpired;
  } else {
    result.error = TokenError::kOk;
  }
  return result;
}

}  // namespace gavel::billing
