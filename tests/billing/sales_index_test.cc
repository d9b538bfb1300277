// The embedded store's sales index (billing/sales_index.h): reports from the candidates it keeps
// at ingest equal the rule (Attribute) applied to everything, whatever order clicks and lines
// arrive in (late clicks, refunds, ties, window edges), for every window, and after a restore.
#include "billing/sales_index.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace gavel::billing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'780'000'000);
const absl::CivilDay kEpoch(1970, 1, 1);

int64_t DayOf(absl::Time t) { return (t - absl::UnixEpoch()) / absl::Hours(24); }

// Days [from, to] with zero delivery: the sales side is what the index computes.
CampaignStats DaysOf(int64_t from, int64_t to) {
  CampaignStats stats;
  stats.total.date = kEpoch + from;
  for (int64_t d = from; d <= to; ++d) stats.days.push_back({.date = kEpoch + d});
  return stats;
}

void ExpectSameSales(const SalesReport& got, const SalesReport& want, const std::string& what) {
  ASSERT_EQ(got.days.size(), want.days.size()) << what;
  for (size_t d = 0; d < want.days.size(); ++d) {
    EXPECT_EQ(got.days[d].sales.orders, want.days[d].sales.orders) << what << " day " << d;
    EXPECT_EQ(got.days[d].sales.same_product_sales_micros,
              want.days[d].sales.same_product_sales_micros)
        << what << " day " << d;
    EXPECT_EQ(got.days[d].sales.halo_sales_micros, want.days[d].sales.halo_sales_micros)
        << what << " day " << d;
  }
  EXPECT_EQ(got.total.sales.orders, want.total.sales.orders) << what;
  EXPECT_EQ(got.total.sales.same_product_sales_micros,
            want.total.sales.same_product_sales_micros)
      << what;
  EXPECT_EQ(got.total.sales.halo_sales_micros, want.total.sales.halo_sales_micros) << what;
}

struct History {
  std::vector<AttributedClick> clicks;
  std::vector<PurchaseLine> lines;
};

// Clicks and lines of 5 shoppers over ~70 days on a 6-hour grid (so times tie and purchases
// fall exactly on window edges), 3 campaigns of 3 advertisers, 4 products, refunds included.
History RandomHistory(std::mt19937_64& gen) {
  History h;
  const char* products[] = {"p1", "p2", "p3", "p4"};
  const char* advertisers[] = {"adv1", "adv2", "adv3"};
  const int n = absl::Uniform(gen, 20, 160);
  for (int i = 0; i < n; ++i) {
    const absl::Time t = kT0 + absl::Hours(6) * absl::Uniform(gen, 0, 4 * 70);
    const uint64_t user = absl::Uniform<uint64_t>(gen, 1, 6);
    const std::string product = products[absl::Uniform(gen, 0, 4)];
    if (absl::Bernoulli(gen, 0.5)) {
      const int a = absl::Uniform(gen, 0, 3);
      h.clicks.push_back({.client_event_id = absl::StrCat("e", absl::Uniform(gen, 0, 1000)),
                          .time = t,
                          .user_hash = user,
                          .campaign_id = absl::StrCat("c", a + 1),
                          .ad_group_id = "g1",
                          .ad_id = absl::StrCat("ad-", product),
                          .product_id = product,
                          .advertiser_id = advertisers[a],
                          .day = DayOf(t)});
    } else {
      const bool refund = absl::Bernoulli(gen, 0.2);
      h.lines.push_back({.order_id = absl::StrCat("o", absl::Uniform(gen, 0, n / 2 + 1)),
                         .line = i + 1,
                         .user_hash = user,
                         .product_id = product,
                         .quantity = refund ? -1 : absl::Uniform<int64_t>(gen, 1, 4),
                         .price_micros = absl::Uniform<int64_t>(gen, 1, 1000),
                         .time = t});
    }
  }
  return h;
}

// Adds the history's clicks and lines in a random interleaving (so clicks often arrive after
// purchases they precede).
void AddShuffled(const History& h, std::mt19937_64& gen, SalesIndex* index) {
  std::vector<int> order;  // >= 0: a click, < 0: ~line
  for (size_t i = 0; i < h.clicks.size(); ++i) order.push_back(static_cast<int>(i));
  for (size_t i = 0; i < h.lines.size(); ++i) order.push_back(~static_cast<int>(i));
  std::shuffle(order.begin(), order.end(), gen);
  for (int o : order) {
    if (o >= 0) {
      index->AddClick(h.clicks[o]);
    } else {
      EXPECT_TRUE(index->AddLine(h.lines[~o]));
    }
  }
}

