// The attribution rule and the sales report arithmetic (billing/attribution.h), store-free.
#include "billing/attribution.h"

#include <optional>
#include <random>
#include <tuple>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace gavel::billing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'780'000'000);
const absl::Duration kWeek = absl::Hours(7 * 24);

AttributedClick MakeClick(std::string id, absl::Duration at, std::string product,
                          std::string advertiser = "adv1", uint64_t user = 7,
                          std::string campaign = "c1") {
  return {.client_event_id = std::move(id),
          .time = kT0 + at,
          .user_hash = user,
          .campaign_id = std::move(campaign),
          .ad_id = "ad-" + product,
          .product_id = product,
          .advertiser_id = std::move(advertiser),
          .day = (kT0 + at - absl::UnixEpoch()) / absl::Hours(24)};
}

PurchaseLine MakeLine(std::string order, absl::Duration at, std::string product,
                      int64_t quantity = 1, int64_t price = 10'000'000, uint64_t user = 7) {
  return {.order_id = std::move(order),
          .line = 1,
          .user_hash = user,
          .product_id = std::move(product),
          .quantity = quantity,
          .price_micros = price,
          .time = kT0 + at};
}

// adv1 advertises p1 and p2; adv2 advertises p1 and p3.
bool Advertises(absl::string_view advertiser, absl::string_view product) {
  if (advertiser == "adv1") return product == "p1" || product == "p2";
  if (advertiser == "adv2") return product == "p1" || product == "p3";
  return false;
}

std::vector<Attribution> AttributeAll(const std::vector<AttributedClick>& clicks,
                             const std::vector<PurchaseLine>& lines,
                             absl::Duration window = kWeek) {
  return Attribute(clicks, lines, window, Advertises);
}

TEST(Attribute, SameProductPurchaseTwoDaysAfterTheClickGoesToIt) {
  auto a = AttributeAll({MakeClick("e1", absl::ZeroDuration(), "p1")},
               {MakeLine("o1", absl::Hours(48), "p1")});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].line, 0u);
  EXPECT_EQ(a[0].click, 0u);
  EXPECT_EQ(a[0].kind, SaleKind::kSameProduct);
}

TEST(Attribute, APurchaseBeforeTheClickOrFromTheWindowsEndOnIsNotAttributed) {
  std::vector<AttributedClick> clicks = {MakeClick("e1", absl::Hours(1), "p1")};
  EXPECT_TRUE(AttributeAll(clicks, {MakeLine("o1", absl::Hours(1) - absl::Microseconds(1), "p1")}).empty());
  EXPECT_TRUE(AttributeAll(clicks, {MakeLine("o1", absl::Hours(1) + kWeek, "p1")}).empty());
  EXPECT_TRUE(AttributeAll(clicks, {MakeLine("o1", absl::Hours(1 + 8 * 24), "p1")}).empty());
  // The click's own microsecond and the last microsecond of the window count.
  EXPECT_EQ(AttributeAll(clicks, {MakeLine("o1", absl::Hours(1), "p1")}).size(), 1u);
  EXPECT_EQ(
      AttributeAll(clicks, {MakeLine("o1", absl::Hours(1) + kWeek - absl::Microseconds(1), "p1")}).size(),
      1u);
  // A one-day window ends sooner.
  EXPECT_TRUE(AttributeAll(clicks, {MakeLine("o1", absl::Hours(26), "p1")}, absl::Hours(24)).empty());
}

TEST(Attribute, TwoClicksThenOnePurchaseCreditsOnlyTheLastClick) {
  auto a = AttributeAll({MakeClick("e1", absl::ZeroDuration(), "p1"), MakeClick("e2", absl::Hours(5), "p1")},
               {MakeLine("o1", absl::Hours(6), "p1")});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].click, 1u);
}

TEST(Attribute, ClicksAtTheSameMicrosecondAreOrderedByEventId) {
  auto a = AttributeAll({MakeClick("e9", absl::Hours(1), "p1"), MakeClick("e2", absl::Hours(1), "p1")},
               {MakeLine("o1", absl::Hours(6), "p1")});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].click, 0u);  // "e9" > "e2"
}

