#include <filesystem>
#include <map>
#include <random>

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
using testing::kStart;
using testing::MakeBudget;
using testing::MakeConfig;
using testing::MakeWinner;

const absl::CivilDay kDay(2026, 6, 15);

// Everything observable about a Billing after recovery.
std::string Fingerprint(Billing& b, absl::Time now) {
  std::string out;
  for (const char* c : {"c1", "c2"}) {
    auto s = b.Stats(c, kDay - 1, kDay + 3);
    for (const DailyStats& d : s->days) {
      absl::StrAppend(&out, c, d.counters.impressions, "/", d.counters.clicks, "/",
                      d.counters.invalid_clicks, "/", d.counters.budget_exhausted_clicks, "/",
                      d.counters.spend_micros, ";");
    }
    auto q = b.budgets().Query(c, now);
    if (q.ok()) absl::StrAppend(&out, "spent=", q->spent_today_micros, ";");
  }
  return out;
}

TEST(BillingRecovery, RestartKeepsSpendStatsAndDedupe) {
  const std::string dir = testing::FreshDir("restart");
  SimulatedClock clock(kStart);
  TokenPair t;
  std::string before;
  {
    auto b = testing::OpenBilling(MakeConfig(dir), &clock);
    ASSERT_TRUE(b->UpsertCampaign(MakeBudget()).ok());
    t = *b->issuer().Issue(MakeWinner({.user_id = "u"}));
    auto r = b->Ingest({Impression("i1", t.impression_token), Click("c1", t.click_token)});
    ASSERT_EQ((*r)[1].outcome, Outcome::kCharged);
    before = Fingerprint(*b, clock.Now());
  }
  auto b = testing::OpenBilling(MakeConfig(dir), &clock);
  ASSERT_TRUE(b->UpsertCampaign(MakeBudget()).ok());
  EXPECT_EQ(Fingerprint(*b, clock.Now()), before);
  auto again = b->Ingest({Click("c1", t.click_token), Click("c2", t.click_token)});
  EXPECT_EQ((*again)[0].outcome, Outcome::kDuplicate);
  EXPECT_EQ((*again)[1].outcome, Outcome::kDuplicate);
  // The repeat-click window survived the restart too.
  TokenPair t2 = *b->issuer().Issue(MakeWinner({.auction_id = "a2", .user_id = "u"}));
  EXPECT_EQ(testing::IngestOne(*b, Click("c3", t2.click_token)).reason,
            InvalidReason::kRepeatClick);
}

// Drives a seeded random workload and checks the invariants after every batch: a charge equals its
// token's price, spend stays under the policy's cap, a token is charged at most once, across
// retries, token replays and restarts (with snapshots taken at random points).
// Over both stores (tests/billing/store_harness.h); a restart reopens the same ledger directory or
// database.
class BillingProperty : public ::testing::TestWithParam<testing::StoreKind> {};

