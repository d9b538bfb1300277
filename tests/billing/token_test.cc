#include "billing/token.h"

#include <cstdio>
#include <fstream>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "billing/hmac.h"
#include "gtest/gtest.h"

namespace gavel::billing {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'750'000'000);

std::shared_ptr<const Keyring> Ring(std::vector<Key> keys) { return *Keyring::Create(keys); }

WinnerInfo MakeWinner(WinnerInfo w = {}) {
  if (w.auction_id.empty()) w.auction_id = "auction-1";
  if (w.ad_id.empty()) w.ad_id = "ad-7";
  if (w.campaign_id.empty()) w.campaign_id = "camp-3";
  if (w.price_micros == 0) w.price_micros = 450'000;
  if (w.user_id.empty()) w.user_id = "user-42";
  w.ad_group_id = "ag-1";
  w.advertiser_id = "adv-9";
  w.product_id = "sku-123";
  w.slot = 2;
  w.placement = 1;
  return w;
}

TEST(ClickToken, UserHashedOnceForAnAuctionGivesTheSameTokens) {
  SimulatedClock clock(kNow);
  auto ring = Ring({{"k1", "0123456789abcdef-secret"}, {"k0", "older-secret-0123456789"}});
  TokenIssuer issuer(ring, &clock);
  EXPECT_EQ(issuer.HashUser("user-42"), HashUserId(ring->current(), "user-42"));
  EXPECT_EQ(issuer.HashUser(""), 0u);
  for (int slot = 1; slot <= 4; ++slot) {
    const WinnerInfo w = MakeWinner({.auction_id = "a-9", .ad_id = absl::StrCat("ad-", slot)});
    auto one = issuer.Issue(w);
    auto hoisted = issuer.Issue(w, issuer.HashUser(w.user_id));
    ASSERT_TRUE(one.ok() && hoisted.ok());
    EXPECT_EQ(hoisted->click_token, one->click_token) << "slot " << slot;
    EXPECT_EQ(hoisted->impression_token, one->impression_token) << "slot " << slot;
  }
}

TEST(ClickToken, RoundTripsEveryClaim) {
  SimulatedClock clock(kNow);
  auto ring = Ring({{"k1", "0123456789abcdef-secret"}});
  TokenIssuer issuer(ring, &clock, {.ttl = absl::Hours(2)});
  auto pair = issuer.Issue(MakeWinner());
  ASSERT_TRUE(pair.ok()) << pair.status();
  TokenVerifier verifier(ring);
  VerifyResult r = verifier.Verify(pair->click_token, TokenType::kClick, kNow + absl::Hours(1));
  ASSERT_EQ(r.error, TokenError::kOk);
  EXPECT_EQ(r.claims.type, TokenType::kClick);
  EXPECT_EQ(r.claims.auction_id, "auction-1");
  EXPECT_EQ(r.claims.slot, 2);
  EXPECT_EQ(r.claims.ad_id, "ad-7");
  EXPECT_EQ(r.claims.ad_group_id, "ag-1");
  EXPECT_EQ(r.claims.campaign_id, "camp-3");
  EXPECT_EQ(r.claims.advertiser_id, "adv-9");
  EXPECT_EQ(r.claims.product_id, "sku-123");
  EXPECT_EQ(r.claims.price_micros, 450'000);
  EXPECT_EQ(r.claims.placement, 1);
  EXPECT_EQ(r.claims.user_hash, HashUserId(ring->current(), "user-42"));
  EXPECT_NE(r.claims.user_hash, 0u);
  EXPECT_EQ(r.claims.issued_at, kNow);
  EXPECT_EQ(r.claims.expires_at, kNow + absl::Hours(2));
  EXPECT_EQ(r.claims.key_id, "k1");
  EXPECT_EQ(r.token_id.size(), 16u);
  EXPECT_LE(pair->click_token.size(), kMaxTokenBytes);
  VerifyResult imp = verifier.Verify(pair->impression_token, TokenType::kImpression, kNow);
  ASSERT_EQ(imp.error, TokenError::kOk);
  EXPECT_NE(imp.token_id, r.token_id);
}

TEST(ClickToken, CarriesTargetAndSearchTerm) {
  SimulatedClock clock(kNow);
  auto ring = Ring({{"k1", "0123456789abcdef-secret"}});
  TokenIssuer issuer(ring, &clock);
  WinnerInfo w = MakeWinner();
  w.target_id = "kw-5";
  w.search_term = "running shoes";
  auto pair = issuer.Issue(w);
  ASSERT_TRUE(pair.ok()) << pair.status();
  TokenVerifier verifier(ring);
  for (auto [token, type] : {std::pair{pair->click_token, TokenType::kClick},
                             std::pair{pair->impression_token, TokenType::kImpression}}) {
    VerifyResult r = verifier.Verify(token, type, kNow);
    ASSERT_EQ(r.error, TokenError::kOk);
    EXPECT_EQ(r.claims.target_id, "kw-5");
    EXPECT_EQ(r.claims.search_term, "running shoes");
  }
}

TEST(ClickToken, SearchTermIsCutToItsLimitAtACharacterBoundary) {
  EXPECT_EQ(CapSearchTerm("short term"), "short term");
  const std::string exact(kMaxSearchTermBytes, 'a');
  EXPECT_EQ(CapSearchTerm(exact), exact);
  EXPECT_EQ(CapSearchTerm(exact + "b"), exact);
  // 79 ASCII bytes then a 2-byte character straddling byte 80: the character is dropped whole.
  const std::string straddle = std::string(kMaxSearchTermBytes - 1, 'a') + "\xc3\xa9";
  EXPECT_EQ(CapSearchTerm(straddle), std::string(kMaxSearchTermBytes - 1, 'a'));
  // A cut right after a space drops the trailing space.
  const std::string spaced = std::string(kMaxSearchTermBytes - 1, 'a') + " bcd";
  EXPECT_EQ(CapSearchTerm(spaced), std::string(kMaxSearchTermBytes - 1, 'a'));
  SimulatedClock clock(kNow);
  auto ring = Ring({{"k1", "0123456789abcdef-secret"}});
  WinnerInfo w = MakeWinner();
  w.search_term = exact + "tail";
  auto pair = TokenIssuer(ring, &clock).Issue(w);
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(TokenVerifier(ring).Verify(pair->click_token, TokenType::kClick, kNow)
                .claims.search_term,
            exact);
}

TEST(ClickToken, VersionOneTokensStillVerifyWithoutDimensions) {
  SimulatedClock clock(kNow);
  const Key key{"k1", "0123456789abcdef-secret"};
  auto ring = Ring({key});
  auto pair = TokenIssuer(ring, &clock).Issue(MakeWinner());  // no target, no search term
  ASSERT_TRUE(pair.ok());
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(pair->click_token, &raw));
  // A version-1 payload is the version-2 one without its last two fields (two empty strings,
  // one length byte each) and with version byte 1, signed again.
  std::string payload = raw.substr(0, raw.size() - HmacSha256::kBytes);
  ASSERT_EQ(payload.substr(payload.size() - 2), std::string("\0\0", 2));
  payload = "\x01" + payload.substr(1, payload.size() - 3);
  unsigned char mac[HmacSha256::kBytes];
  HmacSha256(key.secret).Sign(payload, mac);
  const std::string v1 =
      absl::WebSafeBase64Escape(payload + std::string(reinterpret_cast<char*>(mac), sizeof mac));
  VerifyResult r = TokenVerifier(ring).Verify(v1, TokenType::kClick, kNow);
  ASSERT_EQ(r.error, TokenError::kOk);
  EXPECT_EQ(r.claims.ad_id, "ad-7");
  EXPECT_EQ(r.claims.target_id, "");
  EXPECT_EQ(r.claims.search_term, "");
}

TEST(ClickToken, RejectsEverySingleBitFlip) {
  SimulatedClock clock(kNow);
  auto ring = Ring({{"k1", "0123456789abcdef-secret"}, {"k0", "previous-key-0123456789"}});
  TokenIssuer issuer(ring, &clock);
  TokenVerifier verifier(ring);
  for (int sample = 0; sample < 8; ++sample) {
    WinnerInfo w = MakeWinner({.auction_id = "auction-" + std::to_string(sample),
                               .price_micros = 1000 + sample * 77'777});
    auto pair = issuer.Issue(w);
    ASSERT_TRUE(pair.ok());
    for (const std::string* token : {&pair->click_token, &pair->impression_token}) {
      const TokenType type =
          token == &pair->click_token ? TokenType::kClick : TokenType::kImpression;
      ASSERT_TRUE(verifier.Verify(*token, type, kNow).ok());
      for (size_t i = 0; i < token->size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
          std::string flipped = *token;
          flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
          VerifyResult r = verifier.Verify(flipped, type, kNow);
          EXPECT_FALSE(r.ok()) << "byte " << i << " bit " << bit;
          EXPECT_NE(r.error, TokenError::kExpired);
        }
      }
    }
  }
}

TEST(ClickToken, RejectsEverySingleBitFlipOfTheDecodedBytes) {
  SimulatedClock clock(kNow);
  auto ring = Ring({{"k1", "0123456789abcdef-secret"}});
  TokenIssuer issuer(ring, &clock);
  TokenVerifier verifier(ring);
  auto pair = issuer.Issue(MakeWinner());
  ASSERT_TRUE(pair.ok());
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(pair->click_token, &raw));
  for (size_t i = 0; i < raw.size() * 8; ++i) {
    std::string flipped = raw;
    flipped[i / 8] = static_cast<char>(flipped[i / 8] ^ (1 << (i % 8)));
    EXPECT_FALSE(verifier.Verify(absl::WebSafeBase64Escape(flipped), TokenType::kClick, kNow).ok())
        << "bit " << i;
  }
}

TEST(ClickToken, WrongKeyIsUnknownOrForged) {
  SimulatedClock clock(kNow);
  TokenIssuer other(Ring({{"k9", "some-other-secret-0123"}}), &clock);
  TokenIssuer same_id(Ring({{"k1", "attacker-guessed-secret"}}), &clock);
  TokenVerifier verifier(Ring({{"k1", "0123456789abcdef-secret"}}));
  auto a = other.Issue(MakeWinner());
  auto b = same_id.Issue(MakeWinner());
  EXPECT_EQ(verifier.Verify(a->click_token, TokenType::kClick, kNow).error,
            TokenError::kUnknownKey);
  EXPECT_EQ(verifier.Verify(b->click_token, TokenType::kClick, kNow).error, TokenError::kForged);
}

TEST(ClickToken, ExpiresAtIssuePlusTtl) {
  SimulatedClock clock(kNow);
  auto ring = Ring({{"k1", "0123456789abcdef-secret"}});
  TokenIssuer issuer(ring, &clock, {.ttl = absl::Minutes(30)});
  TokenVerifier verifier(ring);
  auto pair = issuer.Issue(MakeWinner());
  EXPECT_TRUE(verifier
                  .Verify(pair->click_token, TokenType::kClick,
                          kNow + absl::Minutes(30) - absl::Microseconds(1))
                  .ok());
  VerifyResult r = verifier.Verify(pair->click_token, TokenType::kClick, kNow + absl::Minutes(30));
  EXPECT_EQ(r.error, TokenError::kExpired);
  EXPECT_EQ(r.claims.campaign_id, "camp-3");  // still attributable
}

TEST(ClickToken, PresentedAsTheOtherEventTypeIsRejected) {
  SimulatedClock clock(kNow);
  auto ring = Ring({{"k1", "0123456789abcdef-secret"}});
  TokenIssuer issuer(ring, &clock);
  TokenVerifier verifier(ring);
  auto pair = issuer.Issue(MakeWinner());
  EXPECT_EQ(verifier.Verify(pair->impression_token, TokenType::kClick, kNow).error,
            TokenError::kWrongEventType);
  EXPECT_EQ(verifier.Verify(pair->click_token, TokenType::kImpression, kNow).error,
            TokenError::kWrongEventType);
}

TEST(ClickToken, RotationKeepsPreviousKeyAndDropsRetiredOne) {
  SimulatedClock clock(kNow);
  const Key k0{"k0", "zeroth-secret-0123456789"};
  const Key k1{"k1", "first-secret-0123456789"};
  const Key k2{"k2", "second-secret-0123456789"};
  auto old_token = TokenIssuer(Ring({k0}), &clock).Issue(MakeWinner())->click_token;
  auto mid_token = TokenIssuer(Ring({k1, k0}), &clock).Issue(MakeWinner())->click_token;
  TokenVerifier after_rotation(Ring({k2, k1}));
  EXPECT_TRUE(after_rotation.Verify(mid_token, TokenType::kClick, kNow).ok());
  EXPECT_EQ(after_rotation.Verify(old_token, TokenType::kClick, kNow).error,
            TokenError::kUnknownKey);
  TokenVerifier during_rotation(Ring({k1, k0}));
  EXPECT_TRUE(during_rotation.Verify(old_token, TokenType::kClick, kNow).ok());
}

TEST(ClickToken, GarbageAndOversizedInputAreForged) {
  TokenVerifier verifier(Keyring::InsecureDevDefault());
  for (const std::string& t :
       {std::string(""), std::string("!!!"), std::string("AAAA"), std::string(2000, 'A')}) {
    EXPECT_EQ(verifier.Verify(t, TokenType::kClick, kNow).error, TokenError::kForged) << t;
  }
}

TEST(ClickToken, IssueRejectsTokensOverTheSizeLimit) {
  SimulatedClock clock(kNow);
  TokenIssuer issuer(Keyring::InsecureDevDefault(), &clock);
  WinnerInfo w = MakeWinner();
  w.product_id = std::string(900, 'p');
  auto pair = issuer.Issue(w);
  EXPECT_EQ(pair.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(pair.status().message().find("over the limit of 1024"), std::string::npos);
}

TEST(Keyring, ReadsKeyFileAndReportsBadLines) {
  const std::string path = ::testing::TempDir() + "/keys";
  {
    std::ofstream f(path);
    f << "# current first\nk2 000102030405060708090a0b0c0d0e0f\n\nk1 "
         "101112131415161718191a1b1c1d1e1f\n";
  }
  auto ring = Keyring::FromFile(path);
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ((*ring)->current().id, "k2");
  EXPECT_EQ((*ring)->current().secret.size(), 16u);
  EXPECT_NE((*ring)->Find("k1"), nullptr);
  {
    std::ofstream f(path);
    f << "k2 0001\nbroken\n";
  }
  auto bad = Keyring::FromFile(path);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find(":2:"), std::string::npos) << bad.status();
  EXPECT_EQ(Keyring::FromFile(path + ".missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Keyring::Create({{"k", "short"}}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gavel::billing