TEST(SalesIndex, ReportsEqualTheRuleOverEverythingForAnyArrivalOrderWindowAndCatalog) {
  std::mt19937_64 gen(2026);
  int attributed = 0;
  for (int round = 0; round < 150; ++round) {
    const History h = RandomHistory(gen);
    // A random catalog: which advertiser advertises which product.
    const uint32_t catalog = absl::Uniform<uint32_t>(gen, 0, 1 << 12);
    AdvertisesFn advertises = [catalog](absl::string_view adv, absl::string_view product) {
      const int a = adv.back() - '1', p = product.back() - '1';
      return (catalog >> (a * 4 + p) & 1) != 0;
    };
    SalesIndex index;
    AddShuffled(h, gen, &index);
    const int64_t first = DayOf(kT0), last = DayOf(kT0 + absl::Hours(24 * 71));
    for (const char* campaign : {"c1", "c2", "c3"}) {
      for (int window : kAttributionWindowDays) {
        const absl::Duration w = absl::Hours(24) * window;
        const std::vector<Attribution> all = Attribute(h.clicks, h.lines, w, advertises);
        attributed += static_cast<int>(all.size());
        // The whole history, and a range that cuts it.
        for (auto [from, to] : {std::pair{first, last}, std::pair{first + 10, first + 40}}) {
          const CampaignStats stats = DaysOf(from, to);
          ExpectSameSales(index.Report(campaign, stats, w, advertises),
                          BuildSalesReport(campaign, stats, h.clicks, h.lines, all),
                          absl::StrCat("round ", round, " ", campaign, " window ", window));
        }
      }
    }
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(attributed, 1000);  // the histories do exercise attribution
}

TEST(SalesIndex, ARestoredIndexReportsTheSame) {
  std::mt19937_64 gen(7);
  const History h = RandomHistory(gen);
  SalesIndex index;
  AddShuffled(h, gen, &index);
  std::string bytes;
  index.Serialize(&bytes);
  SalesIndex restored;
  internal::ByteReader in(bytes);
  ASSERT_TRUE(restored.Restore(&in, /*with_dimensions=*/true));
  auto all = [](absl::string_view, absl::string_view) { return true; };
  const CampaignStats stats = DaysOf(DayOf(kT0), DayOf(kT0) + 70);
  for (int window : kAttributionWindowDays) {
    const absl::Duration w = absl::Hours(24) * window;
    ExpectSameSales(restored.Report("c1", stats, w, all), index.Report("c1", stats, w, all),
                    absl::StrCat("window ", window));
  }
}

TEST(SalesIndex, AClickArrivingAfterThePurchaseItPrecedesTakesItFromAnEarlierClick) {
  SalesIndex index;
  auto click = [](std::string id, absl::Duration at, std::string campaign) {
    return AttributedClick{.client_event_id = std::move(id), .time = kT0 + at, .user_hash = 9,
                           .campaign_id = std::move(campaign), .product_id = "p1",
                           .advertiser_id = "adv1", .day = DayOf(kT0 + at)};
  };
  auto all = [](absl::string_view, absl::string_view) { return true; };
  index.AddClick(click("early", absl::ZeroDuration(), "c1"));
  ASSERT_TRUE(index.AddLine({.order_id = "o1", .line = 1, .user_hash = 9, .product_id = "p1",
                             .quantity = 2, .price_micros = 5, .time = kT0 + absl::Hours(48)}));
  const CampaignStats stats = DaysOf(DayOf(kT0), DayOf(kT0) + 3);
  const absl::Duration week = absl::Hours(24 * 7);
  EXPECT_EQ(index.Report("c1", stats, week, all).total.sales.same_product_sales_micros, 10);
  index.AddClick(click("late", absl::Hours(24), "c2"));
  EXPECT_EQ(index.Report("c1", stats, week, all).total.sales.same_product_sales_micros, 0);
  EXPECT_EQ(index.Report("c1", stats, week, all).total.sales.orders, 0);
  EXPECT_EQ(index.Report("c2", stats, week, all).total.sales.same_product_sales_micros, 10);
  EXPECT_EQ(index.Report("c2", stats, week, all).total.sales.orders, 1);
}

}  // namespace
}  // namespace gavel::billing
