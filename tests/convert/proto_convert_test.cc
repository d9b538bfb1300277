#include "convert/proto_convert.h"

#include "gtest/gtest.h"

namespace gavel::convert {
namespace {

gavel::v1::RunAuctionRequest DryRun() {
  gavel::v1::RunAuctionRequest r;
  r.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
  r.set_slots(2);
  r.set_query("headphones");
  r.mutable_options()->set_dry_run(true);
  return r;
}

TEST(AuctionRequestFromProto, ATieBreakSeedIsPassedOnAndItsAbsenceClearsAnOldOne) {
  engine::AuctionRequest out;
  gavel::v1::RunAuctionRequest r = DryRun();
  r.mutable_options()->set_tie_break_seed(0);  // set to zero is still set
  ASSERT_TRUE(AuctionRequestFromProto(r, &out).ok());
  ASSERT_TRUE(out.tie_break_seed.has_value());
  EXPECT_EQ(*out.tie_break_seed, 0u);
  r.mutable_options()->set_tie_break_seed(0xFEDCBA9876543210u);
  ASSERT_TRUE(AuctionRequestFromProto(r, &out).ok());
  EXPECT_EQ(out.tie_break_seed, 0xFEDCBA9876543210u);
  // The server reuses one request per thread: an unset seed must not inherit the last one.
  ASSERT_TRUE(AuctionRequestFromProto(DryRun(), &out).ok());
  EXPECT_FALSE(out.tie_break_seed.has_value());
}

TEST(AuctionRequestFromProto, AnUnsetHourComesFromTheTimeZoneAndMinusOneStaysUnknown) {
  engine::AuctionRequest out;
  gavel::v1::RunAuctionRequest r = DryRun();
  ASSERT_TRUE(AuctionRequestFromProto(r, &out).ok());
  EXPECT_EQ(out.targeting.shopper.local_hour, -1);
  EXPECT_TRUE(out.hour_from_time_zone);
  r.mutable_shopper()->set_local_hour(-1);
  ASSERT_TRUE(AuctionRequestFromProto(r, &out).ok());
  EXPECT_EQ(out.targeting.shopper.local_hour, -1);
  EXPECT_FALSE(out.hour_from_time_zone);
  r.mutable_shopper()->set_local_hour(7);
  ASSERT_TRUE(AuctionRequestFromProto(r, &out).ok());
  EXPECT_EQ(out.targeting.shopper.local_hour, 7);
  EXPECT_FALSE(out.hour_from_time_zone);
}

TEST(AuctionResultToProto, ReturnsTheTieBreakSeed) {
  engine::AuctionResult result;
  result.tie_break_seed = 0xFFFFFFFFFFFFFFFFu;
  gavel::v1::RunAuctionResponse out;
  AuctionResultToProto(result, &out);
  EXPECT_EQ(out.tie_break_seed(), 0xFFFFFFFFFFFFFFFFu);
}

}  // namespace
}  // namespace gavel::convert
