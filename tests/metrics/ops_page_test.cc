#include "metrics/ops_page.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gavel::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseOpsQuery, TakesPageAndSearchAndDefaultsBadPagesToOne) {
  EXPECT_EQ(ParseOpsQuery({{"page", "3"}, {"q", " c-shoes "}}).page, 3);
  EXPECT_EQ(ParseOpsQuery({{"page", "3"}, {"q", " c-shoes "}}).search, "c-shoes");
  EXPECT_EQ(ParseOpsQuery({{"page", "0"}}).page, 1);
  EXPECT_EQ(ParseOpsQuery({{"page", "-2"}}).page, 1);
  EXPECT_EQ(ParseOpsQuery({{"page", "x"}}).page, 1);
  EXPECT_EQ(ParseOpsQuery({}).page, 1);
  EXPECT_EQ(ParseOpsQuery({{"q", std::string(500, 'a')}}).search.size(), kMaxSearchBytes);
}

TEST(RenderOpsPage, EscapesCatalogTextAndCarriesExactValues) {
  OpsView v;
  v.campaigns = 1;
  v.matching = 1;
  v.search = "<x>";
  CampaignRow row;
  row.id = "c-1";
  row.name = "Bob's <b>\"best\"</b>";
  row.state = "exhausted";
  row.daily_budget_micros = 4'000'000;
  row.spent_today_micros = 3'999'999;
  row.clicks = 7;
  row.invalid_clicks = 2;
  v.rows.push_back(row);
  const std::string html = RenderOpsPage(v);
  EXPECT_THAT(html, HasSubstr("Bob&#39;s &lt;b&gt;&quot;best&quot;&lt;/b&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, HasSubstr("value=\"&lt;x&gt;\""));
  EXPECT_THAT(html, HasSubstr("data-campaign=\"c-1\" data-state=\"exhausted\" "
                              "data-spend-micros=\"3999999\" data-clicks=\"7\" "
                              "data-invalid-clicks=\"2\""));
  EXPECT_THAT(html, HasSubstr("3.99 / 4.00"));  // rounded down to cents
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("http://")));  // no external asset
  EXPECT_THAT(html, Not(HasSubstr("https://")));
}

TEST(RenderOpsPage, PagerLinksKeepTheSearchEncoded) {
  OpsView v;
  v.page = 2;
  v.pages = 3;
  v.search = "a b&c";
  const std::string html = RenderOpsPage(v);
  EXPECT_THAT(html, HasSubstr("href=\"/?page=1&amp;q=a%20b%26c\""));
  EXPECT_THAT(html, HasSubstr("href=\"/?page=3&amp;q=a%20b%26c\""));
}

TEST(RecentWindow, MeasuresFromTheOldestSampleWithinAMinute) {
  Registry r;
  GavelMetrics m(&r);
  RecentWindow w;
  const absl::Time t0 = absl::FromUnixSeconds(1'790'000'000);
  engine::AuctionResult result;
  m.RecordAuction({.nanos = 1'000'000}, result);  // before any sample: outside the window
  w.Sample(t0, m);
  for (int i = 0; i < 30; ++i) m.RecordAuction({.nanos = 400'000}, result);
  w.Sample(t0 + absl::Seconds(30), m);
  const RecentTraffic t = w.Last(t0 + absl::Seconds(30), m);
  EXPECT_DOUBLE_EQ(t.window_seconds, 30);
  EXPECT_DOUBLE_EQ(t.auctions_per_second, 1);
  EXPECT_GT(t.p50_seconds, 0.0003);  // within the (0.3 ms, 0.5 ms] bucket
  EXPECT_LE(t.p99_seconds, 0.0005);
  // 70 s on, the first sample is too old: the window starts at the second.
  const RecentTraffic later = w.Last(t0 + absl::Seconds(70), m);
  EXPECT_DOUBLE_EQ(later.window_seconds, 40);
  EXPECT_DOUBLE_EQ(later.auctions_per_second, 0);
}

}  // namespace
}  // namespace gavel::metrics