TEST(Attribute, OtherProductOfTheSameAdvertiserIsHaloAndAnEarlierSameProductClickBeatsIt) {
  std::vector<AttributedClick> halo_only = {MakeClick("e1", absl::Hours(1), "p2")};
  auto a = AttributeAll(halo_only, {MakeLine("o1", absl::Hours(3), "p1")});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, SaleKind::kHalo);
  auto b = AttributeAll({MakeClick("e0", absl::ZeroDuration(), "p1"), halo_only[0]},
               {MakeLine("o1", absl::Hours(3), "p1")});
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].click, 0u);
  EXPECT_EQ(b[0].kind, SaleKind::kSameProduct);
}

TEST(Attribute, HaloNeedsTheClicksAdvertiserToAdvertiseThePurchasedProduct) {
  // adv1 does not advertise p3; adv2 does.
  EXPECT_TRUE(AttributeAll({MakeClick("e1", absl::Hours(1), "p2", "adv1")},
                  {MakeLine("o1", absl::Hours(3), "p3")})
                  .empty());
  auto a = AttributeAll({MakeClick("e1", absl::Hours(1), "p2", "adv1"),
                MakeClick("e0", absl::ZeroDuration(), "p1", "adv2")},
               {MakeLine("o1", absl::Hours(3), "p3")});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].click, 1u);
  EXPECT_EQ(a[0].kind, SaleKind::kHalo);
}

TEST(Attribute, SeveralAdvertisersOfOneProductTheLatestSameProductClickWins) {
  auto a = AttributeAll({MakeClick("e1", absl::Hours(1), "p1", "adv1"),
                MakeClick("e2", absl::Hours(2), "p1", "adv2")},
               {MakeLine("o1", absl::Hours(3), "p1")});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].click, 1u);
}

TEST(Attribute, AnotherShoppersClickIsNeverCredited) {
  EXPECT_TRUE(AttributeAll({MakeClick("e1", absl::Hours(1), "p1", "adv1", /*user=*/8)},
                  {MakeLine("o1", absl::Hours(3), "p1")})
                  .empty());
}

CampaignStats OneDay(absl::CivilDay day, StatsCounters c) {
  CampaignStats s;
  s.days.push_back({.date = day, .counters = c});
  s.total = {.date = day, .counters = c};
  return s;
}

TEST(BuildSalesReport, PartialRefundReducesSalesAndCountsNoExtraOrder) {
  std::vector<AttributedClick> clicks = {MakeClick("e1", absl::ZeroDuration(), "p1")};
  PurchaseLine sale = MakeLine("o1", absl::Hours(2), "p1", 3, 10'000'000);
  PurchaseLine refund = MakeLine("o1", absl::Hours(30), "p1", -1, 10'000'000);
  refund.line = 2;
  std::vector<PurchaseLine> lines = {sale, refund};
  const absl::CivilDay day = absl::CivilDay(1970, 1, 1) + clicks[0].day;
  SalesReport r = BuildSalesReport("c1", OneDay(day, {.clicks = 1, .spend_micros = 5'000'000}),
                                   clicks, lines, AttributeAll(clicks, lines));
  ASSERT_EQ(r.days.size(), 1u);
  EXPECT_EQ(r.days[0].sales.same_product_sales_micros, 20'000'000);
  EXPECT_EQ(r.days[0].sales.orders, 1);
  EXPECT_EQ(r.total.sales.sales_micros(), 20'000'000);
  SalesMetrics m = MetricsOf(r.total);
  EXPECT_DOUBLE_EQ(*m.acos, 0.25);
  EXPECT_DOUBLE_EQ(*m.roas, 4.0);
  EXPECT_DOUBLE_EQ(m.cvr, 1.0);
  EXPECT_EQ(m.average_cpc_micros, 5'000'000);
}

TEST(BuildSalesReport, OnlyTheCampaignsClicksOnTheRangesDaysCount) {
  std::vector<AttributedClick> clicks = {
      MakeClick("e1", absl::ZeroDuration(), "p1", "adv1", 7, "c2"),
      MakeClick("e2", absl::ZeroDuration(), "p1", "adv1", 8, "c1")};
  std::vector<PurchaseLine> lines = {MakeLine("o1", absl::Hours(1), "p1", 1, 10, 7),
                                     MakeLine("o2", absl::Hours(1), "p1", 1, 20, 8)};
  const absl::CivilDay day = absl::CivilDay(1970, 1, 1) + clicks[0].day;
  SalesReport r =
      BuildSalesReport("c1", OneDay(day, {}), clicks, lines, AttributeAll(clicks, lines));
  EXPECT_EQ(r.total.sales.same_product_sales_micros, 20);
  SalesReport other_day =
      BuildSalesReport("c1", OneDay(day + 1, {}), clicks, lines, AttributeAll(clicks, lines));
  EXPECT_EQ(other_day.total.sales.sales_micros(), 0);
}

