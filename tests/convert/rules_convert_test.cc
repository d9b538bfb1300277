#include "convert/rules_convert.h"

#include <string>

#include "gtest/gtest.h"
#include "store/catalog_file.h"

namespace gavel::convert {
namespace {

void ExpectSameRules(const auction::Rules& a, const auction::Rules& b) {
  EXPECT_EQ(a.mechanism, b.mechanism);
  EXPECT_EQ(a.position_factors, b.position_factors);
  EXPECT_EQ(a.reserve_micros, b.reserve_micros);
  EXPECT_EQ(a.slot_reserve_micros, b.slot_reserve_micros);
  EXPECT_EQ(a.reserve_mode, b.reserve_mode);
  EXPECT_EQ(a.squashing, b.squashing);
  EXPECT_EQ(a.increment_micros, b.increment_micros);
  EXPECT_EQ(a.min_cpc_micros, b.min_cpc_micros);
  EXPECT_EQ(a.one_winner_per_product, b.one_winner_per_product);
  EXPECT_EQ(a.self_competition, b.self_competition);
}

void ExpectInvalid(const gavel::v1::AuctionRules& rules, const std::string& message) {
  absl::StatusOr<auction::Rules> r = RulesFromProto(rules);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_EQ(r.status().message(), message);
}

TEST(RulesFromProto, UnsetFieldsKeepTheAuctionsDefaults) {
  absl::StatusOr<auction::Rules> r = RulesFromProto(gavel::v1::AuctionRules());
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectSameRules(*r, auction::Rules{});
  EXPECT_EQ(r->self_competition, auction::SelfCompetition::kAdvertiser);
  EXPECT_TRUE(r->one_winner_per_product);
}

TEST(RulesFromProto, ReadsSelfCompetitionAndOneWinnerPerProduct) {
  gavel::v1::AuctionRules p;
  p.set_self_competition(gavel::v1::SELF_COMPETITION_CAMPAIGN);
  p.set_one_winner_per_product(false);
  absl::StatusOr<auction::Rules> r = RulesFromProto(p);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->self_competition, auction::SelfCompetition::kCampaign);
  EXPECT_FALSE(r->one_winner_per_product);
  p.set_self_competition(gavel::v1::SELF_COMPETITION_OFF);
  p.set_one_winner_per_product(true);
  r = RulesFromProto(p);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->self_competition, auction::SelfCompetition::kOff);
  EXPECT_TRUE(r->one_winner_per_product);
  p.set_self_competition(gavel::v1::SELF_COMPETITION_ADVERTISER);
  r = RulesFromProto(p);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->self_competition, auction::SelfCompetition::kAdvertiser);
}

TEST(RulesFromProto, NamesTheProtoFieldAndTheValue) {
  gavel::v1::AuctionRules p;
  p.set_squashing_exponent(2);
  ExpectInvalid(p, "auction_rules.squashing_exponent must be in [0, 1], got 2");
  p = {};
  p.set_price_increment_micros(-5);
  ExpectInvalid(p, "auction_rules.price_increment_micros must be in [0, 1000000000000], got -5");
  p = {};
  p.set_min_cpc_micros(-1);
  ExpectInvalid(p, "auction_rules.min_cpc_micros must be in [0, 1000000000000], got -1");
  p = {};
  p.set_reserve_micros(-3);
  ExpectInvalid(p, "auction_rules.reserve_micros must be in [0, 1000000000000], got -3");
  p = {};
  p.add_slot_reserve_micros(100);
  p.add_slot_reserve_micros(-2);
  ExpectInvalid(p, "auction_rules.slot_reserve_micros[1] must be in [0, 1000000000000], got -2");
  p = {};
  p.add_position_factors(0.5);
  p.add_position_factors(0.6);
  ExpectInvalid(p,
                "auction_rules.position_factors must be non-increasing, got position_factors[1] = "
                "0.6 > position_factors[0] = 0.5");
  p = {};
  for (int i = 0; i < 41; ++i) p.add_position_factors(0.5);
  ExpectInvalid(p, "auction_rules.position_factors has 41 entries, at most 40");
  p = {};
  p.set_self_competition(static_cast<gavel::v1::SelfCompetition>(9));
  ExpectInvalid(p, "auction_rules.self_competition has unknown value 9");
  p = {};
  p.set_mechanism(static_cast<gavel::v1::Mechanism>(7));
  ExpectInvalid(p, "auction_rules.mechanism has unknown value 7");
}

TEST(RulesToProto, RoundTripsEveryField) {
  const auction::Rules rules[] = {
      auction::Rules{},
      auction::Rules{.mechanism = auction::Mechanism::kVcg,
                     .position_factors = {1.0, 0.7, 0.4},
                     .reserve_micros = 50'000,
                     .slot_reserve_micros = {200'000, 100'000},
                     .reserve_mode = auction::ReserveMode::kQualityWeighted,
                     .squashing = 0.5,
                     .increment_micros = 0,
                     .min_cpc_micros = 20'000,
                     .one_winner_per_product = false,
                     .self_competition = auction::SelfCompetition::kOff},
      auction::Rules{.mechanism = auction::Mechanism::kFirstPrice,
                     .self_competition = auction::SelfCompetition::kCampaign},
  };
  for (const auction::Rules& r : rules) {
    const gavel::v1::AuctionRules p = RulesToProto(r, catalog::ServingRules{.min_relevance = 0.3});
    EXPECT_EQ(p.min_relevance(), 0.3);
    absl::StatusOr<auction::Rules> back = RulesFromProto(p);
    ASSERT_TRUE(back.ok()) << back.status();
    ExpectSameRules(*back, r);
  }
}

TEST(EffectiveRules, MakesEveryDefaultExplicit) {
  absl::StatusOr<gavel::v1::AuctionRules> p = EffectiveRules(gavel::v1::AuctionRules());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->mechanism(), gavel::v1::MECHANISM_GSP);
  EXPECT_EQ(p->self_competition(), gavel::v1::SELF_COMPETITION_ADVERTISER);
  ASSERT_TRUE(p->has_one_winner_per_product());
  EXPECT_TRUE(p->one_winner_per_product());
  ASSERT_TRUE(p->has_squashing_exponent());
  EXPECT_EQ(p->squashing_exponent(), 1.0);
  EXPECT_EQ(p->price_increment_micros(), 10'000);
  EXPECT_EQ(p->min_cpc_micros(), 10'000);
  ASSERT_TRUE(p->has_min_relevance());
  EXPECT_EQ(p->min_relevance(), 0.1);
  EXPECT_TRUE(p->position_factors().empty());

  gavel::v1::AuctionRules bad;
  bad.set_squashing_exponent(-1);
  EXPECT_EQ(EffectiveRules(bad).status().message(),
            "auction_rules.squashing_exponent must be in [0, 1], got -1");
}

TEST(RulesFromProto, ReadsTheNewFieldsFromACatalogFile) {
  absl::StatusOr<gavel::v1::Catalog> catalog = store::ParseCatalogJson(
      R"({"auctionRules": {"selfCompetition": "SELF_COMPETITION_OFF",
                           "oneWinnerPerProduct": false}})",
      "test.json");
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  absl::StatusOr<auction::Rules> r = RulesFromProto(catalog->auction_rules());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->self_competition, auction::SelfCompetition::kOff);
  EXPECT_FALSE(r->one_winner_per_product);
}

}  // namespace
}  // namespace gavel::convert
