// The compact, continuously pruned dedupe and click-window state gives exactly the verdicts of the
// rules as docs/billing.md states them, computed here over unpruned history; and it stays sized
// by its windows, not by history.
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "billing/billing.h"
#include "gtest/gtest.h"
#include "tests/billing/billing_test_util.h"
#include "tests/billing/store_harness.h"

namespace gavel::billing {
namespace {

using testing::kStart;
using testing::MakeBudget;
using testing::MakeConfig;
using testing::MakeWinner;

// Small windows, so a history of minutes crosses every one of them many times.
EventRules SmallWindows() {
  return {.repeat_click_window = absl::Minutes(7),
          .max_clicks_per_window = 3,
          .rate_window = absl::Minutes(1),
          .event_id_retention = absl::Minutes(30),
          .impression_event_id_retention = absl::Minutes(4)};
}
TokenOptions SmallTtls() { return {.ttl = absl::Minutes(20), .impression_ttl = absl::Minutes(3)}; }

// A deadline as the rules keep it: to the millisecond, rounded up.
absl::Time CeilMs(absl::Time t) {
  const int64_t ms = absl::ToUnixMillis(t);
  return absl::FromUnixMillis(absl::FromUnixMillis(ms) < t ? ms + 1 : ms);
}

// The rules of docs/billing.md ("Events and idempotency"), over history that is never pruned.
class Reference {
 public:
  Reference(EventRules rules, const TokenVerifier* verifier) : rules_(rules), verifier_(verifier) {}

  EventResult Decide(const Event& e, absl::Time now) {
    auto seen = event_ids_.find(e.client_event_id);
    if (seen != event_ids_.end() && seen->second > now) {
      return {Outcome::kDuplicate, 0, InvalidReason::kNone, ""};
    }
    EventResult r = DecideToken(e, now);
    const absl::Duration retention = e.type == TokenType::kImpression
                                         ? rules_.impression_event_id_retention
                                         : rules_.event_id_retention;
    event_ids_[e.client_event_id] = CeilMs(now + retention);
    return r;
  }

 private:
  EventResult DecideToken(const Event& e, absl::Time now) {
    const VerifyResult v = verifier_->Verify(e.token, e.type, now);
    if (!v.ok()) return {Outcome::kInvalid, 0, ReasonOf(v.error), ""};
    if (used_tokens_.contains(v.token_id))
      return {Outcome::kDuplicate, 0, InvalidReason::kNone, ""};
    used_tokens_.insert({v.token_id, true});
    if (!e.user_id.empty() &&
        verifier_->UserHash(v.claims.key_id, e.user_id) != v.claims.user_hash) {
      return {Outcome::kInvalid, 0, InvalidReason::kUserMismatch, ""};
    }
    if (e.type == TokenType::kImpression) return {Outcome::kRecorded, 0, InvalidReason::kNone, ""};
    const uint64_t user = v.claims.user_hash;
    const std::string pair = absl::StrCat(user, "/", v.claims.ad_id);
    EventResult r{Outcome::kCharged, v.claims.price_micros, InvalidReason::kNone, ""};
    if (user != 0) {
      std::vector<absl::Time>& clicks = clicks_[user];
      int recent = 0;
      for (absl::Time t : clicks) recent += t > now - rules_.rate_window ? 1 : 0;
      auto last = last_charged_.find(pair);
      if (recent >= rules_.max_clicks_per_window) {
        r = {Outcome::kInvalid, 0, InvalidReason::kRateLimited, ""};
      } else if (last != last_charged_.end() &&
                 CeilMs(last->second + rules_.repeat_click_window) > now) {
        r = {Outcome::kInvalid, 0, InvalidReason::kRepeatClick, ""};
      }
      clicks.push_back(now);  // every click that reaches the rate check counts
      if (clicks.size() > static_cast<size_t>(rules_.max_clicks_per_window + 1)) {
        clicks.erase(clicks.begin());
      }
    }
    if (r.outcome == Outcome::kCharged && user != 0) last_charged_[pair] = now;
    return r;
  }

  static InvalidReason ReasonOf(TokenError e) {
    switch (e) {
      case TokenError::kExpired:
        return InvalidReason::kExpired;
      case TokenError::kUnknownKey:
        return InvalidReason::kUnknownKey;
      case TokenError::kWrongEventType:
        return InvalidReason::kWrongEventType;
      default:
        return InvalidReason::kForged;
    }
  }