TEST_P(BillingProperty, ChargesAtMostOncePerTokenAndNeverOverCapAcrossRestarts) {
  // Each policy twice on the embedded store, once on PostgreSQL (a commit per batch).
  const uint64_t seeds = GetParam() == testing::StoreKind::kEmbedded ? 6 : 3;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    std::mt19937_64 rng(seed);
    auto uniform = [&](int n) { return static_cast<int>(rng() % n); };
    const std::string name = absl::StrCat("property_", seed, "_", static_cast<int>(GetParam()));
    SimulatedClock clock(kStart);
    BillingConfig config = MakeConfig("");
    bool fresh = true;
    const BudgetPolicy policy = static_cast<BudgetPolicy>(1 + seed % 3);
    const CampaignBudget budgets[] = {MakeBudget({.campaign_id = "c1",
                                                  .daily_budget_micros = 3'000'000,
                                                  .policy = policy,
                                                  .pacing = false}),
                                      MakeBudget({.campaign_id = "c2",
                                                  .daily_budget_micros = 5'000'000,
                                                  .policy = policy,
                                                  .pacing = false})};
    auto open = [&] {
      auto b = testing::OpenStore(GetParam(), config, &clock, name, fresh);
      fresh = false;
      for (const auto& cb : budgets) EXPECT_TRUE(b->UpsertCampaign(cb).ok());
      return b;
    };
    auto billing = open();
    std::vector<TokenPair> tokens;
    std::vector<int64_t> prices;
    std::map<int, int> charged_per_token;
    std::map<std::pair<std::string, int64_t>, int64_t> spend_per_day;
    int next_event = 0;
    for (int step = 0; step < 150; ++step) {
      const int action = uniform(10);
      if (action == 0) {
        billing.reset();  // restart (the ledger is durable after every Ingest)
        billing = open();
        continue;
      }
      if (action == 1) {
        EXPECT_TRUE(billing->Snapshot().ok());
        continue;
      }
      if (action == 2) clock.Advance(absl::Hours(1 + uniform(20)));
      std::vector<Event> batch;
      std::vector<int> which;
      for (int k = 0; k < 1 + uniform(8); ++k) {
        int idx;
        if (tokens.empty() || uniform(3) == 0) {
          const int64_t price = 100'000 + uniform(900'000);
          tokens.push_back(
              *billing->issuer().Issue(MakeWinner({.auction_id = absl::StrCat("a", tokens.size()),
                                                   .ad_id = absl::StrCat("ad", tokens.size()),
                                                   .campaign_id = uniform(2) ? "c1" : "c2",
                                                   .price_micros = price,
                                                   .user_id = absl::StrCat("u", uniform(50))})));
          prices.push_back(price);
          idx = static_cast<int>(tokens.size()) - 1;
        } else {
          idx = uniform(static_cast<int>(tokens.size()));  // a replay or a retry
        }
        const std::string id = uniform(4) == 0 && next_event > 0
                                   ? absl::StrCat("e", uniform(next_event))
                                   : absl::StrCat("e", next_event++);
        batch.push_back(Click(id, tokens[idx].click_token));
        which.push_back(idx);
      }
      auto results = billing->Ingest(batch);
      ASSERT_TRUE(results.ok()) << results.status();
      for (size_t i = 0; i < batch.size(); ++i) {
        const EventResult& r = (*results)[i];
        if (r.outcome != Outcome::kCharged) continue;
        EXPECT_EQ(r.charged_micros, prices[which[i]]);
        EXPECT_EQ(++charged_per_token[which[i]], 1) << "token " << which[i] << " seed " << seed;
      }
      for (const auto& cb : budgets) {
        auto q = billing->budgets().Query(cb.campaign_id, clock.Now());
        ASSERT_TRUE(q.ok());
        const int64_t daily = cb.daily_budget_micros;
        const int64_t day_cap = policy == BudgetPolicy::kHard ? daily
                                : policy == BudgetPolicy::kDaily2xMonthlyCap
                                    ? 2 * daily
                                    : daily * CivilDayFromIndex(q->day).day();
        EXPECT_LE(q->spent_today_micros, day_cap);
        if (policy == BudgetPolicy::kDaily2xMonthlyCap) {
          EXPECT_LE(q->spent_month_micros, daily * 304 / 10);
        }
        if (policy == BudgetPolicy::kMonthlyAverage) {
          EXPECT_LE(q->spent_month_micros, daily * CivilDayFromIndex(q->day).day());
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, BillingProperty, testing::AllStores(), testing::StoreName);

TEST(BillingRecovery, SnapshotPlusReplayEqualsFullReplay) {
  const std::string dir = testing::FreshDir("snap_equiv");
  SimulatedClock clock(kStart);
  std::vector<TokenPair> tokens;
  {
    auto b = testing::OpenBilling(MakeConfig(dir), &clock);
    ASSERT_TRUE(b->UpsertCampaign(MakeBudget({.pacing = false})).ok());
    ASSERT_TRUE(b->UpsertCampaign(MakeBudget({.campaign_id = "c2", .pacing = false})).ok());
    for (int i = 0; i < 40; ++i) {
      tokens.push_back(*b->issuer().Issue(MakeWinner({.auction_id = absl::StrCat("a", i),
                                                      .campaign_id = i % 2 ? "c1" : "c2",
                                                      .user_id = absl::StrCat("u", i % 7)})));
      auto r = b->Ingest({Impression(absl::StrCat("i", i), tokens[i].impression_token),
                          Click(absl::StrCat("k", i), tokens[i].click_token)});
      ASSERT_TRUE(r.ok());
      if (i == 25) ASSERT_TRUE(b->Snapshot().ok());
      clock.Advance(absl::Minutes(37));
    }
  }
  // Recovery from snapshot + tail...
  auto with_snapshot = testing::OpenBilling(MakeConfig(dir), &clock);
  ASSERT_TRUE(with_snapshot->UpsertCampaign(MakeBudget({.pacing = false})).ok());
  ASSERT_TRUE(
      with_snapshot->UpsertCampaign(MakeBudget({.campaign_id = "c2", .pacing = false})).ok());
  const std::string a = Fingerprint(*with_snapshot, clock.Now());
  with_snapshot.reset();
  // ... equals recovery from the whole log alone.
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".snap") std::filesystem::remove(e.path());
  }
  auto full = testing::OpenBilling(MakeConfig(dir), &clock);
  ASSERT_TRUE(full->UpsertCampaign(MakeBudget({.pacing = false})).ok());
  ASSERT_TRUE(full->UpsertCampaign(MakeBudget({.campaign_id = "c2", .pacing = false})).ok());
  EXPECT_EQ(Fingerprint(*full, clock.Now()), a);
  EXPECT_NE(a.find("spent="), std::string::npos);
  // And dedupe holds in both: every old token is a duplicate.
  EXPECT_EQ(testing::IngestOne(*full, Click("new", tokens[3].click_token)).outcome,
            Outcome::kDuplicate);
}

TEST(BillingRecovery, LedgerRecordsReadBackForTools) {
  const std::string dir = testing::FreshDir("readback");
  SimulatedClock clock(kStart);
  auto b = testing::OpenBilling(MakeConfig(dir), &clock);
  ASSERT_TRUE(b->UpsertCampaign(MakeBudget()).ok());
  TokenPair t = *b->issuer().Issue(MakeWinner({.price_micros = 420'000}));
  ASSERT_TRUE(b->Ingest({Click("e1", t.click_token), Click("e2", "garbage")}).ok());
  auto records = Ledger::ReadAll(dir);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  auto first = DecodeEventRecord((*records)[0].payload);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->outcome, Outcome::kCharged);
  EXPECT_EQ(first->charged_micros, 420'000);
  EXPECT_EQ(first->campaign_id, "c1");
  auto second = DecodeEventRecord((*records)[1].payload);
  EXPECT_EQ(second->reason, InvalidReason::kForged);
  EXPECT_EQ(second->campaign_id, "");
}

}  // namespace
}  // namespace gavel::billing
