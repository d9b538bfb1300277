#include "convert/validate.h"

#include <string>

#include "gtest/gtest.h"

namespace gavel::server {
namespace {

gavel::v1::RunAuctionRequest ValidAuction() {
  gavel::v1::RunAuctionRequest r;
  r.set_request_id("req-1");
  r.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
  r.set_slots(3);
  r.set_query("wireless headphones");
  r.mutable_shopper()->set_user_id("u-1");
  r.mutable_shopper()->set_country("US");
  return r;
}

void ExpectInvalid(const absl::Status& st, const std::string& message) {
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_EQ(st.message(), message);
}

TEST(ValidateRunAuctionRequest, AcceptsATypicalSearchRequest) {
  EXPECT_TRUE(convert::ValidateRunAuctionRequest(ValidAuction()).ok());
}

TEST(ValidateRunAuctionRequest, RejectsSlotsOutsideOneToForty) {
  auto r = ValidAuction();
  r.set_slots(0);
  ExpectInvalid(convert::ValidateRunAuctionRequest(r), "slots must be in [1, 40], got 0");
  r.set_slots(41);
  ExpectInvalid(convert::ValidateRunAuctionRequest(r), "slots must be in [1, 40], got 41");
  r.set_slots(40);
  EXPECT_TRUE(convert::ValidateRunAuctionRequest(r).ok());
}

TEST(ValidateRunAuctionRequest, RequiresAKnownPlacement) {
  auto r = ValidAuction();
  r.set_placement(gavel::v1::PLACEMENT_UNSPECIFIED);
  ExpectInvalid(convert::ValidateRunAuctionRequest(r), "placement is required");
  r.set_placement(static_cast<gavel::v1::Placement>(99));
  ExpectInvalid(convert::ValidateRunAuctionRequest(r), "placement has unknown value 99");
}

TEST(ValidateRunAuctionRequest, RejectsAnOverlongQuery) {
  auto r = ValidAuction();
  r.set_query(std::string(513, 'a'));
  ExpectInvalid(convert::ValidateRunAuctionRequest(r), "query is 513 bytes, at most 512");
}

TEST(ValidateRunAuctionRequest, RequiresTheViewedProductOnProductPages) {
  auto r = ValidAuction();
  r.set_placement(gavel::v1::PLACEMENT_PRODUCT_PAGE);
  ExpectInvalid(convert::ValidateRunAuctionRequest(r),
                "page.viewed_product_id is required for PLACEMENT_PRODUCT_PAGE");
}

TEST(ValidateRunAuctionRequest, NamesTheBadCallerCandidateField) {
  auto r = ValidAuction();
  auto* c = r.add_candidates();
  c->set_candidate_id("a");
  c->set_advertiser_id("adv");
  c->set_campaign_id("c");
  c->set_product_id("p");
  c->set_bid_micros(1'000'000);
  c->set_quality(1.5);
  ExpectInvalid(convert::ValidateRunAuctionRequest(r),
                "candidates[0].quality must be in (0, 1] or 0 to let the server score, got 1.5");
  c->set_quality(0.5);
  c->set_bid_micros(0);
  ExpectInvalid(convert::ValidateRunAuctionRequest(r),
                "candidates[0].bid_micros must be in [1, 1000000000], got 0");
  c->set_bid_micros(1);
  *r.add_candidates() = *c;
  ExpectInvalid(convert::ValidateRunAuctionRequest(r),
                "candidates[1].candidate_id \"a\" is repeated");
}

TEST(ValidateRunAuctionRequest, RejectsTooManySegmentsAndBadHours) {
  auto r = ValidAuction();
  for (int i = 0; i < 65; ++i) r.mutable_shopper()->add_segments("s");
  ExpectInvalid(convert::ValidateRunAuctionRequest(r),
                "shopper.segments has 65 entries, at most 64");
  r.mutable_shopper()->clear_segments();
  r.mutable_shopper()->set_local_hour(24);
  ExpectInvalid(convert::ValidateRunAuctionRequest(r),
                "shopper.local_hour must be in [0, 23] or -1, got 24");
  r.mutable_shopper()->set_local_hour(-2);
  ExpectInvalid(convert::ValidateRunAuctionRequest(r),
                "shopper.local_hour must be in [0, 23] or -1, got -2");
  r.mutable_shopper()->set_local_hour(-1);  // unknown
  EXPECT_TRUE(convert::ValidateRunAuctionRequest(r).ok());
}

TEST(ValidateRunAuctionRequest, AcceptsATieBreakSeedOnlyOnADryRun) {
  auto r = ValidAuction();
  r.mutable_options()->set_tie_break_seed(18446744073709551615u);
  ExpectInvalid(convert::ValidateRunAuctionRequest(r),
                "options.tie_break_seed is accepted only with options.dry_run, got "
                "18446744073709551615 on a live auction");
  r.mutable_options()->set_dry_run(true);
  EXPECT_TRUE(convert::ValidateRunAuctionRequest(r).ok());
  r.mutable_options()->set_tie_break_seed(0);  // zero is a seed like any other
  EXPECT_TRUE(convert::ValidateRunAuctionRequest(r).ok());
}

TEST(ValidateId, RejectsEmptyLongAndOddCharacters) {
  ExpectInvalid(convert::ValidateId("campaign.id", ""), "campaign.id is required");
  ExpectInvalid(convert::ValidateId("campaign.id", std::string(129, 'x')),
                "campaign.id is 129 bytes, at most 128");
  ExpectInvalid(convert::ValidateId("campaign.id", "c 1"),
                "campaign.id has a character outside [A-Za-z0-9._:-] at byte 1");
  EXPECT_TRUE(convert::ValidateId("campaign.id", "c-1.a_b:2").ok());
}

TEST(ValidateReportEventsRequest, RejectsEmptyOversizedAndMalformedBatches) {
  gavel::v1::ReportEventsRequest r;
  ExpectInvalid(convert::ValidateReportEventsRequest(r), "events must not be empty");
  auto* e = r.add_events();
  e->set_client_event_id("e1");
  e->set_type(gavel::v1::EVENT_TYPE_CLICK);
  ExpectInvalid(convert::ValidateReportEventsRequest(r), "events[0].token is required");
  e->set_token(std::string(1025, 'x'));
  ExpectInvalid(convert::ValidateReportEventsRequest(r),
                "events[0].token is 1025 bytes, at most 1024");
  e->set_token("t");
  e->set_type(gavel::v1::EVENT_TYPE_UNSPECIFIED);
  ExpectInvalid(convert::ValidateReportEventsRequest(r),
                "events[0].type must be EVENT_TYPE_IMPRESSION or EVENT_TYPE_CLICK, got 0");
  e->set_type(gavel::v1::EVENT_TYPE_CLICK);
  EXPECT_TRUE(convert::ValidateReportEventsRequest(r).ok());
  for (int i = 0; i < 1000; ++i) *r.add_events() = *e;
  ExpectInvalid(convert::ValidateReportEventsRequest(r), "events has 1001 entries, at most 1000");
}

}  // namespace
}  // namespace gavel::server
