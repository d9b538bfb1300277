// Billing::EligibleToServe through a resolved CampaignHandle against the by-id overload: the same
// verdicts and the same draws from the generator, budgets and pacing included.
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "billing/billing.h"
#include "gtest/gtest.h"
#include "tests/billing/billing_test_util.h"

namespace gavel::billing {
namespace {

using testing::FreshDir;
using testing::MakeConfig;
using testing::OpenBilling;
using testing::Zone;

// A Billing and the store it owns, so tests can charge the store directly.
struct Rig {
  Rig(const std::string& dir, const Clock* clock) {
    auto store = std::make_unique<InMemoryBudgetStore>();
    budgets = store.get();
    auto b = Billing::Open(MakeConfig(FreshDir(dir)), clock, std::move(store));
    EXPECT_TRUE(b.ok()) << b.status();
    if (b.ok()) billing = *std::move(b);
  }
  InMemoryBudgetStore* budgets = nullptr;
  std::unique_ptr<Billing> billing;
};

TEST(ServingHandle, GivesTheByIdVerdicts) {
  SimulatedClock clock(testing::kStart);
  std::unique_ptr<Billing> b = OpenBilling(MakeConfig(FreshDir("handle_basic")), &clock);
  ASSERT_TRUE(
      b->UpsertCampaign({.campaign_id = "c1", .daily_budget_micros = 1'000'000, .pacing = false})
          .ok());
  const CampaignHandle c1 = b->Resolve("c1");
  const CampaignHandle unknown = b->Resolve("nope");
  std::mt19937_64 gen(1);
  EXPECT_EQ(b->EligibleToServe(c1, gen, 1'000'000), Eligibility::kEligible);
  EXPECT_EQ(b->EligibleToServe(c1, gen, 1'000'001), Eligibility::kBudgetExhausted);
  EXPECT_EQ(b->EligibleToServe(c1, gen, 0), Eligibility::kEligible);  // max(price, 1)
  EXPECT_EQ(b->EligibleToServe(unknown, gen), Eligibility::kUnknownCampaign);
  // A campaign resolved before its settings arrive is served once they do.
  ASSERT_TRUE(b->UpsertCampaign({.campaign_id = "nope", .daily_budget_micros = 10}).ok());
  EXPECT_EQ(b->EligibleToServe(unknown, gen, 11), Eligibility::kBudgetExhausted);
  EXPECT_EQ(b->EligibleToServe(unknown, gen, 10), Eligibility::kEligible);
}

// Two identical Billings fed the same history, one asked by id and one by handle, with generators
// seeded alike: every verdict matches and the generators stay in step (pacing draws once, and
// only while p < 1).
TEST(ServingHandleProperty, VerdictsAndDrawsMatchTheByIdPathOverRandomHistories) {
  const std::vector<absl::TimeZone> zones = {absl::UTCTimeZone(),    Zone("America/New_York"),
                                             Zone("Europe/Berlin"),  Zone("Asia/Kolkata"),
                                             Zone("America/Havana"), Zone("Australia/Lord_Howe")};
  int64_t paced_out = 0, exhausted = 0, eligible = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937_64 gen(seed);
    auto uniform = [&](int64_t lo, int64_t hi) {
      return std::uniform_int_distribution<int64_t>(lo, hi)(gen);
    };
    SimulatedClock clock(absl::FromUnixSeconds(uniform(1'735'689'600, 1'798'761'600)));
    Rig by_id(absl::StrCat("by_id_", seed), &clock);
    Rig by_handle(absl::StrCat("by_handle_", seed), &clock);
    ASSERT_NE(by_id.billing, nullptr);
    ASSERT_NE(by_handle.billing, nullptr);
    auto random_budget = [&](const std::string& id) {
      return CampaignBudget{.campaign_id = id,
                            .daily_budget_micros = uniform(5, 50) * 1'000'000,
                            .policy = static_cast<BudgetPolicy>(1 + uniform(0, 2)),
                            .time_zone = zones[uniform(0, zones.size() - 1)],
                            .pacing = uniform(0, 3) != 0};
    };
    std::vector<std::string> ids;
    std::vector<CampaignHandle> handles;
    for (int i = 0; i < 8; ++i) {
      ids.push_back(absl::StrCat("c", i));
      if (i < 7) {  // c7 stays unknown
        const CampaignBudget budget = random_budget(ids.back());
        ASSERT_TRUE(by_id.billing->UpsertCampaign(budget).ok());
        ASSERT_TRUE(by_handle.billing->UpsertCampaign(budget).ok());
      }
      handles.push_back(by_handle.billing->Resolve(ids.back()));
    }
    std::mt19937_64 gen_id(seed * 7919), gen_handle(seed * 7919);
    for (int step = 0; step < 3'000; ++step) {
      const int64_t move = uniform(0, 199);
      if (move == 0) {
        clock.Advance(-absl::Minutes(uniform(1, 2 * 24 * 60)));  // the simulator rewinds
      } else if (move == 1) {
        clock.Advance(absl::Hours(uniform(1, 72)));
      } else {
        clock.Advance(absl::Seconds(uniform(0, 90)));
      }
      const size_t c = uniform(0, ids.size() - 1);
      const int64_t action = uniform(0, 99);
      if (action < 30 && c < 7) {
        // Charges big enough to run ahead of the pacing curve, so p falls below 1.
        const int64_t amount = uniform(1, 2'000'000);
        auto a = by_id.budgets->TryCharge(ids[c], amount, clock.Now());
        auto b = by_handle.budgets->TryCharge(ids[c], amount, clock.Now());
        ASSERT_TRUE(a.ok() && b.ok());
        ASSERT_EQ(a->charged, b->charged);
      } else if (action == 30 && c < 7) {
        const CampaignBudget budget = random_budget(ids[c]);
        ASSERT_TRUE(by_id.billing->UpsertCampaign(budget).ok());
        ASSERT_TRUE(by_handle.billing->UpsertCampaign(budget).ok());
      }
      const int64_t max_price = uniform(0, 3'000'000);
      const Eligibility want = by_id.billing->EligibleToServe(ids[c], gen_id, max_price);
      const Eligibility got = by_handle.billing->EligibleToServe(handles[c], gen_handle, max_price);
      ASSERT_EQ(got, want) << "step " << step << " campaign " << ids[c];
      ASSERT_TRUE(gen_id == gen_handle) << "step " << step << ": draws differ";
      ASSERT_EQ(by_handle.billing->pacer().Probability(ids[c]),
                by_id.billing->pacer().Probability(ids[c]));
      paced_out += want == Eligibility::kPacedOut;
      exhausted += want == Eligibility::kBudgetExhausted;
      eligible += want == Eligibility::kEligible;
    }
  }
  // The histories reached every verdict.
  EXPECT_GT(paced_out, 100);
  EXPECT_GT(exhausted, 100);
  EXPECT_GT(eligible, 100);
}

// Auction threads reading through handles while charges, upserts and the clock move underneath
// (run under --config=tsan for the data-race check).
TEST(ServingHandle, ReadersRaceChargesUpsertsAndAMovingClock) {
  SimulatedClock clock(testing::kStart);
  Rig rig("handle_race", &clock);
  ASSERT_NE(rig.billing, nullptr);
  const absl::TimeZone ny = Zone("America/New_York");
  std::vector<CampaignHandle> handles;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(rig.billing
                    ->UpsertCampaign({.campaign_id = absl::StrCat("c", i),
                                      .daily_budget_micros = 50'000'000,
                                      .time_zone = i % 2 == 0 ? ny : absl::UTCTimeZone()})
                    .ok());
    handles.push_back(rig.billing->Resolve(absl::StrCat("c", i)));
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> checks{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 gen(t);
      while (!stop.load()) {
        for (const CampaignHandle& h : handles) {
          rig.billing->EligibleToServe(h, gen, 100'000);
          checks.fetch_add(1);
        }
      }
    });
  }
  std::mt19937_64 gen(3);
  for (int i = 0; i < 3'000 || checks.load() < 10'000; ++i) {
    const std::string id = absl::StrCat("c", i % 4);
    clock.Advance(absl::Minutes(i % 97 == 0 ? -600 : 7));
    (void)rig.budgets->TryCharge(id, 10'000, clock.Now());
    if (i % 50 == 0) {
      // EXPECT, not ASSERT: returning early would leave the readers running.
      EXPECT_TRUE(rig.billing
                      ->UpsertCampaign({.campaign_id = id,
                                        .daily_budget_micros = 40'000'000 + i,
                                        .time_zone = i % 100 == 0 ? ny : absl::UTCTimeZone()})
                      .ok());
    }
  }
  stop = true;
  for (std::thread& r : readers) r.join();
  // Quiet again: every handle reads what Query reads.
  for (int i = 0; i < 4; ++i) {
    const std::string id = absl::StrCat("c", i);
    std::mt19937_64 a(9), b(9);
    EXPECT_EQ(rig.billing->EligibleToServe(handles[i], a, 1),
              rig.billing->EligibleToServe(id, b, 1));
    EXPECT_EQ(handles[i].budget->Read(clock.Now()).remaining_micros,
              rig.budgets->Query(id, clock.Now())->remaining_micros);
  }
}

}  // namespace
}  // namespace gavel::billing
