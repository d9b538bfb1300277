#include "convert/catalog_convert.h"

#include <string>

#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace gavel {
namespace {

// Every field set explicitly (defaults spelled out), so the round trip must be exact.
constexpr char kCatalog[] = R"pb(
  advertisers { id: "a-1" name: "Acme" state: ENTITY_STATE_ENABLED }
  campaigns {
    id: "c-1"
    advertiser_id: "a-1"
    name: "Shoes"
    state: ENTITY_STATE_ENABLED
    daily_budget_micros: 50000000
    budget_policy: BUDGET_POLICY_DAILY_2X_MONTHLY_CAP
    start_date: "2026-01-01"
    end_date: "2026-12-31"
    time_zone: "America/New_York"
    bidding_strategy: BIDDING_STRATEGY_DYNAMIC_UP_AND_DOWN
    placement_multipliers { placement: PLACEMENT_TOP_OF_SEARCH percent: 50 }
    default_bid_micros: 400000
    negative_keywords { text: "used" match_type: MATCH_TYPE_PHRASE }
    predicates { include_devices: DEVICE_MOBILE_APP include_countries: "US" include_hours: 9 }
    pacing: false
  }
  ad_groups {
    id: "g-1"
    campaign_id: "c-1"
    name: "Trail"
    state: ENTITY_STATE_PAUSED
    default_bid_micros: 700000
    predicates { exclude_segments: "bargain" }
    auto_targeting { group: AUTO_TARGET_GROUP_CLOSE_MATCH enabled: true bid_micros: 300000 }
  }
  product_ads { id: "ad-1" ad_group_id: "g-1" product_id: "p-1" state: ENTITY_STATE_ENABLED }
  targets {
    id: "t-1"
    ad_group_id: "g-1"
    state: ENTITY_STATE_ENABLED
    bid_micros: 900000
    keyword { text: "trail running shoes" match_type: MATCH_TYPE_EXACT }
  }
  targets { id: "t-2" ad_group_id: "g-1" state: ENTITY_STATE_ENABLED product_id: "p-1" }
  targets { id: "t-3" ad_group_id: "g-1" state: ENTITY_STATE_ARCHIVED category_id: "shoes" }
  products {
    id: "p-1"
    title: "Trail Running Shoes"
    category_id: "shoes"
    price_micros: 80000000
    brand: "Acme"
  }
  categories { id: "apparel" name: "Apparel" }
  categories { id: "shoes" name: "Shoes" parent_id: "apparel" complement_category_ids: "apparel" }
  auction_rules { min_relevance: 0.2 }
)pb";

v1::Catalog Parse(const std::string& text) {
  v1::Catalog c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c));
  return c;
}

absl::Status ErrorOf(const v1::Catalog& c) { return convert::CatalogFromProto(c, 1).status(); }

TEST(CatalogConvert, RoundTripsEveryField) {
  const v1::Catalog in = Parse(kCatalog);
  auto s = convert::CatalogFromProto(in, 7);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->version(), 7);
  const catalog::Campaign& c = (*s)->catalog().campaigns[0];
  EXPECT_EQ(c.start_date, absl::CivilDay(2026, 1, 1));
  EXPECT_EQ(c.time_zone.name(), "America/New_York");
  EXPECT_EQ(c.placement_multiplier_percent[1], 50);
  EXPECT_FALSE(c.pacing);
  EXPECT_DOUBLE_EQ((*s)->rules().min_relevance, 0.2);
  const v1::Catalog out = convert::CatalogToProto(**s);
  std::string diff;
  google::protobuf::util::MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  EXPECT_TRUE(d.Compare(in, out)) << diff;
}

TEST(CatalogConvert, FillsDocumentedDefaults) {
  v1::Catalog in = Parse(kCatalog);
  v1::Campaign* c = in.mutable_campaigns(0);
  c->clear_state();
  c->clear_budget_policy();
  c->clear_bidding_strategy();
  c->clear_time_zone();
  c->clear_pacing();
  auto s = convert::CatalogFromProto(in, 1);
  ASSERT_TRUE(s.ok()) << s.status();
  const catalog::Campaign& m = (*s)->catalog().campaigns[0];
  EXPECT_EQ(m.state, catalog::EntityState::kEnabled);
  EXPECT_EQ(m.budget_policy, catalog::BudgetPolicy::kHard);
  EXPECT_EQ(m.bidding_strategy, catalog::BiddingStrategy::kFixed);
  EXPECT_EQ(m.time_zone.name(), "UTC");
  EXPECT_TRUE(m.pacing);
}