  const EventRules rules_;
  const TokenVerifier* verifier_;
  absl::flat_hash_map<std::string, absl::Time> event_ids_;  // -> remembered until
  absl::flat_hash_map<std::string, bool> used_tokens_;
  absl::flat_hash_map<uint64_t, std::vector<absl::Time>> clicks_;
  absl::flat_hash_map<std::string, absl::Time> last_charged_;
};

// Over both stores (tests/billing/store_harness.h): the PostgreSQL store decides each batch from
// the rows it reads, so this checks that what it keeps and forgets matches the rules too. It
// commits a transaction per event, so it runs a shorter history.
class DedupeRules : public ::testing::TestWithParam<testing::StoreKind> {};

TEST_P(DedupeRules, PrunedStateGivesTheVerdictsOfTheUnprunedRules) {
  const bool embedded = GetParam() == testing::StoreKind::kEmbedded;
  const uint64_t seeds = embedded ? 6 : 2;
  const int steps = embedded ? 6'000 : 1'000;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    std::mt19937_64 rng(seed);
    SimulatedClock clock(kStart);
    BillingConfig config = MakeConfig("");
    config.rules = SmallWindows();
    config.tokens = SmallTtls();
    std::unique_ptr<Billing> billing =
        testing::OpenStore(GetParam(), config, &clock, absl::StrCat("dedupe_rules_", seed));
    ASSERT_NE(billing, nullptr);
    ASSERT_TRUE(
        billing->UpsertCampaign(MakeBudget({.daily_budget_micros = 1'000'000'000'000})).ok());
    TokenVerifier verifier(config.keyring);
    Reference reference(config.rules, &verifier);
    std::vector<TokenPair> tokens;
    std::vector<std::string> ids;
    for (int step = 0; step < steps; ++step) {
      clock.Advance(absl::Microseconds(rng() % 20'000'000));  // up to 20 s
      if (tokens.empty() || rng() % 3 == 0) {
        tokens.push_back(*billing->issuer().Issue(
            MakeWinner({.auction_id = absl::StrCat("a", step),
                        .ad_id = absl::StrCat("ad", rng() % 4),
                        .user_id = rng() % 5 == 0 ? "" : absl::StrCat("u", rng() % 6)})));
      }
      // Mostly recent tokens, sometimes old ones (expired, or used long ago).
      const size_t back =
          rng() % 4 == 0 ? rng() % tokens.size() : rng() % std::min<size_t>(5, tokens.size());
      const TokenPair& t = tokens[tokens.size() - 1 - back];
      const bool click = rng() % 2 == 0;
      std::string id = absl::StrCat("e", step);
      if (!ids.empty() && rng() % 5 == 0)
        id = ids[ids.size() - 1 - rng() % std::min<size_t>(ids.size(), 300)];
      ids.push_back(id);
      const std::string user = rng() % 10 == 0 ? "intruder" : "";
      const Event e{id, click ? TokenType::kClick : TokenType::kImpression,
                    click ? t.click_token : t.impression_token, user};
      const EventResult expected = reference.Decide(e, clock.Now());
      const EventResult got = testing::IngestOne(*billing, e);
      ASSERT_EQ(got.outcome, expected.outcome)
          << "seed " << seed << " step " << step << " " << got.detail;
      ASSERT_EQ(got.reason, expected.reason) << "seed " << seed << " step " << step;
      ASSERT_EQ(got.charged_micros, expected.charged_micros) << "seed " << seed << " step " << step;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, DedupeRules, testing::AllStores(), testing::StoreName);

TEST(DedupeRules, StateIsSizedByItsWindowsNotByHistory) {
  SimulatedClock clock(kStart);
  BillingConfig config = MakeConfig(testing::FreshDir("dedupe_bounded"));
  config.rules = SmallWindows();
  config.tokens = SmallTtls();
  std::unique_ptr<Billing> billing = testing::OpenBilling(config, &clock);
  ASSERT_NE(billing, nullptr);
  ASSERT_TRUE(billing->UpsertCampaign(MakeBudget({.daily_budget_micros = 1'000'000'000'000})).ok());
  // 10 events a second for 6 simulated hours: 216,000 events, each window minutes long.
  DedupeState peak;
  for (int batch = 0; batch < 21'600; ++batch) {
    clock.Advance(absl::Seconds(1));
    std::vector<Event> events;
    for (int k = 0; k < 10; ++k) {
      const TokenPair t = *billing->issuer().Issue(MakeWinner(
          {.auction_id = absl::StrCat("a", batch, ".", k), .user_id = absl::StrCat("u", k)}));
      events.push_back({absl::StrCat("e", batch, ".", k),
                        k == 0 ? TokenType::kClick : TokenType::kImpression,
                        k == 0 ? t.click_token : t.impression_token, ""});
    }
    ASSERT_TRUE(billing->Ingest(events).ok());
    const DedupeState s = billing->dedupe_state();
    peak.event_ids = std::max(peak.event_ids, s.event_ids);
    peak.tokens = std::max(peak.tokens, s.tokens);
  }
  // Live: clicks' ids for 30 min (1/s) and impressions' for 4 min (9/s); tokens until expiry
  // (20 and 3 min). Held: at most everything inserted within the longest window (10/s for 30 and
  // 20 min) plus one closed generation (a table of at most 131,071 slots), whatever the length of
  // the history.
  EXPECT_LE(peak.event_ids, 18'000u + 131'071u);
  EXPECT_LE(peak.tokens, 12'000u + 131'071u);
  EXPECT_GE(peak.event_ids, 1'800u + 2'160u);
  EXPECT_LT(billing->dedupe_state().event_ids, 216'000u);
}

}  // namespace
}  // namespace gavel::billing
