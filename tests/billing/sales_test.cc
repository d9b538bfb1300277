// Purchases and click attribution over both stores (tests/billing/store_harness.h): the issue's
// scenarios, durability across a restart, and seeded random histories whose reports must equal
// the attribution rule applied to everything the test sent.
#include <random>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "billing/billing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/billing/billing_test_util.h"
#include "tests/billing/store_harness.h"

namespace gavel::billing {
namespace {

using ::testing::HasSubstr;
using testing::Click;
using testing::IngestOne;
using testing::kStart;
using testing::MakeBudget;
using testing::MakeConfig;
using testing::Zone;

const absl::CivilDay kDay1(2026, 6, 15);  // kStart's day

// adv1 advertises p1 and p2; adv2 advertises p1 and p3.
bool Advertises(absl::string_view advertiser, absl::string_view product) {
  if (advertiser == "adv1") return product == "p1" || product == "p2";
  if (advertiser == "adv2") return product == "p1" || product == "p3";
  return false;
}

class SalesTest : public ::testing::TestWithParam<testing::StoreKind> {
 protected:
  void SetUp() override {
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    billing_ = testing::OpenStore(GetParam(), MakeConfig(""), &clock_, name_);
    ASSERT_NE(billing_, nullptr);
    ASSERT_TRUE(billing_->UpsertCampaign(MakeBudget({.pacing = false})).ok());
  }

  // A charged click at `at` by `user` on `product`'s ad of `campaign`.
  AttributedClick ClickAt(absl::Time at, std::string user, std::string product,
                          std::string campaign = "c1", std::string advertiser = "adv1") {
    clock_.Set(at);
    WinnerInfo w{.auction_id = absl::StrCat("a", ++seq_),
                 .ad_id = absl::StrCat("ad-", campaign, "-", product),
                 .ad_group_id = "g1",
                 .campaign_id = campaign,
                 .advertiser_id = advertiser,
                 .product_id = product,
                 .price_micros = 1'000'000,
                 .user_id = user};
    const std::string id = absl::StrCat("click", seq_);
    EventResult r = IngestOne(*billing_, Click(id, billing_->issuer().Issue(w)->click_token, user));
    EXPECT_EQ(r.outcome, Outcome::kCharged) << r.detail;
    return {.client_event_id = id,
            .time = at,
            .user_hash = 0,
            .campaign_id = campaign,
            .product_id = product,
            .advertiser_id = advertiser};
  }

  static Purchase Sale(std::string order, std::string user, absl::Time at,
                       std::vector<LineItem> items) {
    for (LineItem& i : items) {
      if (i.currency.empty()) i.currency = "USD";
      if (i.line == 0) i.line = 1;
    }
    return {.order_id = std::move(order), .user_id = std::move(user), .time = at,
            .line_items = std::move(items)};
  }

  std::vector<PurchaseOutcome> Buy(const std::vector<Purchase>& purchases) {
    auto r = billing_->IngestPurchases(purchases);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<PurchaseOutcome>{};
  }

  SalesReport Report(absl::string_view campaign, absl::CivilDay from, absl::CivilDay to,
                     int window_days = 7) {
    auto r = billing_->Sales(campaign, from, to, window_days, Advertises);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : SalesReport{};
  }

  void Reopen() {
    billing_.reset();
    billing_ = testing::OpenStore(GetParam(), MakeConfig(""), &clock_, name_, /*fresh=*/false);
    ASSERT_NE(billing_, nullptr);
    ASSERT_TRUE(billing_->UpsertCampaign(MakeBudget({.pacing = false})).ok());
  }

