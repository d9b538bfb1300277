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

constexpr uint8_t kTokenVersion = 1;
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

std::string EncodePayload(const TokenClaims& c) {
  std::string out;
  out.reserve(192);  // room for the MAC the issuer appends
  out.push_back(static_cast<char>(kTokenVersion));
  out.push_back(static_cast<char>(c.type));
  internal::PutBytes(&out, c.key_id);
  internal::PutBytes(&out, c.auction_id);
  internal::PutVarint(&out, static_cast<uint32_t>(c.slot));
  internal::PutBytes(&out, c.ad_id);
  internal::PutBytes(&out, c.ad_group_id);
  internal::PutBytes(&out, c.campaign_id);
  internal::PutBytes(&out, c.advertiser_id);
  internal::PutBytes(&out, c.product_id);
  internal::PutVarint(&out, static_cast<uint64_t>(c.price_micros));
  internal::PutVarint(&out, static_cast<uint32_t>(c.placement));
  internal::PutFixed64(&out, c.user_hash);
  internal::PutSigned(&out, absl::ToUnixMicros(c.issued_at));
  internal::PutSigned(&out, absl::ToUnixMicros(c.expires_at));
  return out;
}

// Parses everything after the key id. False on any malformation or trailing byte.
bool DecodeRest(ByteReader* r, TokenClaims* c) {
  uint64_t slot, price, placement, user_hash;
  int64_t issued, expires;
  if (!r->Bytes(&c->auction_id) || !r->Varint(&slot) || slot > INT32_MAX || !r->Bytes(&c->ad_id) ||
      !r->Bytes(&c->ad_group_id) || !r->Bytes(&c->campaign_id) || !r->Bytes(&c->advertiser_id) ||
      !r->Bytes(&c->product_id) || !r->Varint(&price) || price > INT64_MAX ||
      !r->Varint(&placement) || placement > INT32_MAX || !r->Fixed64(&user_hash) ||
      !r->Signed(&issued) || !r->Signed(&expires) || !r->empty()) {
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
      return absl::InvalidArgumentError(absl::StrCat("key \"", k.id, "\": secret must be >= 16 bytes, got ",
                                                     k.secret.size()));
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

absl::StatusOr<TokenPair> TokenIssuer::Issue(const WinnerInfo& w) const {
  if (w.price_micros < 0) {
    return absl::InvalidArgumentError(absl::StrCat("price_micros must be >= 0, got ", w.price_micros));
  }
  if (w.slot < 0 || w.placement < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("slot and placement must be >= 0, got ", w.slot, " and ", w.placement));
  }
  const Key& key = keyring_->current();
  TokenClaims c;
  c.auction_id = w.auction_id;
  c.slot = w.slot;
  c.ad_id = w.ad_id;
  c.ad_group_id = w.ad_group_id;
  c.campaign_id = w.campaign_id;
  c.advertiser_id = w.advertiser_id;
  c.product_id = w.product_id;
  c.price_micros = w.price_micros;
  c.placement = w.placement;
  const HmacSha256& mac = keyring_->Mac(key);
  c.user_hash = HashUserId(mac, w.user_id);
  c.issued_at = absl::FromUnixMicros(absl::ToUnixMicros(clock_->Now()));
  c.expires_at = c.issued_at + options_.ttl;
  c.key_id = key.id;
  TokenPair pair;
  for (TokenType type : {TokenType::kClick, TokenType::kImpression}) {
    c.type = type;
    std::string payload = EncodePayload(c);
    const size_t signed_bytes = payload.size();
    payload.resize(signed_bytes + HmacSha256::kBytes);
    mac.Sign(absl::string_view(payload.data(), signed_bytes),
             reinterpret_cast<unsigned char*>(&payload[signed_bytes]));
    std::string token = absl::WebSafeBase64Escape(payload);
    if (token.size() > kMaxTokenBytes) {
      return absl::InvalidArgumentError(absl::StrCat("token would be ", token.size(),
                                                     " bytes, over the limit of ", kMaxTokenBytes,
                                                     "; ids are too long"));
    }
    (type == TokenType::kClick ? pair.click_token : pair.impression_token) = std::move(token);
  }
  return pair;
}

absl::string_view TokenErrorName(TokenError e) {
  switch (e) {
    case TokenError::kOk: return "OK";
    case TokenError::kForged: return "FORGED";
    case TokenError::kExpired: return "EXPIRED";
    case TokenError::kUnknownKey: return "UNKNOWN_KEY";
    case TokenError::kWrongEventType: return "WRONG_EVENT_TYPE";
  }
  return "?";
}

TokenVerifier::TokenVerifier(std::shared_ptr<const Keyring> keyring) : keyring_(std::move(keyring)) {}

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
  if (!r.Byte(&version) || version != kTokenVersion || !r.Byte(&type) ||
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
  if (!DecodeRest(&r, &c)) return result;  // signed by us yet malformed: treat as forged
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
