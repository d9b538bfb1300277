// Sales reports by dimension (billing/dimensions.h) over both stores: seeded random histories
// whose rows add up to the campaign's report and whose per-key delivery is what the test sent;
// the search-term cap, folding and retention; the record encoding that carries the dimensions.
#include <map>
#include <tuple>
#include <random>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "billing/billing.h"
#include "billing/dimensions.h"
#include "billing/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/billing/billing_test_util.h"
#include "tests/billing/store_harness.h"

namespace gavel::billing {
namespace {

using ::testing::HasSubstr;
using testing::Click;
using testing::Impression;
using testing::kStart;
using testing::MakeBudget;
using testing::MakeConfig;

const absl::CivilDay kDay1(2026, 6, 15);  // kStart's day
constexpr Dimension kDimensions[] = {Dimension::kAdGroup, Dimension::kTarget,
                                     Dimension::kPlacement, Dimension::kSearchTerm};

bool AdvertisesAll(absl::string_view, absl::string_view) { return true; }

class DimensionReportTest : public ::testing::TestWithParam<testing::StoreKind> {
 protected:
  void SetUp() override { Open(/*fresh=*/true); }

  void Open(bool fresh) {
    billing_.reset();
    billing_ = testing::OpenStore(GetParam(), MakeConfig(""), &clock_,
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                                  fresh);
    ASSERT_NE(billing_, nullptr);
    ASSERT_TRUE(billing_->UpsertCampaign(MakeBudget({.pacing = false})).ok());
  }

  // One served ad's tokens at the clock's time.
  TokenPair Serve(const WinnerInfo& w) {
    auto pair = billing_->issuer().Issue(w);
    EXPECT_TRUE(pair.ok()) << pair.status();
    return pair.ok() ? *pair : TokenPair{};
  }

  SalesReport Report(Dimension d, absl::CivilDay from, absl::CivilDay to) {
    auto r = billing_->Sales("c1", from, to, 7, AdvertisesAll, d);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : SalesReport{};
  }

  // The rows of `r` for `key`, by local day.
  static std::map<absl::CivilDay, SalesDay> RowsOf(const SalesReport& r, const std::string& key) {
    std::map<absl::CivilDay, SalesDay> out;
    for (const SalesDay& row : r.rows) {
      if (row.key == key) out[row.date] = row;
    }
    return out;
  }