  std::string name_;
  int seq_ = 0;
  SimulatedClock clock_{kStart};
  std::unique_ptr<Billing> billing_;
};

TEST_P(SalesTest, ClickThenSameProductPurchaseTwoDaysLaterIsOneOrderAndAReplayChangesNothing) {
  ClickAt(kStart, "u1", "p1");
  clock_.Set(kStart + absl::Hours(48));
  const Purchase sale =
      Sale("o1", "u1", kStart + absl::Hours(48), {{.product_id = "p1", .quantity = 2,
                                                   .price_micros = 12'500'000}});
  EXPECT_THAT(Buy({sale}), ::testing::ElementsAre(PurchaseOutcome::kRecorded));
  SalesReport r = Report("c1", kDay1, kDay1 + 2);
  ASSERT_EQ(r.days.size(), 3u);
  EXPECT_EQ(r.days[0].sales.orders, 1);
  EXPECT_EQ(r.days[0].sales.same_product_sales_micros, 25'000'000);
  EXPECT_EQ(r.days[2].sales.sales_micros(), 0);  // sales count on the click's day
  EXPECT_EQ(r.total.sales.orders, 1);
  EXPECT_EQ(r.total.sales.halo_sales_micros, 0);
  EXPECT_DOUBLE_EQ(*MetricsOf(r.total).acos, 1'000'000.0 / 25'000'000.0);

  Purchase changed = sale;
  changed.line_items[0].quantity = 9;
  EXPECT_THAT(Buy({sale, changed}),
              ::testing::ElementsAre(PurchaseOutcome::kDuplicate, PurchaseOutcome::kDuplicate));
  EXPECT_EQ(Report("c1", kDay1, kDay1 + 2).total.sales.same_product_sales_micros, 25'000'000);
}

TEST_P(SalesTest, APurchaseEightDaysAfterOrBeforeTheClickIsNotAttributed) {
  const absl::Time click = kStart + absl::Hours(1);
  clock_.Set(click + absl::Hours(24 * 8));
  ClickAt(click, "u1", "p1");
  clock_.Set(click + absl::Hours(24 * 8));
  Buy({Sale("before", "u1", click - absl::Minutes(1), {{.product_id = "p1", .quantity = 1,
                                                        .price_micros = 5}}),
       Sale("late", "u1", click + absl::Hours(24 * 8), {{.product_id = "p1", .quantity = 1,
                                                        .price_micros = 7}})});
  EXPECT_EQ(Report("c1", kDay1, kDay1 + 8).total.sales.sales_micros(), 0);
  // The 14-day window reaches the late one.
  EXPECT_EQ(Report("c1", kDay1, kDay1 + 8, 14).total.sales.sales_micros(), 7);
}

TEST_P(SalesTest, HaloSalesAreCountedSeparatelyAndOnlyForTheAdvertisersProducts) {
  ClickAt(kStart, "u1", "p1");
  clock_.Set(kStart + absl::Hours(2));
  Buy({Sale("o1", "u1", clock_.Now(),
            {{.line = 1, .product_id = "p2", .quantity = 1, .price_micros = 30},
             {.line = 2, .product_id = "p3", .quantity = 1, .price_micros = 40},
             {.line = 3, .product_id = "p1", .quantity = 1, .price_micros = 50}})});
  SalesReport r = Report("c1", kDay1, kDay1);
  EXPECT_EQ(r.total.sales.same_product_sales_micros, 50);
  EXPECT_EQ(r.total.sales.halo_sales_micros, 30);  // p3 is not adv1's
  EXPECT_EQ(r.total.sales.orders, 1);
}

TEST_P(SalesTest, RefundsReduceSales) {
  ClickAt(kStart, "u1", "p1");
  clock_.Set(kStart + absl::Hours(2));
  Buy({Sale("o1", "u1", clock_.Now(), {{.product_id = "p1", .quantity = 3, .price_micros = 10}})});
  Purchase refund = Sale("o1", "u1", clock_.Now() + absl::Hours(20),
                         {{.line = 2, .product_id = "p1", .quantity = -1, .price_micros = 10}});
  refund.kind = PurchaseKind::kRefund;
  clock_.Set(kStart + absl::Hours(24));
  EXPECT_THAT(Buy({refund}), ::testing::ElementsAre(PurchaseOutcome::kRecorded));
  SalesReport r = Report("c1", kDay1, kDay1 + 1);
  EXPECT_EQ(r.total.sales.same_product_sales_micros, 20);
  EXPECT_EQ(r.total.sales.orders, 1);
}

TEST_P(SalesTest, TwoClicksThenOnePurchaseIsOneAttributionToTheLastClick) {
  ClickAt(kStart, "u1", "p1");
  ClickAt(kStart + absl::Hours(26), "u1", "p1");
  clock_.Set(kStart + absl::Hours(30));
  Buy({Sale("o1", "u1", clock_.Now(), {{.product_id = "p1", .quantity = 1, .price_micros = 99}})});
  SalesReport r = Report("c1", kDay1, kDay1 + 1);
  EXPECT_EQ(r.days[0].sales.sales_micros(), 0);
  EXPECT_EQ(r.days[1].sales.same_product_sales_micros, 99);
  EXPECT_EQ(r.days[1].sales.orders, 1);
  EXPECT_EQ(r.total.sales.orders, 1);
}

TEST_P(SalesTest, A2330NewYorkClickLandsOnItsLocalDayAcrossDstChanges) {
  const absl::TimeZone ny = Zone("America/New_York");
  ASSERT_TRUE(billing_->UpsertCampaign(MakeBudget({.campaign_id = "ny", .time_zone = ny,
                                                   .pacing = false}))
                  .ok());
  // 2026-11-01 is the day New York falls back (EDT -> EST); 23:30 EST is 04:30 UTC next day.
  const absl::Time click = absl::FromCivil(absl::CivilSecond(2026, 11, 1, 23, 30, 0), ny);
  ClickAt(click, "u1", "p1", "ny");
  clock_.Set(click + absl::Hours(1));
  Buy({Sale("o1", "u1", clock_.Now(), {{.product_id = "p1", .quantity = 1, .price_micros = 77}})});
  SalesReport r = Report("ny", absl::CivilDay(2026, 11, 1), absl::CivilDay(2026, 11, 2));
  ASSERT_EQ(r.days.size(), 2u);
  EXPECT_EQ(r.days[0].delivery.clicks, 1);
  EXPECT_EQ(r.days[0].sales.same_product_sales_micros, 77);
  EXPECT_EQ(r.days[1].sales.sales_micros(), 0);
}

TEST_P(SalesTest, ReportDeliveryEqualsTheCampaignsDailyStats) {
  ClickAt(kStart, "u1", "p1");
  ClickAt(kStart + absl::Hours(25), "u2", "p2");
  ClickAt(kStart + absl::Hours(27), "u3", "p1");
  SalesReport r = Report("c1", kDay1, kDay1 + 2);
  auto stats = billing_->Stats("c1", kDay1, kDay1 + 2);
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(r.days.size(), stats->days.size());
  StatsCounters sum;
  for (size_t i = 0; i < r.days.size(); ++i) {
    EXPECT_EQ(r.days[i].date, stats->days[i].date);
    EXPECT_EQ(r.days[i].delivery.clicks, stats->days[i].counters.clicks);
    EXPECT_EQ(r.days[i].delivery.spend_micros, stats->days[i].counters.spend_micros);
    sum += r.days[i].delivery;
  }
  EXPECT_EQ(sum.clicks, 3);
  EXPECT_EQ(r.total.delivery.clicks, 3);
  EXPECT_EQ(r.total.delivery.spend_micros, 3'000'000);
}

TEST_P(SalesTest, InvalidPurchasesAreInvalidArgumentNamingTheFieldAndChangeNothing) {
  ClickAt(kStart, "u1", "p1");
  const Purchase good =
      Sale("o1", "u1", kStart, {{.product_id = "p1", .quantity = 1, .price_micros = 10}});
  Purchase negative = good;
  negative.line_items[0].quantity = -1;
  Purchase euro = good;
  euro.line_items[0].currency = "EUR";
  std::vector<Purchase> oversized(kMaxPurchasesPerRequest + 1, good);
  struct Case {
    std::vector<Purchase> batch;
    std::string message;
  } cases[] = {
      {{good, negative},
       "purchases[1].line_items[0].quantity must be in [1, 10000] in a sale, got -1"},
      {{euro}, "purchases[0].line_items[0].currency must be the marketplace currency \"USD\", "
               "got \"EUR\""},
      {oversized, "purchases must hold 1-100 purchases, got 101"},
  };
  for (const Case& c : cases) {
    auto r = billing_->IngestPurchases(c.batch);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message);
  }
  EXPECT_EQ(Report("c1", kDay1, kDay1).total.sales.orders, 0);
  EXPECT_THAT(Buy({good}), ::testing::ElementsAre(PurchaseOutcome::kRecorded));
}

TEST_P(SalesTest, PurchasesAndTheirAttributionSurviveARestart) {
  ClickAt(kStart, "u1", "p1");
  clock_.Set(kStart + absl::Hours(1));
  const Purchase sale =
      Sale("o1", "u1", clock_.Now(), {{.product_id = "p1", .quantity = 4, .price_micros = 25}});
  Buy({sale});
  ASSERT_TRUE(billing_->Snapshot().ok());
  ClickAt(kStart + absl::Hours(3), "u2", "p1");
  clock_.Set(kStart + absl::Hours(4));
  const Purchase after_snapshot =
      Sale("o2", "u2", clock_.Now(), {{.product_id = "p1", .quantity = 1, .price_micros = 1}});
  Buy({after_snapshot});
  Reopen();
  EXPECT_THAT(Buy({sale, after_snapshot}),
              ::testing::ElementsAre(PurchaseOutcome::kDuplicate, PurchaseOutcome::kDuplicate));
  SalesReport r = Report("c1", kDay1, kDay1);
  EXPECT_EQ(r.total.sales.same_product_sales_micros, 101);
  EXPECT_EQ(r.total.sales.orders, 2);
}

TEST_P(SalesTest, SeededRandomHistoriesReportWhatTheRuleGivesOverEverythingSent) {
  const char* products[] = {"p1", "p2", "p3"};
  const char* users[] = {"u1", "u2", "u3", "u4"};
  std::mt19937_64 gen(17);
  std::vector<AttributedClick> clicks;
  std::vector<PurchaseLine> lines;
  std::vector<std::string> campaigns = {"c1", "c2"};
  ASSERT_TRUE(billing_->UpsertCampaign(MakeBudget({.campaign_id = "c2", .pacing = false})).ok());
  const TokenVerifier verifier(testing::TestKeys());
  auto hash = [&](const std::string& user) { return verifier.UserHash("k1", user); };
  absl::Time t = kStart;
  int late_clicks = 0, refunds = 0;
  for (int i = 0; i < 160; ++i) {
    t += absl::Minutes(absl::Uniform(gen, 61, 60 * 30));
    if (i == 80) {
      Reopen();  // what the index keeps is rebuilt from the ledger or read from the database
      ASSERT_TRUE(
          billing_->UpsertCampaign(MakeBudget({.campaign_id = "c2", .pacing = false})).ok());
    }
    const std::string user = users[absl::Uniform(gen, 0, 4)];
    const std::string product = products[absl::Uniform(gen, 0, 3)];
    if (absl::Bernoulli(gen, 0.5)) {
      const std::string campaign = campaigns[absl::Uniform(gen, 0, 2)];
      AttributedClick c = ClickAt(t, user, product, campaign, campaign == "c1" ? "adv1" : "adv2");
      c.user_hash = hash(user);
      c.day = DayIndex(t, absl::UTCTimeZone());
      clicks.push_back(c);
    } else if (!lines.empty() && absl::Bernoulli(gen, 0.2)) {
      // A refund of one unit of an earlier line, under its order with a new line number.
      const PurchaseLine sold = lines[absl::Uniform<size_t>(gen, 0, lines.size())];
      clock_.Set(t);
      const int32_t line = 100 + i;
      Purchase refund{.kind = PurchaseKind::kRefund, .order_id = sold.order_id,
                      .user_id = "", .time = t,
                      .line_items = {{.line = line, .product_id = sold.product_id,
                                      .quantity = -1, .price_micros = sold.price_micros,
                                      .currency = "USD"}}};
      for (const char* u : users) {
        if (hash(u) == sold.user_hash) refund.user_id = u;
      }
      Buy({refund});
      lines.push_back({.order_id = sold.order_id, .line = line, .user_hash = sold.user_hash,
                       .product_id = sold.product_id, .quantity = -1,
                       .price_micros = sold.price_micros, .time = t});
      ++refunds;
    } else {
      clock_.Set(t);
      const int64_t qty = absl::Uniform(gen, 1, 4);
      const int64_t price = absl::Uniform(gen, 1, 1000);
      // Orders are reported up to a day late, stamped with when they happened; or stamped up
      // to 4 minutes ahead of the server's clock (clock skew), and then the shopper's click a
      // minute later arrives after the purchase it precedes (a late click).
      const bool ahead = absl::Bernoulli(gen, 0.1);
      const absl::Time when = ahead ? t + absl::Minutes(absl::Uniform(gen, 2, 5))
                                    : t - absl::Minutes(absl::Uniform(gen, 0, 24 * 60));
      Buy({Sale(absl::StrCat("o", i), user, when,
                {{.product_id = product, .quantity = qty, .price_micros = price}})});
      lines.push_back({.order_id = absl::StrCat("o", i), .line = 1, .user_hash = hash(user),
                       .product_id = product, .quantity = qty, .price_micros = price,
                       .time = when});
      if (ahead) {
        t += absl::Minutes(1);
        const std::string campaign = campaigns[absl::Uniform(gen, 0, 2)];
        AttributedClick c =
            ClickAt(t, user, product, campaign, campaign == "c1" ? "adv1" : "adv2");
        c.user_hash = hash(user);
        c.day = DayIndex(t, absl::UTCTimeZone());
        clicks.push_back(c);
        ++late_clicks;
      }
    }
  }
  EXPECT_GT(late_clicks, 0);
  EXPECT_GT(refunds, 0);
  const absl::CivilDay last = absl::CivilDay(1970, 1, 1) + DayIndex(t, absl::UTCTimeZone());
  for (const std::string& campaign : campaigns) {
    for (int window : kAttributionWindowDays) {
      auto stats = billing_->Stats(campaign, kDay1, last);
      ASSERT_TRUE(stats.ok());
      SalesReport want = BuildSalesReport(campaign, *stats, clicks, lines,
                                          Attribute(clicks, lines, absl::Hours(24) * window,
                                                    Advertises));
      SalesReport got = Report(campaign, kDay1, last, window);
      ASSERT_EQ(got.days.size(), want.days.size());
      for (size_t d = 0; d < want.days.size(); ++d) {
        EXPECT_EQ(got.days[d].sales.orders, want.days[d].sales.orders) << campaign << " " << d;
        EXPECT_EQ(got.days[d].sales.same_product_sales_micros,
                  want.days[d].sales.same_product_sales_micros)
            << campaign << " " << d;
        EXPECT_EQ(got.days[d].sales.halo_sales_micros, want.days[d].sales.halo_sales_micros)
            << campaign << " " << d;
      }
      EXPECT_EQ(got.total.sales.orders, want.total.sales.orders);
      EXPECT_EQ(got.total.sales.sales_micros(), want.total.sales.sales_micros());
      EXPECT_GT(want.total.sales.sales_micros(), 0) << campaign << " " << window;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, SalesTest, testing::AllStores(), testing::StoreName);

}  // namespace
}  // namespace gavel::billing
