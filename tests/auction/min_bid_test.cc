// Minimum bids (docs/auction.md, "Minimum bids"): a winner's, and every candidate's per slot.
#include <cstdint>
#include <random>
#include <vector>

#include "absl/types/span.h"
#include "auction/auction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/auction/test_util.h"

namespace gavel {
namespace auction {
namespace {

using ::gavel::auction::testing::Ads;
using ::gavel::auction::testing::LoserOf;
using ::gavel::auction::testing::MustRun;
using ::gavel::auction::testing::WinnerOf;
using ::testing::ElementsAre;

// Runs with every candidate's minimum bid per slot.
Outcome RunExplained(const std::vector<Candidate>& ads, const Rules& rules,
                     int64_t max_bid_micros = kMaxMicros) {
  Auctioneer auctioneer;
  std::mt19937_64 gen(1);
  Outcome outcome;
  const absl::Status status = auctioneer.Run(ads, rules, gen, &outcome,
                                             {.per_slot = true, .max_bid_micros = max_bid_micros});
  EXPECT_TRUE(status.ok()) << status;
  return outcome;
}

std::vector<int64_t> Row(const Outcome& outcome, size_t index) {
  const absl::Span<const int64_t> row = outcome.MinBidsPerSlot(index);
  return std::vector<int64_t>(row.begin(), row.end());
}

// Two slots, slot 0's reserve $1.00, slot 1's $0.10. A ($4.00 at quality 0.5, score 2,000,000)
// and B ($0.90 at quality 1, score 900,000) advertise product 7; C ($1.00 at 0.5) product 8.
// B misses slot 0's reserve, yet it is A's rival: under 900,000 / 0.5 A would be the duplicate.
std::vector<Candidate> RivalBelowTheSlotFloor() {
  return Ads({{.product_id = 7, .bid_micros = 4'000'000, .quality = 0.5},
              {.product_id = 7, .bid_micros = 900'000, .quality = 1.0},
              {.product_id = 8, .bid_micros = 1'000'000, .quality = 0.5}});
}
const Rules kTwoSlotReserves{.slots = 2, .slot_reserve_micros = {1'000'000, 100'000}};

TEST(WinnerMinBid, CountsItsProductsNextAdEvenWhenThatAdMissesTheSlotsFloor) {
  auto ads = RivalBelowTheSlotFloor();
  const Outcome outcome = MustRun(ads, kTwoSlotReserves);
  ASSERT_NE(WinnerOf(outcome, 0), nullptr);
  EXPECT_EQ(WinnerOf(outcome, 0)->slot, 0);
  EXPECT_EQ(LoserOf(outcome, 1)->reason, LossReason::kDuplicateProduct);
  EXPECT_EQ(WinnerOf(outcome, 0)->min_bid_micros, 1'800'001);  // outranks 900,000 at 0.5

  ads[0].bid_micros = 1'800'001;
  ASSERT_NE(WinnerOf(MustRun(ads, kTwoSlotReserves), 0), nullptr);
  EXPECT_EQ(WinnerOf(MustRun(ads, kTwoSlotReserves), 0)->slot, 0);
  ads[0].bid_micros = 1'800'000;  // ties B: over every draw, it sometimes loses the product to B
  bool lost = false;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    lost = lost || WinnerOf(MustRun(ads, kTwoSlotReserves, seed), 0) == nullptr;
  }
  EXPECT_TRUE(lost);
}

TEST(WinnerMinBid, EqualsItsMinBidPerSlotForItsSlot) {
  const Outcome outcome = RunExplained(RivalBelowTheSlotFloor(), kTwoSlotReserves);
  for (const Winner& w : outcome.winners) {
    EXPECT_EQ(w.min_bid_micros, outcome.MinBidsPerSlot(w.index)[w.slot]) << w.index;
  }
}

TEST(WinnerMinBid, AboveTheCallersLargestBidIsReportedAsNoMinBid) {
  // A holds its slot by winning a tie at the largest bid: only a bid above the cap outranks B.
  const auto ads = Ads({{.bid_micros = 1'000'000}, {.bid_micros = 1'000'000}});
  const Outcome outcome = RunExplained(ads, Rules{}, /*max_bid_micros=*/1'000'000);
  ASSERT_EQ(outcome.winners.size(), 1u);
  EXPECT_EQ(outcome.winners[0].min_bid_micros, kNoMinBid);
}

TEST(MinBidPerSlot, OutranksWhoeverHoldsTheSlotOrABetterOne) {
  // docs/auction.md example 2: A $4, B $3, C $1, two slots.
  const auto ads =
      Ads({{.bid_micros = 4'000'000}, {.bid_micros = 3'000'000}, {.bid_micros = 1'000'000}});
  const Outcome outcome = RunExplained(ads, Rules{.slots = 2});
  // Without A, B holds slot 0 and C slot 1.
  EXPECT_THAT(Row(outcome, 0), ElementsAre(3'000'001, 1'000'001));
  EXPECT_THAT(Row(outcome, 1), ElementsAre(4'000'001, 1'000'001));
  EXPECT_THAT(Row(outcome, 2), ElementsAre(4'000'001, 3'000'001));
}

TEST(MinBidPerSlot, IsAtLeastTheSlotsFloorUnderPerSlotReserves) {
  // docs/auction.md example 4: slot reserves ($1.00, $0.20); A $0.80 at 1, B $2.00 at 0.3.
  const auto ads =
      Ads({{.bid_micros = 800'000, .quality = 1.0}, {.bid_micros = 2'000'000, .quality = 0.3}});
  const Outcome outcome =
      RunExplained(ads, Rules{.slots = 2, .slot_reserve_micros = {1'000'000, 200'000}});
  EXPECT_THAT(Row(outcome, 0), ElementsAre(1'000'000, 200'000));
  // Slot 1 without B would go to A (800,000 / 0.3 = 2,666,666.67): slot 0 is the cheaper way.
  EXPECT_THAT(Row(outcome, 1), ElementsAre(1'000'000, 1'000'000));
}

TEST(MinBidPerSlot, AppliesAQualityWeightedReserveToTheScore) {
  // docs/auction.md example 5: reserve $0.50 on the score; quality 0.5 needs a $1.00 bid.
  const auto ads = Ads({{.bid_micros = 800'000, .quality = 0.5}});
  const Outcome outcome = RunExplained(
      ads, Rules{.reserve_micros = 500'000, .reserve_mode = ReserveMode::kQualityWeighted});
  EXPECT_EQ(LoserOf(outcome, 0)->reason, LossReason::kBelowReserve);
  EXPECT_THAT(Row(outcome, 0), ElementsAre(1'000'000));
}

TEST(MinBidPerSlot, MustOutrankTheBestAdOfItsOwnProduct) {
  // docs/auction.md example 6: A $2 and B $1.50 advertise product 7, C $1 product 8.
  const auto ads = Ads({{.product_id = 7, .bid_micros = 2'000'000},
                        {.product_id = 7, .bid_micros = 1'500'000},
                        {.product_id = 8, .bid_micros = 1'000'000}});
  const Outcome outcome = RunExplained(ads, Rules{.slots = 2});
  // B must outrank A even for slot 1, which C holds at a lower score.
  EXPECT_THAT(Row(outcome, 1), ElementsAre(2'000'001, 2'000'001));
  // A must stay above B for any slot.
  EXPECT_THAT(Row(outcome, 0), ElementsAre(1'500'001, 1'500'001));
  // C must outrank A for slot 0; without C, slot 1 would stay empty (B is the duplicate).
  EXPECT_THAT(Row(outcome, 2), ElementsAre(2'000'001, 10'000));
}

TEST(MinBidPerSlot, IsOneMicroWhenAnyBidWouldDo) {
  const auto ads = Ads({{.bid_micros = 1'000'000}});
  const Outcome outcome = RunExplained(ads, Rules{.slots = 2, .min_cpc_micros = 0});
  EXPECT_THAT(Row(outcome, 0), ElementsAre(1, 1));
  EXPECT_EQ(outcome.winners[0].min_bid_micros, 1);
}

TEST(MinBidPerSlot, AboveTheCallersLargestBidIsReportedAsNoMinBid) {
  // B at quality 0.5 would need 2,000,000,001 micros to outrank A's $1,000 bid.
  const auto ads = Ads({{.bid_micros = 1'000'000'000}, {.bid_micros = 1'000'000, .quality = 0.5}});
  const Outcome outcome = RunExplained(ads, Rules{}, /*max_bid_micros=*/1'000'000'000);
  EXPECT_THAT(Row(outcome, 1), ElementsAre(kNoMinBid));
  EXPECT_THAT(RunExplained(ads, Rules{}).MinBidsPerSlot(1), ElementsAre(2'000'000'001));
}

TEST(MinBidPerSlot, IsEmptyUnlessAskedFor) {
  const auto ads = Ads({{.bid_micros = 1'000'000}});
  EXPECT_TRUE(MustRun(ads, Rules{}).MinBidsPerSlot(0).empty());
}

TEST(MinBidPerSlot, ABadMaxBidIsInvalidArgument) {
  Auctioneer auctioneer;
  std::mt19937_64 gen(1);
  Outcome outcome;
  const absl::Status status = auctioneer.Run(Ads({{.bid_micros = 1'000'000}}), Rules{}, gen,
                                             &outcome, {.per_slot = true, .max_bid_micros = 0});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "max_bid_micros must be in [1, 1000000000000], got 0");
}

}  // namespace
}  // namespace auction
}  // namespace gavel
