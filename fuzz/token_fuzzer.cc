// Token decode and verify on arbitrary bytes (billing/token.h). The first byte picks what the
// rest is:
//   0: token text as a client sends it, verified as a click and as an impression token;
//   1: a token payload, signed here with the dev key, so that decoding reaches the claims behind
//      a valid MAC (random bytes never carry one);
//   2: winner fields, issued and verified back: the claims must round-trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "billing/hmac.h"
#include "billing/token.h"
#include "common/clock.h"
#include "fuzz/fuzz_input.h"

namespace {

using gavel::billing::Keyring;
using gavel::billing::TokenType;
using gavel::billing::TokenVerifier;

const absl::Time kNow = absl::FromUnixSeconds(1'780'000'000);

void Check(bool ok) {
  if (!ok) std::abort();
}

void VerifyBoth(const TokenVerifier& verifier, absl::string_view token) {
  for (TokenType type : {TokenType::kClick, TokenType::kImpression}) {
    gavel::billing::VerifyResult r = verifier.Verify(token, type, kNow);
    // A token id is set exactly when the signature verified.
    Check(r.token_id.empty() == (r.error == gavel::billing::TokenError::kForged ||
                                 r.error == gavel::billing::TokenError::kUnknownKey));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* keyring = new std::shared_ptr<const Keyring>(Keyring::InsecureDevDefault());
  static const auto* verifier = new TokenVerifier(*keyring);
  static const auto* mac = new gavel::billing::HmacSha256((*keyring)->current().secret);
  gavel::fuzz::Input in(data, size);
  switch (in.Byte() % 3) {
    case 0:
      VerifyBoth(*verifier, in.Rest());
      break;
    case 1: {
      std::string payload(in.Rest());
      const size_t n = payload.size();
      payload.resize(n + gavel::billing::HmacSha256::kBytes);
      mac->Sign(absl::string_view(payload.data(), n), reinterpret_cast<unsigned char*>(&payload[n]));
      VerifyBoth(*verifier, absl::WebSafeBase64Escape(payload));
      break;
    }
    case 2: {
      gavel::SimulatedClock clock(kNow - absl::Minutes(1));
      gavel::billing::TokenIssuer issuer(*keyring, &clock);
      gavel::billing::WinnerInfo w;
      w.auction_id = in.String();
      w.slot = static_cast<int32_t>(in.Uint32());
      w.ad_id = in.String();
      w.campaign_id = in.String();
      w.price_micros = static_cast<int64_t>(in.Uint64());
      w.placement = static_cast<int32_t>(in.Uint32());
      w.user_id = in.String();
      auto pair = issuer.Issue(w);
      if (!pair.ok()) break;
      gavel::billing::VerifyResult r = verifier->Verify(pair->click_token, TokenType::kClick, kNow);
      Check(r.ok() && r.claims.auction_id == w.auction_id && r.claims.slot == w.slot &&
            r.claims.ad_id == w.ad_id && r.claims.campaign_id == w.campaign_id &&
            r.claims.price_micros == w.price_micros && r.claims.placement == w.placement &&
            r.claims.user_hash == issuer.HashUser(w.user_id));
      Check(verifier->Verify(pair->impression_token, TokenType::kClick, kNow).error ==
            gavel::billing::TokenError::kWrongEventType);
      break;
    }
  }
  return 0;
}
