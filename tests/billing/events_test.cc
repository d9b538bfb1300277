#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "billing/billing.h"
#include "gtest/gtest.h"
#include "tests/billing/billing_test_util.h"
#include "tests/billing/store_harness.h"

namespace gavel::billing {
namespace {

using testing::Click;
using testing::Impression;
using testing::IngestOne;
using testing::kStart;
using testing::MakeBudget;
using testing::MakeConfig;
using testing::MakeWinner;

// The event rules, run over both stores (tests/billing/store_harness.h).
class EventsTest : public ::testing::TestWithParam<testing::StoreKind> {
 protected:
  void SetUp() override {
    billing_ = testing::OpenStore(GetParam(), MakeConfig(""), &clock_,
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_NE(billing_, nullptr);
    ASSERT_TRUE(billing_->UpsertCampaign(MakeBudget()).ok());
  }
  TokenPair Issue(WinnerInfo w = {}) { return *billing_->issuer().Issue(MakeWinner(w)); }

  SimulatedClock clock_{kStart};
  std::unique_ptr<Billing> billing_;
};

TEST_P(EventsTest, ChargesAValidClickAtTheTokenPriceAndRecordsImpressions) {
  TokenPair t = Issue({.price_micros = 730'000, .user_id = "u1"});
  EventResult imp = IngestOne(*billing_, Impression("e1", t.impression_token, "u1"));
  EXPECT_EQ(imp.outcome, Outcome::kRecorded);
  EventResult click = IngestOne(*billing_, Click("e2", t.click_token, "u1"));
  EXPECT_EQ(click.outcome, Outcome::kCharged);
  EXPECT_EQ(click.charged_micros, 730'000);
  auto stats = billing_->Stats("c1", absl::CivilDay(2026, 6, 15), absl::CivilDay(2026, 6, 15));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->total.counters.impressions, 1);
  EXPECT_EQ(stats->total.counters.clicks, 1);
  EXPECT_EQ(stats->total.counters.spend_micros, 730'000);
  EXPECT_DOUBLE_EQ(stats->total.ctr, 1.0);
  EXPECT_EQ(stats->total.average_cpc_micros, 730'000);
}

TEST_P(EventsTest, RetriedEventIdAndReplayedTokenAreDuplicatesChargedOnce) {
  TokenPair t = Issue();
  EXPECT_EQ(IngestOne(*billing_, Click("e1", t.click_token)).outcome, Outcome::kCharged);
  EventResult retry = IngestOne(*billing_, Click("e1", t.click_token));
  EXPECT_EQ(retry.outcome, Outcome::kDuplicate);
  EXPECT_EQ(retry.detail, "client_event_id already processed");
  EventResult replay = IngestOne(*billing_, Click("e2", t.click_token));
  EXPECT_EQ(replay.outcome, Outcome::kDuplicate);
  EXPECT_EQ(replay.detail, "token already used");
  auto stats = billing_->Stats("c1", absl::CivilDay(2026, 6, 15), absl::CivilDay(2026, 6, 15));
  EXPECT_EQ(stats->total.counters.clicks, 1);
  EXPECT_EQ(stats->total.counters.invalid_clicks, 1);  // the replay under a new id, not the retry
}

TEST_P(EventsTest, ForgedExpiredWrongTypeAndUnknownKeyAreInvalidAndNotCharged) {
  TokenPair t = Issue();
  std::string forged = t.click_token;
  forged[10] = forged[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(IngestOne(*billing_, Click("f", forged)).reason, InvalidReason::kForged);
  EXPECT_EQ(IngestOne(*billing_, Click("w", t.impression_token)).reason,
            InvalidReason::kWrongEventType);
  SimulatedClock other_clock(kStart);
  TokenIssuer stranger(*Keyring::Create({{"k9", "unknown-secret-0123456789"}}), &other_clock);
  EXPECT_EQ(IngestOne(*billing_, Click("u", stranger.Issue(MakeWinner())->click_token)).reason,
            InvalidReason::kUnknownKey);
  clock_.Advance(absl::Hours(25));
  EventResult expired = IngestOne(*billing_, Click("x", t.click_token));
  EXPECT_EQ(expired.outcome, Outcome::kInvalid);
  EXPECT_EQ(expired.reason, InvalidReason::kExpired);
  EXPECT_EQ(billing_->budgets().Query("c1", clock_.Now())->spent_today_micros, 0);
}

TEST_P(EventsTest, UserIdMustMatchTheToken) {
  TokenPair t = Issue({.user_id = "alice"});
  EventResult r = IngestOne(*billing_, Click("e1", t.click_token, "mallory"));
  EXPECT_EQ(r.outcome, Outcome::kInvalid);
  EXPECT_EQ(r.reason, InvalidReason::kUserMismatch);
}

TEST_P(EventsTest, RepeatClickOnTheSameAdWithinAnHourIsInvalid) {
  EXPECT_EQ(
      IngestOne(*billing_, Click("e1", Issue({.auction_id = "a1", .user_id = "u"}).click_token))
          .outcome,
      Outcome::kCharged);
  clock_.Advance(absl::Minutes(59));
  EventResult again =
      IngestOne(*billing_, Click("e2", Issue({.auction_id = "a2", .user_id = "u"}).click_token));
  EXPECT_EQ(again.reason, InvalidReason::kRepeatClick);
  // Another ad, or another user, is fine.
  EXPECT_EQ(
      IngestOne(
          *billing_,
          Click("e3", Issue({.auction_id = "a3", .ad_id = "ad2", .user_id = "u"}).click_token))
          .outcome,
      Outcome::kCharged);
  EXPECT_EQ(
      IngestOne(*billing_, Click("e4", Issue({.auction_id = "a4", .user_id = "v"}).click_token))
          .outcome,
      Outcome::kCharged);
  clock_.Advance(absl::Minutes(61));  // an hour after the first charged click
  EXPECT_EQ(
      IngestOne(*billing_, Click("e5", Issue({.auction_id = "a5", .user_id = "u"}).click_token))
          .outcome,
      Outcome::kCharged);
}

TEST_P(EventsTest, PerUserClickRateIsLimited) {
  std::vector<Event> events;
  for (int i = 0; i < 31; ++i) {
    events.push_back(Click(absl::StrCat("e", i), Issue({.auction_id = absl::StrCat("a", i),
                                                        .ad_id = absl::StrCat("ad", i),
                                                        .user_id = "bot"})
                                                     .click_token));
  }
  auto results = billing_->Ingest(events);
  ASSERT_TRUE(results.ok());
  for (int i = 0; i < 30; ++i) EXPECT_EQ((*results)[i].outcome, Outcome::kCharged) << i;
  EXPECT_EQ((*results)[30].reason, InvalidReason::kRateLimited);
  clock_.Advance(absl::Minutes(1) + absl::Seconds(1));
  EXPECT_EQ(
      IngestOne(
          *billing_,
          Click("late", Issue({.auction_id = "z", .ad_id = "adz", .user_id = "bot"}).click_token))
          .outcome,
      Outcome::kCharged);
}

TEST_P(EventsTest, HardBudgetRejectsTheClickThatWouldCrossIt) {
  ASSERT_TRUE(
      billing_->UpsertCampaign(MakeBudget({.daily_budget_micros = 1'000'000, .pacing = false}))
          .ok());
  EXPECT_EQ(IngestOne(*billing_,
                      Click("e1", Issue({.auction_id = "1", .price_micros = 600'000}).click_token))
                .outcome,
            Outcome::kCharged);
  EventResult crossing = IngestOne(
      *billing_, Click("e2", Issue({.auction_id = "2", .price_micros = 600'000}).click_token));
  EXPECT_EQ(crossing.outcome, Outcome::kBudgetExhausted);
  EXPECT_EQ(crossing.charged_micros, 0);
  absl::BitGen gen;
  EXPECT_EQ(billing_->EligibleToServe("c1", gen, 600'000), Eligibility::kBudgetExhausted);
  EXPECT_EQ(billing_->EligibleToServe("c1", gen, 400'000), Eligibility::kEligible);
  EXPECT_EQ(billing_->EligibleToServe("nope", gen), Eligibility::kUnknownCampaign);
  auto stats = billing_->Stats("c1", absl::CivilDay(2026, 6, 15), absl::CivilDay(2026, 6, 15));
  EXPECT_EQ(stats->total.counters.budget_exhausted_clicks, 1);
}

TEST_P(EventsTest, RejectsBadEventIdsAsAWholeBatch) {
  auto r = billing_->Ingest({Click("ok", "x"), Click("", "y")});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "client_event_id must be 1-128 bytes, got 0");
}

TEST_P(EventsTest, SameTokenFromManyThreadsChargesOnce) {
  TokenPair t = Issue();
  std::atomic<int> charged{0}, duplicate{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 8; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 50; ++i) {
        auto r = billing_->Ingest({Click(absl::StrCat(th, "-", i), t.click_token)});
        ASSERT_TRUE(r.ok());
        if ((*r)[0].outcome == Outcome::kCharged) charged.fetch_add(1);
        if ((*r)[0].outcome == Outcome::kDuplicate) duplicate.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(charged.load(), 1);
  EXPECT_EQ(duplicate.load(), 399);
  EXPECT_EQ(billing_->budgets().Query("c1", clock_.Now())->spent_today_micros, 500'000);
}

// Batches that wait for the store are merged into one transaction (PostgreSQL) or one ledger
// append (embedded); each caller still gets exactly its own results, in its order.
TEST_P(EventsTest, ConcurrentBatchesEachGetTheirOwnResults) {
  constexpr int kThreads = 8, kBatches = 10, kPerBatch = 7;
  std::vector<std::thread> threads;
  std::atomic<int64_t> charged_micros{0};
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Event> batch;
        std::vector<int64_t> prices;
        for (int i = 0; i < kPerBatch; ++i) {
          const int64_t price = 1'000 * (1 + th) + 10 * b + i;  // unique per event
          const std::string id = absl::StrCat(th, "-", b, "-", i);
          batch.push_back(Click(id, Issue({.auction_id = id, .price_micros = price}).click_token));
          prices.push_back(price);
        }
        batch.push_back(batch.front());  // a retry inside the batch: DUPLICATE
        auto r = billing_->Ingest(batch);
        ASSERT_TRUE(r.ok()) << r.status();
        ASSERT_EQ(r->size(), batch.size());
        for (int i = 0; i < kPerBatch; ++i) {
          EXPECT_EQ((*r)[i].outcome, Outcome::kCharged);
          EXPECT_EQ((*r)[i].charged_micros, prices[i]);
          charged_micros.fetch_add((*r)[i].charged_micros);
        }
        EXPECT_EQ(r->back().outcome, Outcome::kDuplicate);
      }
    });
  }
  for (auto& t : threads) t.join();
  auto stats = billing_->Stats("c1", absl::CivilDay(2026, 6, 15), absl::CivilDay(2026, 6, 15));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->total.counters.clicks, kThreads * kBatches * kPerBatch);
  EXPECT_EQ(stats->total.counters.spend_micros, charged_micros.load());
}

INSTANTIATE_TEST_SUITE_P(Stores, EventsTest, testing::AllStores(), testing::StoreName);

// docs/billing.md, "What is durable when": impressions only are answered once queued for the
// next group commit; a batch with a click waits for its fsync.
TEST(IngestDurability, ImpressionsAreAnsweredBeforeTheFsyncClicksAfter) {
  std::atomic<bool> release{true};
  BillingConfig config = MakeConfig(testing::FreshDir("durability"));
  config.ledger.fs = LedgerFsWithSync([&release](int fd) {
    while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return ::fdatasync(fd);
  });
  SimulatedClock clock(kStart);
  std::unique_ptr<Billing> billing = testing::OpenBilling(config, &clock);
  ASSERT_NE(billing, nullptr);
  ASSERT_TRUE(billing->UpsertCampaign(MakeBudget()).ok());
  const TokenPair first = *billing->issuer().Issue(MakeWinner({.auction_id = "a1"}));
  const TokenPair second = *billing->issuer().Issue(MakeWinner({.auction_id = "a2"}));
  release = false;  // every fsync from here on blocks until released
  EXPECT_EQ(IngestOne(*billing, Impression("i1", first.impression_token)).outcome,
            Outcome::kRecorded);
  std::atomic<bool> click_answered{false};
  std::thread click([&] {
    EXPECT_EQ(IngestOne(*billing, Click("c1", second.click_token)).outcome, Outcome::kCharged);
    click_answered = true;
  });
  // The impression batch above returned although no fsync could finish; the click cannot.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(click_answered.load());
  release = true;
  click.join();
  EXPECT_TRUE(click_answered.load());
}

}  // namespace
}  // namespace gavel::billing