TEST(CatalogConvert, ParsesProtobufJson) {
  v1::Catalog in;
  auto st = google::protobuf::util::JsonStringToMessage(R"({
    "advertisers": [{"id": "a-1"}],
    "campaigns": [{"id": "c-1", "advertiserId": "a-1", "dailyBudgetMicros": "1000000",
                   "defaultBidMicros": "500000"}],
    "adGroups": [{"id": "g-1", "campaignId": "c-1"}],
    "productAds": [{"id": "ad-1", "adGroupId": "g-1", "productId": "p-1"}],
    "targets": [{"id": "t-1", "adGroupId": "g-1",
                 "keyword": {"text": "shoes", "matchType": "MATCH_TYPE_BROAD"}}],
    "products": [{"id": "p-1", "title": "Shoes", "priceMicros": "1000000"}]
  })",
                                                        &in);
  ASSERT_TRUE(st.ok()) << st;
  auto s = convert::CatalogFromProto(in, 1);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->ResolveTargetBid(0), 500'000);
}

TEST(CatalogConvert, BadDateNamesField) {
  v1::Catalog in = Parse(kCatalog);
  in.mutable_campaigns(0)->set_start_date("2026-13-01");
  absl::Status s = ErrorOf(in);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "campaigns[c-1].start_date must be YYYY-MM-DD, got \"2026-13-01\"");
}

// Found by fuzz/catalog_fuzzer: "0391-01-01" was accepted but written back as "391-01-01", which
// the same conversion then rejected (a catalog state file with it would not load again).
TEST(CatalogConvert, DatesBeforeYear1000RoundTrip) {
  v1::Catalog in = Parse(kCatalog);
  in.mutable_campaigns(0)->set_start_date("0391-01-01");
  in.mutable_campaigns(0)->set_end_date("0999-12-31");
  auto s = convert::CatalogFromProto(in, 1);
  ASSERT_TRUE(s.ok()) << s.status();
  const v1::Catalog out = convert::CatalogToProto(**s);
  EXPECT_EQ(out.campaigns(0).start_date(), "0391-01-01");
  EXPECT_EQ(out.campaigns(0).end_date(), "0999-12-31");
  EXPECT_TRUE(convert::CatalogFromProto(out, 2).ok());
}

TEST(CatalogConvert, UnknownTimeZoneNamesField) {
  v1::Catalog in = Parse(kCatalog);
  in.mutable_campaigns(0)->set_time_zone("Mars/Olympus");
  EXPECT_EQ(ErrorOf(in).message(), "campaigns[c-1].time_zone: unknown time zone \"Mars/Olympus\"");
}

TEST(CatalogConvert, TargetWithoutKindIsRejected) {
  v1::Catalog in = Parse(kCatalog);
  in.mutable_targets(0)->clear_keyword();
  EXPECT_EQ(ErrorOf(in).message(),
            "targets[t-1] must set one of keyword, product_id or category_id");
}

TEST(CatalogConvert, PlacementMultiplierErrors) {
  v1::Catalog in = Parse(kCatalog);
  in.mutable_campaigns(0)->add_placement_multipliers()->set_placement(v1::PLACEMENT_UNSPECIFIED);
  EXPECT_EQ(ErrorOf(in).message(),
            "campaigns[c-1].placement_multipliers[1].placement must be a specified placement, "
            "got 0");
  in = Parse(kCatalog);
  auto* m = in.mutable_campaigns(0)->add_placement_multipliers();
  m->set_placement(v1::PLACEMENT_TOP_OF_SEARCH);
  EXPECT_EQ(ErrorOf(in).message(),
            "campaigns[c-1].placement_multipliers[1].placement 1 is listed twice");
  in = Parse(kCatalog);
  in.mutable_campaigns(0)->mutable_placement_multipliers(0)->set_percent(1000);
  EXPECT_EQ(ErrorOf(in).message(),
            "campaigns[c-1].placement_multipliers[0].percent must be in [0, 900], got 1000");
}

TEST(CatalogConvert, OutOfRangeEnumIsRejected) {
  v1::Catalog in = Parse(kCatalog);
  in.mutable_campaigns(0)->set_bidding_strategy(static_cast<v1::BiddingStrategy>(17));
  EXPECT_EQ(ErrorOf(in).message(), "campaigns[c-1].bidding_strategy is out of range, got 17");
}

TEST(CatalogConvert, BuildErrorsPassThrough) {
  v1::Catalog in = Parse(kCatalog);
  in.mutable_campaigns(0)->set_daily_budget_micros(-5);
  absl::Status s = ErrorOf(in);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "campaigns[c-1].daily_budget_micros must be > 0, got -5");
}

}  // namespace
}  // namespace gavel
