// Bad rules and bad candidates are INVALID_ARGUMENT naming the field and the value.
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "auction/auction.h"
#include "gtest/gtest.h"
#include "tests/auction/test_util.h"

namespace gavel {
namespace auction {
namespace {

using ::gavel::auction::testing::Ads;

void ExpectInvalid(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), message);
}

TEST(ValidateRules, DefaultsAreValid) { EXPECT_TRUE(ValidateRules(Rules{}).ok()); }

TEST(ValidateRules, SlotsMustBeBetweenOneAndForty) {
  ExpectInvalid(ValidateRules(Rules{.slots = 0}), "slots must be in [1, 40], got 0");
  ExpectInvalid(ValidateRules(Rules{.slots = 41}), "slots must be in [1, 40], got 41");
  EXPECT_TRUE(ValidateRules(Rules{.slots = 40}).ok());
}

TEST(ValidateRules, SquashingMustBeBetweenZeroAndOne) {
  ExpectInvalid(ValidateRules(Rules{.squashing = 1.5}), "squashing must be in [0, 1], got 1.5");
  ExpectInvalid(ValidateRules(Rules{.squashing = -0.1}), "squashing must be in [0, 1], got -0.1");
  ExpectInvalid(ValidateRules(Rules{.squashing = std::nan("")}),
                "squashing must be in [0, 1], got nan");
}

TEST(PositionFactor, ContinuesAShortListWithoutRising) {
  EXPECT_DOUBLE_EQ(PositionFactor(Rules{}, 0), 1.0);
  EXPECT_DOUBLE_EQ(PositionFactor(Rules{}, 3), 0.25);
  const Rules steep{.position_factors = {1.0, 0.1}};
  EXPECT_DOUBLE_EQ(PositionFactor(steep, 1), 0.1);
  EXPECT_DOUBLE_EQ(PositionFactor(steep, 2), 0.1);  // 1/3 would rise above the last factor
  const Rules shallow{.position_factors = {1.0, 0.9, 0.8}};
  EXPECT_DOUBLE_EQ(PositionFactor(shallow, 3), 0.25);
  for (int s = 1; s < 40; ++s) {
    EXPECT_LE(PositionFactor(steep, s), PositionFactor(steep, s - 1)) << s;
    EXPECT_LE(PositionFactor(shallow, s), PositionFactor(shallow, s - 1)) << s;
  }
}

TEST(ValidateRules, PositionFactorsMustBeInRangeAndNonIncreasing) {
  // A shorter list is fine: later slots continue it (PositionFactor).
  EXPECT_TRUE(ValidateRules(Rules{.slots = 3, .position_factors = {1.0, 0.5}}).ok());
  ExpectInvalid(ValidateRules(Rules{.slots = 2, .position_factors = {1.0, 0.0}}),
                "position_factors[1] must be in (0, 1], got 0");
  ExpectInvalid(ValidateRules(Rules{.slots = 1, .position_factors = {1.2}}),
                "position_factors[0] must be in (0, 1], got 1.2");
  ExpectInvalid(ValidateRules(Rules{.slots = 3, .position_factors = {1.0, 0.5, 0.6}}),
                "position_factors must be non-increasing, got position_factors[2] = 0.6 > "
                "position_factors[1] = 0.5");
  EXPECT_TRUE(ValidateRules(Rules{.slots = 2, .position_factors = {1.0, 1.0, 0.2}}).ok());
}

TEST(ValidateRules, MoneyAmountsMustBeNonNegative) {
  ExpectInvalid(ValidateRules(Rules{.reserve_micros = -1}),
                "reserve_micros must be in [0, 1000000000000], got -1");
  ExpectInvalid(ValidateRules(Rules{.increment_micros = -5}),
                "increment_micros must be in [0, 1000000000000], got -5");
  ExpectInvalid(ValidateRules(Rules{.min_cpc_micros = -10}),
                "min_cpc_micros must be in [0, 1000000000000], got -10");
  ExpectInvalid(ValidateRules(Rules{.reserve_micros = kMaxMicros + 1}),
                "reserve_micros must be in [0, 1000000000000], got 1000000000001");
}

TEST(ValidateRules, SlotReservesMustBeValidAndNoMoreThanSlots) {
  ExpectInvalid(ValidateRules(Rules{.slots = 2, .slot_reserve_micros = {100, -3}}),
                "slot_reserve_micros[1] must be in [0, 1000000000000], got -3");
  ExpectInvalid(ValidateRules(Rules{.slots = 1, .slot_reserve_micros = {100, 50}}),
                "slot_reserve_micros has 2 entries but slots is 1");
}

TEST(ValidateRules, UnknownEnumValuesAreRejected) {
  ExpectInvalid(ValidateRules(Rules{.mechanism = static_cast<Mechanism>(9)}),
                "mechanism must be GSP, VCG or FIRST_PRICE, got 9");
}

TEST(ValidateCandidates, BidMustBePositive) {
  const auto ads = Ads({{.bid_micros = 1'000}, {.bid_micros = 0}});
  ExpectInvalid(ValidateCandidates(ads),
                "candidates[1].bid_micros must be in [1, 1000000000000], got 0");
  ExpectInvalid(ValidateCandidates(Ads({{.bid_micros = -7}})),
                "candidates[0].bid_micros must be in [1, 1000000000000], got -7");
}

TEST(ValidateCandidates, QualityMustBeInZeroOne) {
  const auto ads = Ads(
      {{.bid_micros = 1}, {.bid_micros = 1}, {.bid_micros = 1}, {.bid_micros = 1, .quality = 1.5}});
  ExpectInvalid(ValidateCandidates(ads), "candidates[3].quality must be in (0, 1], got 1.5");
  ExpectInvalid(ValidateCandidates(Ads({{.bid_micros = 1, .quality = 0.0}})),
                "candidates[0].quality must be in (0, 1], got 0");
  ExpectInvalid(ValidateCandidates(Ads({{.bid_micros = 1, .quality = std::nan("")}})),
                "candidates[0].quality must be in (0, 1], got nan");
  ExpectInvalid(ValidateCandidates(
                    Ads({{.bid_micros = 1, .quality = std::numeric_limits<double>::infinity()}})),
                "candidates[0].quality must be in (0, 1], got inf");
}

TEST(RunAuction, ReportsInvalidRules) {
  std::mt19937_64 gen(1);
  const absl::StatusOr<Outcome> outcome =
      RunAuction(Ads({{.bid_micros = 1}}), Rules{.slots = 0}, gen);
  ExpectInvalid(outcome.status(), "slots must be in [1, 40], got 0");
}

TEST(RunAuction, ReportsInvalidCandidates) {
  std::mt19937_64 gen(1);
  const absl::StatusOr<Outcome> outcome =
      RunAuction(Ads({{.bid_micros = 1'000'000}, {.bid_micros = 1, .quality = 2.0}}), Rules{}, gen);
  ExpectInvalid(outcome.status(), "candidates[1].quality must be in (0, 1], got 2");
}

TEST(Auctioneer, LeavesTheOutcomeEmptyOnError) {
  std::mt19937_64 gen(1);
  Auctioneer auctioneer;
  Outcome outcome;
  ASSERT_TRUE(auctioneer.Run(Ads({{.bid_micros = 1'000'000}}), Rules{}, gen, &outcome).ok());
  ASSERT_EQ(outcome.winners.size(), 1u);
  ExpectInvalid(auctioneer.Run(Ads({{.bid_micros = 0}}), Rules{}, gen, &outcome),
                "candidates[0].bid_micros must be in [1, 1000000000000], got 0");
  EXPECT_TRUE(outcome.winners.empty());
  EXPECT_TRUE(outcome.losers.empty());
}

TEST(LossReasonName, NamesEveryReason) {
  EXPECT_EQ(LossReasonName(LossReason::kBelowReserve), "BELOW_RESERVE");
  EXPECT_EQ(LossReasonName(LossReason::kOutranked), "OUTRANKED");
  EXPECT_EQ(LossReasonName(LossReason::kDuplicateProduct), "DUPLICATE_PRODUCT");
  EXPECT_EQ(MechanismName(Mechanism::kVcg), "VCG");
}

}  // namespace
}  // namespace auction
}  // namespace gavel