TEST(MetricsOf, RatiosWithoutADenominatorAreUnsetOrZero) {
  SalesMetrics none = MetricsOf({});
  EXPECT_FALSE(none.acos.has_value());
  EXPECT_FALSE(none.roas.has_value());
  EXPECT_EQ(none.ctr, 0);
  EXPECT_EQ(none.cvr, 0);
  EXPECT_EQ(none.average_cpc_micros, 0);
  SalesDay refunds_only{.delivery = {.clicks = 1, .spend_micros = 100},
                        .sales = {.same_product_sales_micros = -50}};
  EXPECT_FALSE(MetricsOf(refunds_only).acos.has_value());
  EXPECT_DOUBLE_EQ(*MetricsOf(refunds_only).roas, -0.5);
}

TEST(CheckAttributionWindow, AcceptsOneSevenFourteenThirtyDaysOnly) {
  for (int d : {1, 7, 14, 30}) EXPECT_TRUE(CheckAttributionWindow(d, "w").ok()) << d;
  absl::Status st = CheckAttributionWindow(3, "attribution_window_days");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "attribution_window_days must be one of 1, 7, 14, 30, got 3");
}

// The rule restated as a brute force over every click, for random instances.
std::optional<std::pair<size_t, SaleKind>> Reference(const std::vector<AttributedClick>& clicks,
                                                     const PurchaseLine& l, absl::Duration w) {
  std::optional<size_t> same, halo;
  auto later = [&](std::optional<size_t> best, size_t i) {
    return !best || std::tie(clicks[i].time, clicks[i].client_event_id) >
                        std::tie(clicks[*best].time, clicks[*best].client_event_id);
  };
  for (size_t i = 0; i < clicks.size(); ++i) {
    const AttributedClick& c = clicks[i];
    if (c.user_hash != l.user_hash || c.time > l.time || l.time >= c.time + w) continue;
    if (c.product_id == l.product_id) {
      if (later(same, i)) same = i;
    } else if (Advertises(c.advertiser_id, l.product_id) && later(halo, i)) {
      halo = i;
    }
  }
  if (same) return std::make_pair(*same, SaleKind::kSameProduct);
  if (halo) return std::make_pair(*halo, SaleKind::kHalo);
  return std::nullopt;
}

TEST(Attribute, MatchesTheBruteForceRuleOnSeededRandomHistories) {
  const char* products[] = {"p1", "p2", "p3", "p4"};
  const char* advertisers[] = {"adv1", "adv2", "adv3"};
  for (int seed = 0; seed < 200; ++seed) {
    std::mt19937_64 gen(seed);
    std::vector<AttributedClick> clicks;
    std::vector<PurchaseLine> lines;
    const int n = absl::Uniform(gen, 0, 30);
    for (int i = 0; i < n; ++i) {
      clicks.push_back(MakeClick(absl::StrCat("e", absl::Uniform(gen, 0, 50)),
                                 absl::Hours(absl::Uniform(gen, 0, 24 * 40)),
                                 products[absl::Uniform(gen, 0, 4)],
                                 advertisers[absl::Uniform(gen, 0, 3)], absl::Uniform(gen, 1, 4)));
    }
    for (int i = 0; i < 20; ++i) {
      lines.push_back(MakeLine(absl::StrCat("o", i), absl::Hours(absl::Uniform(gen, 0, 24 * 45)),
                               products[absl::Uniform(gen, 0, 4)], absl::Uniform(gen, -2, 4), 5,
                               absl::Uniform(gen, 1, 4)));
    }
    const absl::Duration w = absl::Hours(24) * kAttributionWindowDays[seed % 4];
    std::vector<Attribution> got = Attribute(clicks, lines, w, Advertises);
    size_t next = 0;
    for (size_t l = 0; l < lines.size(); ++l) {
      auto want = Reference(clicks, lines[l], w);
      const bool attributed = next < got.size() && got[next].line == l;
      ASSERT_EQ(attributed, want.has_value()) << "seed " << seed << " line " << l;
      if (!attributed) continue;
      EXPECT_EQ(got[next].click, want->first) << "seed " << seed << " line " << l;
      EXPECT_EQ(got[next].kind, want->second) << "seed " << seed << " line " << l;
      ++next;
    }
    EXPECT_EQ(next, got.size());
  }
}

}  // namespace
}  // namespace gavel::billing