  int seq_ = 0;
  SimulatedClock clock_{kStart};
  std::unique_ptr<Billing> billing_;
};

void ExpectSumsEqualTotal(const SalesReport& r, const std::string& what) {
  for (const std::vector<SalesDay>* rows : {&r.rows, &r.key_totals}) {
    StatsCounters delivery;
    SalesCounters sales;
    for (const SalesDay& row : *rows) {
      delivery += row.delivery;
      sales.same_product_sales_micros += row.sales.same_product_sales_micros;
      sales.halo_sales_micros += row.sales.halo_sales_micros;
      sales.orders += row.sales.orders;
    }
    EXPECT_EQ(delivery.impressions, r.total.delivery.impressions) << what;
    EXPECT_EQ(delivery.clicks, r.total.delivery.clicks) << what;
    EXPECT_EQ(delivery.invalid_clicks, r.total.delivery.invalid_clicks) << what;
    EXPECT_EQ(delivery.budget_exhausted_clicks, r.total.delivery.budget_exhausted_clicks) << what;
    EXPECT_EQ(delivery.spend_micros, r.total.delivery.spend_micros) << what;
    EXPECT_EQ(sales.same_product_sales_micros, r.total.sales.same_product_sales_micros) << what;
    EXPECT_EQ(sales.halo_sales_micros, r.total.sales.halo_sales_micros) << what;
    // An order's lines may go to several keys: counted once per key, so at least once overall.
    EXPECT_GE(sales.orders, r.total.sales.orders) << what;
  }
}

TEST_P(DimensionReportTest, SeededRandomHistoriesRowsSumToTheCampaignReportAndKeysGetTheirOwn) {
  const char* ad_groups[] = {"g1", "g2"};
  const char* targets[] = {"t1", "t2", ""};
  const char* terms[] = {"red shoes", "running shoes", "socks", "shoe laces"};
  const char* users[] = {"u1", "u2", "u3", "u4", "u5", "u6"};
  std::mt19937_64 gen(23);
  // What the test sent and the store charged, per (dimension, local day, key).
  std::map<std::tuple<Dimension, absl::CivilDay, std::string>, StatsCounters> sent;
  // Everything sent, to attribute independently with Attribute (billing/attribution.h).
  const TokenVerifier verifier(testing::TestKeys());
  auto hash = [&](const std::string& user) { return verifier.UserHash("k1", user); };
  std::vector<AttributedClick> clicks;
  std::vector<PurchaseLine> lines;
  absl::Time t = kStart;
  int charged = 0, purchases = 0;
  for (int i = 0; i < 240; ++i) {
    t += absl::Minutes(absl::Uniform(gen, 5, 60 * 6));
    clock_.Set(t);
    if (i == 120) {
      ASSERT_TRUE(billing_->Snapshot().ok());
    }
    if (i == 160) Open(/*fresh=*/false);  // snapshot, then the ledger after it, replayed
    const std::string user = users[absl::Uniform(gen, 0, 6)];
    if (absl::Bernoulli(gen, 0.25)) {
      clock_.Set(t);
      const PurchaseLine line{.order_id = absl::StrCat("o", i), .line = 1,
                              .user_hash = hash(user),
                              .product_id = absl::StrCat("p", absl::Uniform(gen, 0, 3)),
                              .quantity = absl::Uniform(gen, 1, 3),
                              .price_micros = absl::Uniform(gen, 1'000, 9'000'000), .time = t};
      auto r = billing_->IngestPurchases(
          {{.order_id = line.order_id, .user_id = user, .time = t,
            .line_items = {{.line = 1, .product_id = line.product_id, .quantity = line.quantity,
                            .price_micros = line.price_micros, .currency = "USD"}}}});
      ASSERT_TRUE(r.ok()) << r.status();
      lines.push_back(line);
      ++purchases;
      continue;
    }
    const int32_t placement = absl::Uniform(gen, 1, 5);  // top/rest of search, product/category
    const bool search = placement <= 2;
    WinnerInfo w{.auction_id = absl::StrCat("a", i),
                 .slot = 1,
                 .ad_id = "ad1",
                 .ad_group_id = ad_groups[absl::Uniform(gen, 0, 2)],
                 .campaign_id = "c1",
                 .advertiser_id = "adv1",
                 .product_id = absl::StrCat("p", absl::Uniform(gen, 0, 3)),
                 .price_micros = absl::Uniform(gen, 10'000, 900'000),
                 .placement = placement,
                 .user_id = user,
                 .target_id = targets[absl::Uniform(gen, 0, 3)],
                 .search_term = search ? terms[absl::Uniform(gen, 0, 4)] : ""};
    const TokenPair tokens = Serve(w);
    std::vector<Event> events = {Impression(absl::StrCat("i", i), tokens.impression_token, user)};
    if (absl::Bernoulli(gen, 0.6)) {
      events.push_back(Click(absl::StrCat("c", i), tokens.click_token, user));
    }
    auto results = billing_->Ingest(events);
    ASSERT_TRUE(results.ok()) << results.status();
    StatsCounters delta;
    for (const EventResult& r : *results) {
      if (r.outcome == Outcome::kRecorded) ++delta.impressions;
      if (r.outcome == Outcome::kCharged) {
        ++delta.clicks;
        delta.spend_micros += r.charged_micros;
        ++charged;
        clicks.push_back({.client_event_id = absl::StrCat("c", i), .time = t,
                          .user_hash = hash(user), .campaign_id = "c1",
                          .ad_group_id = w.ad_group_id, .ad_id = w.ad_id,
                          .product_id = w.product_id, .advertiser_id = w.advertiser_id,
                          .day = DayIndex(t, absl::UTCTimeZone()), .placement = w.placement,
                          .target_id = w.target_id, .search_term = w.search_term});
      }
    }
    const absl::CivilDay day = absl::ToCivilDay(t, absl::UTCTimeZone());
    for (Dimension d : kDimensions) {
      StatsCounters& c = sent[{d, day,
                               RawDimensionKey(d, w.ad_group_id, w.target_id, w.placement,
                                               w.search_term)}];
      c.impressions += delta.impressions;
      c.clicks += delta.clicks;
      c.spend_micros += delta.spend_micros;
    }
  }
  ASSERT_GT(charged, 40);
  ASSERT_GT(purchases, 20);
  const absl::CivilDay last = absl::ToCivilDay(t, absl::UTCTimeZone());
  // Sales per (dimension, day, key) as the rule gives them over everything sent.
  std::map<std::tuple<Dimension, absl::CivilDay, std::string>, int64_t> sold;
  for (const Attribution& a : Attribute(clicks, lines, absl::Hours(24 * 7), AdvertisesAll)) {
    const AttributedClick& c = clicks[a.click];
    for (Dimension d : kDimensions) {
      sold[{d, absl::CivilDay(1970, 1, 1) + c.day,
            RawDimensionKey(d, c.ad_group_id, c.target_id, c.placement, c.search_term)}] +=
          lines[a.line].sales_micros();
    }
  }
  for (Dimension d : kDimensions) {
    const SalesReport r = Report(d, kDay1, last);
    const std::string what = absl::StrCat("dimension ", static_cast<int>(d));
    ExpectSumsEqualTotal(r, what);
    EXPECT_GT(r.total.sales.sales_micros(), 0) << what;
    // The campaign report the dimension report carries is the plain one.
    const SalesReport plain = Report(Dimension::kCampaign, kDay1, last);
    EXPECT_TRUE(plain.rows.empty());
    EXPECT_EQ(r.total.sales.sales_micros(), plain.total.sales.sales_micros());
    EXPECT_EQ(r.total.delivery.spend_micros, plain.total.delivery.spend_micros);
    // Every row's delivery is what was sent under its key (a search term with no click that
    // day is under "(other)" instead).
    std::map<std::pair<absl::CivilDay, std::string>, StatsCounters> want;
    for (const auto& [k, c] : sent) {
      if (std::get<0>(k) != d) continue;
      const std::string& key = std::get<2>(k);
      const bool fold = d == Dimension::kSearchTerm && key != kNoneKey && c.clicks == 0;
      want[{std::get<1>(k), fold ? std::string(kOtherKey) : key}] += c;
    }
    std::map<std::pair<absl::CivilDay, std::string>, StatsCounters> got;
    for (const SalesDay& row : r.rows) {
      got[{row.date, row.key}] = row.delivery;
      const auto s = sold.find({d, row.date, row.key});
      EXPECT_EQ(row.sales.sales_micros(), s == sold.end() ? 0 : s->second)
          << what << " " << row.date << " " << row.key;
    }
    ASSERT_EQ(got.size(), want.size()) << what;
    for (const auto& [k, c] : want) {
      ASSERT_TRUE(got.count(k)) << what << " " << k.first << " " << k.second;
      EXPECT_EQ(got[k].impressions, c.impressions) << what << " " << k.first << " " << k.second;
      EXPECT_EQ(got[k].clicks, c.clicks) << what << " " << k.first << " " << k.second;
      EXPECT_EQ(got[k].spend_micros, c.spend_micros) << what << " " << k.first << " " << k.second;
    }
  }
  // Keys as documented.
  const SalesReport by_target = Report(Dimension::kTarget, kDay1, last);
  std::vector<std::string> target_keys;
  for (const SalesDay& k : by_target.key_totals) target_keys.push_back(k.key);
  EXPECT_THAT(target_keys, ::testing::ElementsAre("(none)", "t1", "t2"));
  const SalesReport by_placement = Report(Dimension::kPlacement, kDay1, last);
  std::vector<std::string> placement_keys;
  for (const SalesDay& k : by_placement.key_totals) placement_keys.push_back(k.key);
  EXPECT_THAT(placement_keys, ::testing::ElementsAre("category_page", "product_page",
                                                     "rest_of_search", "top_of_search"));
}

TEST_P(DimensionReportTest, SearchTermsPastTheDailyCapCountUnderOther) {
  std::vector<Event> events;
  for (int i = 0; i <= kMaxSearchTermsPerDay; ++i) {  // one term more than the cap
    // u2 clicks the term past the cap (and buys); u1 the first term.
    const std::string user = i == kMaxSearchTermsPerDay ? "u2" : "u1";
    const TokenPair tokens = Serve({.auction_id = absl::StrCat("a", i), .ad_id = "ad1",
                                    .ad_group_id = "g1", .campaign_id = "c1",
                                    .product_id = "p1", .price_micros = 100'000,
                                    .placement = 1, .user_id = user,
                                    .search_term = absl::StrCat("term ", i)});
    events.push_back(Impression(absl::StrCat("i", i), tokens.impression_token, user));
    if (i == 0 || i == kMaxSearchTermsPerDay) {
      events.push_back(Click(absl::StrCat("c", i), tokens.click_token, user));
    }
  }
  for (size_t from = 0; from < events.size(); from += 250) {
    std::vector<Event> batch(events.begin() + from,
                             events.begin() + std::min(events.size(), from + 250));
    ASSERT_TRUE(billing_->Ingest(batch).ok());
  }
  ASSERT_TRUE(billing_->IngestPurchases({{.order_id = "o1", .user_id = "u2",
                                          .time = kStart + absl::Minutes(1),
                                          .line_items = {{.line = 1, .product_id = "p1",
                                                          .quantity = 1,
                                                          .price_micros = 5'000'000,
                                                          .currency = "USD"}}}})
                  .ok());
  const SalesReport r = Report(Dimension::kSearchTerm, kDay1, kDay1);
  ExpectSumsEqualTotal(r, "cap");
  // Only "term 0" has a click among the kept terms; the other 999 kept terms fold into
  // "(other)" for want of a click, with the term past the cap (its click and its sale).
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].key, "(other)");
  EXPECT_EQ(r.rows[0].delivery.impressions, kMaxSearchTermsPerDay);
  EXPECT_EQ(r.rows[0].delivery.clicks, 1);
  EXPECT_EQ(r.rows[0].sales.same_product_sales_micros, 5'000'000);  // u2's click's
  EXPECT_EQ(r.rows[1].key, "term 0");
  EXPECT_EQ(r.rows[1].delivery.impressions, 1);
  EXPECT_EQ(r.rows[1].delivery.clicks, 1);
  EXPECT_EQ(r.rows[1].sales.sales_micros(), 0);
  // The same after a snapshot and a restart.
  ASSERT_TRUE(billing_->Snapshot().ok());
  Open(/*fresh=*/false);
  const SalesReport again = Report(Dimension::kSearchTerm, kDay1, kDay1);
  ASSERT_EQ(again.rows.size(), 2u);
  EXPECT_EQ(again.rows[0].key, "(other)");
  EXPECT_EQ(again.rows[0].delivery.impressions, kMaxSearchTermsPerDay);
  EXPECT_EQ(again.rows[0].sales.same_product_sales_micros, 5'000'000);
}

TEST_P(DimensionReportTest, SearchTermsOlderThanTheRetentionAreReportedUnderOther) {
  const TokenPair tokens = Serve({.auction_id = "a1", .ad_id = "ad1", .ad_group_id = "g1",
                                  .campaign_id = "c1", .product_id = "p1",
                                  .price_micros = 100'000, .placement = 1, .user_id = "u1",
                                  .search_term = "red shoes"});
  ASSERT_TRUE(billing_->Ingest({Impression("i1", tokens.impression_token, "u1"),
                                Click("c1", tokens.click_token, "u1")})
                  .ok());
  auto keys = [&] {
    std::vector<std::string> out;
    for (const SalesDay& row : Report(Dimension::kSearchTerm, kDay1, kDay1).rows) {
      out.push_back(row.key);
    }
    return out;
  };
  clock_.Set(kStart + absl::Hours(24) * (kSearchTermRetentionDays - 1));  // day 90: kept
  EXPECT_THAT(keys(), ::testing::ElementsAre("red shoes"));
  clock_.Set(kStart + absl::Hours(24) * kSearchTermRetentionDays);  // day 91: folded
  EXPECT_THAT(keys(), ::testing::ElementsAre("(other)"));
  // Other dimensions keep their keys.
  EXPECT_EQ(Report(Dimension::kAdGroup, kDay1, kDay1).rows.at(0).key, "g1");
}

TEST(DimensionFromInt, OutOfRangeIsInvalidArgumentNamingTheField) {
  EXPECT_EQ(*DimensionFromInt(4, "dimension"), Dimension::kSearchTerm);
  for (int bad : {-1, 5, 99}) {
    absl::StatusOr<Dimension> d = DimensionFromInt(bad, "dimension");
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(d.status().message(), HasSubstr("dimension must be"));
    EXPECT_THAT(d.status().message(), HasSubstr(absl::StrCat("got ", bad)));
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, DimensionReportTest, testing::AllStores(),
                         testing::StoreName);

TEST(EventRecordEncoding, Version3CarriesTheDimensionsAndVersion2StillReads) {
  EventRecord r{.client_event_id = "e1", .outcome = Outcome::kCharged,
                .time = kStart, .charged_micros = 5, .price_micros = 5, .campaign_id = "c1",
                .ad_id = "ad1", .ad_group_id = "g1", .product_id = "p1",
                .advertiser_id = "adv1", .user_hash = 7, .day = 3, .placement = 2,
                .target_id = "t9", .search_term = "red shoes"};
  const std::string v3 = EncodeEventRecord(r);
  absl::StatusOr<EventRecord> back = DecodeEventRecord(v3);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->placement, 2);
  EXPECT_EQ(back->target_id, "t9");
  EXPECT_EQ(back->search_term, "red shoes");
  EXPECT_EQ(back->ad_group_id, "g1");
  // Version 2: the same bytes without the last three fields (1 + 1+2 + 1+9 bytes).
  std::string v2 = v3.substr(0, v3.size() - 14);
  v2[0] = 2;
  back = DecodeEventRecord(v2);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ad_group_id, "g1");
  EXPECT_EQ(back->placement, 0);
  EXPECT_EQ(back->target_id, "");
  EXPECT_EQ(back->search_term, "");
  EXPECT_EQ(DecodeEventRecord(v3.substr(0, v3.size() - 1)).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace gavel::billing
