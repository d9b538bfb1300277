// Sales on the PostgreSQL store where it differs from the embedded one: two replicas racing the
// clicks and purchases of the same shoppers still attribute as the rule over everything recorded
// (the shopper lock orders them); a database of schema version 3 (events without dimensions,
// purchase lines without candidates) upgrades to reports that are the rule over what it held.
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "billing/attribution.h"
#include "billing/billing.h"
#include "billing/postgres_store.h"
#include "gtest/gtest.h"
#include "pg/connection.h"
#include "pg/gavel_migrations.h"
#include "pg/migrate.h"
#include "tests/billing/billing_test_util.h"
#include "tests/billing/store_harness.h"

namespace gavel::billing::testing {
namespace {

const absl::CivilDay kDay1(2026, 6, 15);  // kStart's day

bool AdvertisesAll(absl::string_view, absl::string_view) { return true; }

std::unique_ptr<Billing> OpenReplica(const std::string& conninfo, const Clock* clock) {
  BillingConfig config = MakeConfig("");
  config.event_store =
      [conninfo](const EventContext& context) -> absl::StatusOr<std::unique_ptr<EventStore>> {
    auto s = PostgresEventStore::Open({.conninfo = conninfo}, context);
    if (!s.ok()) return s.status();
    return std::unique_ptr<EventStore>(std::move(*s));
  };
  return OpenBilling(std::move(config), clock);
}

// The report's sales per day and its total, for comparison.
std::map<absl::CivilDay, std::pair<int64_t, int64_t>> SalesByDay(const SalesReport& r) {
  std::map<absl::CivilDay, std::pair<int64_t, int64_t>> out;
  for (const SalesDay& d : r.days) {
    out[d.date] = {d.sales.same_product_sales_micros, d.sales.halo_sales_micros};
  }
  return out;
}

TEST(PostgresSales, TwoReplicasRacingClicksAndPurchasesOfTheSameShoppersAttributeAsTheRule) {
  const std::string conninfo = PostgresDatabase("pg_sales_race");
  ASSERT_FALSE(conninfo.empty());
  SimulatedClock clock(kStart);
  std::unique_ptr<Billing> replicas[2] = {OpenReplica(conninfo, &clock),
                                          OpenReplica(conninfo, &clock)};
  ASSERT_NE(replicas[0], nullptr);
  ASSERT_NE(replicas[1], nullptr);
  ASSERT_TRUE(replicas[0]->UpsertCampaign(MakeBudget({.pacing = false})).ok());
  ASSERT_TRUE(replicas[1]->UpsertCampaign(MakeBudget({.pacing = false})).ok());
  const TokenVerifier verifier(TestKeys());
  constexpr int kUsers = 8, kRounds = 40;
  // Every click is decided at kStart (the clock stands still) and every purchase is dated a
  // minute later, so each click precedes each purchase of its shopper whichever arrives first:
  // a line's candidates must hold its shopper's latest click however the replicas interleave.
  std::vector<AttributedClick> clicks;
  std::vector<PurchaseLine> lines;
  std::mutex mu;
  auto clicker = [&](int replica) {
    std::mt19937_64 gen(100 + replica);
    for (int i = 0; i < kRounds; ++i) {
      const std::string user = absl::StrCat("u", absl::Uniform(gen, 0, kUsers));
      const std::string id = absl::StrCat("r", replica, "-", i);
      WinnerInfo w = MakeWinner({.auction_id = id,
                                 .ad_id = absl::StrCat("ad", i % 3),
                                 .ad_group_id = absl::StrCat("g", i % 2),
                                 .advertiser_id = "adv1",
                                 .product_id = absl::StrCat("p", absl::Uniform(gen, 0, 3)),
                                 .user_id = user});
      auto tokens = replicas[replica]->issuer().Issue(w);
      ASSERT_TRUE(tokens.ok());
      auto r = replicas[replica]->Ingest({Click(id, tokens->click_token, user)});
      ASSERT_TRUE(r.ok()) << r.status();
      if ((*r)[0].outcome != Outcome::kCharged) continue;
      std::lock_guard<std::mutex> lock(mu);
      clicks.push_back({.client_event_id = id, .time = kStart,
                        .user_hash = verifier.UserHash("k1", user), .campaign_id = "c1",
                        .ad_group_id = w.ad_group_id, .ad_id = w.ad_id,
                        .product_id = w.product_id, .advertiser_id = "adv1", .day = 0});
    }
  };
  auto buyer = [&](int replica) {
    std::mt19937_64 gen(200 + replica);
    for (int i = 0; i < kRounds; ++i) {
      const std::string user = absl::StrCat("u", absl::Uniform(gen, 0, kUsers));
      const Purchase p{.order_id = absl::StrCat("o", replica, "-", i), .user_id = user,
                       .time = kStart + absl::Minutes(1),
                       .line_items = {{.line = 1,
                                       .product_id = absl::StrCat("p", absl::Uniform(gen, 0, 3)),
                                       .quantity = 1,
                                       .price_micros = absl::Uniform(gen, 1'000, 5'000'000),
                                       .currency = "USD"}}};
      auto r = replicas[replica]->IngestPurchases({p});
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ((*r)[0], PurchaseOutcome::kRecorded);
      std::lock_guard<std::mutex> lock(mu);
      lines.push_back({.order_id = p.order_id, .line = 1,
                       .user_hash = verifier.UserHash("k1", user),
                       .product_id = p.line_items[0].product_id, .quantity = 1,
                       .price_micros = p.line_items[0].price_micros, .time = p.time});
    }
  };
  // Replica 0 takes clicks while replica 1 takes purchases, and the other way round.
  std::vector<std::thread> threads;
  threads.emplace_back(clicker, 0);
  threads.emplace_back(buyer, 1);
  threads.emplace_back(clicker, 1);
  threads.emplace_back(buyer, 0);
  for (std::thread& t : threads) t.join();
  ASSERT_FALSE(clicks.empty());

  std::vector<Attribution> expected = Attribute(clicks, lines, absl::Hours(24), AdvertisesAll);
  int64_t same = 0, halo = 0;
  for (const Attribution& a : expected) {
    (a.kind == SaleKind::kSameProduct ? same : halo) += lines[a.line].sales_micros();
  }
  ASSERT_GT(same + halo, 0);
  for (auto& replica : replicas) {
    auto report = replica->Sales("c1", kDay1, kDay1, 1, AdvertisesAll);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->total.sales.same_product_sales_micros, same);
    EXPECT_EQ(report->total.sales.halo_sales_micros, halo);
    auto by_group = replica->Sales("c1", kDay1, kDay1, 1, AdvertisesAll, Dimension::kAdGroup);
    ASSERT_TRUE(by_group.ok()) << by_group.status();
    int64_t rows = 0;
    for (const SalesDay& row : by_group->rows) rows += row.sales.sales_micros();
    EXPECT_EQ(rows, same + halo);
  }
}

TEST(PostgresSales, AVersion3DatabaseUpgradesToReportsThatAreTheRuleOverWhatItHeld) {
  const std::string conninfo = PostgresDatabase("pg_sales_upgrade");
  ASSERT_FALSE(conninfo.empty());
  {
    // The schema as a version-3 replica left it, and rows as it wrote them: charged clicks and
    // an impression without dimensions, their statistics, purchase lines without candidates.
    auto conn = pg::Connection::Open(conninfo);
    ASSERT_TRUE(conn.ok()) << conn.status();
    auto applied = pg::Migrate(**conn, pg::GavelMigrations().subspan(0, 3));
    ASSERT_TRUE(applied.ok()) << applied.status();
    const int64_t t0 = absl::ToUnixMicros(kStart);
    const int64_t day = kDay1 - absl::CivilDay(1970, 1, 1);
    const TokenVerifier verifier(TestKeys());
    const int64_t u1 = static_cast<int64_t>(verifier.UserHash("k1", "u1"));
    const int64_t u2 = static_cast<int64_t>(verifier.UserHash("k1", "u2"));
    // e1: u1 clicks p1 (group g1); e2: u1 clicks p2 later (g2); e3: u2 clicks p1 (g1);
    // i1: an impression (g1).
    const std::string events = absl::StrCat(
        "INSERT INTO events (campaign_id, client_event_id, event_type, outcome, reason, "
        "decided_at, day, ad_id, user_hash, price_micros, charged_micros, ad_group_id, "
        "product_id, advertiser_id) VALUES "
        "('c1', 'e1', 2, 1, 0, ", t0, ", ", day, ", 'ad1', ", u1, ", 100, 100, 'g1', 'p1', 'adv1'), "
        "('c1', 'e2', 2, 1, 0, ", t0 + 60'000'000, ", ", day, ", 'ad2', ", u1,
        ", 200, 200, 'g2', 'p2', 'adv1'), "
        "('c1', 'e3', 2, 1, 0, ", t0 + 120'000'000, ", ", day, ", 'ad1', ", u2,
        ", 100, 100, 'g1', 'p1', 'adv1'), "
        "('c1', 'i1', 1, 2, 0, ", t0, ", ", day, ", 'ad1', ", u1, ", 0, 0, 'g1', 'p1', 'adv1')");
    ASSERT_TRUE((*conn)->Exec(events).ok());
    ASSERT_TRUE((*conn)
                    ->Exec(absl::StrCat("INSERT INTO campaign_stats VALUES ('c1', ", day,
                                        ", 1, 3, 0, 0, 400)"))
                    .ok());
    // o1: u1 buys p1 (same-product: e1, though e2 is later) and p3 (halo: e2, the latest);
    // o2: u2 buys p1 (e3). o3: u2 buys p1 before its click: not attributed.
    const std::string lines = absl::StrCat(
        "INSERT INTO purchase_lines (order_id, line, user_hash, product_id, quantity, "
        "price_micros, purchased_at, recorded_at) VALUES "
        "('o1', 1, ", u1, ", 'p1', 2, 1000000, ", t0 + 3'600'000'000, ", ", t0, "), "
        "('o1', 2, ", u1, ", 'p3', 1, 700000, ", t0 + 3'600'000'000, ", ", t0, "), "
        "('o2', 1, ", u2, ", 'p1', 1, 300000, ", t0 + 3'600'000'000, ", ", t0, "), "
        "('o3', 1, ", u2, ", 'p1', 1, 50000, ", t0 + 60'000'000, ", ", t0, ")");
    ASSERT_TRUE((*conn)->Exec(lines).ok());
  }
  SimulatedClock clock(kStart + absl::Hours(2));
  std::unique_ptr<Billing> b = OpenReplica(conninfo, &clock);  // migration 4, then candidates
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->UpsertCampaign(MakeBudget({.pacing = false})).ok());
  auto report = b->Sales("c1", kDay1, kDay1, 7, AdvertisesAll);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->total.sales.same_product_sales_micros, 2'000'000 + 300'000);
  EXPECT_EQ(report->total.sales.halo_sales_micros, 700'000);
  EXPECT_EQ(report->total.sales.orders, 2);
  auto by_group = b->Sales("c1", kDay1, kDay1, 7, AdvertisesAll, Dimension::kAdGroup);
  ASSERT_TRUE(by_group.ok()) << by_group.status();
  ASSERT_EQ(by_group->key_totals.size(), 2u);
  EXPECT_EQ(by_group->key_totals[0].key, "g1");
  EXPECT_EQ(by_group->key_totals[0].delivery.impressions, 1);
  EXPECT_EQ(by_group->key_totals[0].delivery.clicks, 2);
  EXPECT_EQ(by_group->key_totals[0].delivery.spend_micros, 200);
  EXPECT_EQ(by_group->key_totals[0].sales.same_product_sales_micros, 2'300'000);
  EXPECT_EQ(by_group->key_totals[1].key, "g2");
  EXPECT_EQ(by_group->key_totals[1].delivery.clicks, 1);
  EXPECT_EQ(by_group->key_totals[1].sales.halo_sales_micros, 700'000);
  // Older events have no target, placement or search term.
  for (auto [d, key] : {std::pair{Dimension::kTarget, "(none)"},
                        std::pair{Dimension::kPlacement, "unspecified"},
                        std::pair{Dimension::kSearchTerm, "(none)"}}) {
    auto r = b->Sales("c1", kDay1, kDay1, 7, AdvertisesAll, d);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->key_totals.size(), 1u) << static_cast<int>(d);
    EXPECT_EQ(r->key_totals[0].key, key);
    EXPECT_EQ(r->key_totals[0].delivery.clicks, 3);
    EXPECT_EQ(r->key_totals[0].sales.sales_micros(), 3'000'000);
  }
  // A second start finds nothing left to compute and answers the same.
  b.reset();
  b = OpenReplica(conninfo, &clock);
  ASSERT_NE(b, nullptr);
  auto again = b->Sales("c1", kDay1, kDay1, 7, AdvertisesAll);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(SalesByDay(*again), SalesByDay(*report));
}

}  // namespace
}  // namespace gavel::billing::testing
