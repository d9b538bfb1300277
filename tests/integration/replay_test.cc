// Integration: replaying an auction by its tie-break seed on the real gavel_server over a real
// channel. Every response returns its seed; a dry run of the same request with that seed, on the
// same catalog version, has the same winners, slots and prices, ties included. A seed on a live
// auction is refused.
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace gavel {
namespace {

using ::gavel::testing::Runfile;
using ::gavel::testing::ServerProcess;

class ReplayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = ServerProcess::Start(
        "server/gavel_server",
        {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
         absl::StrCat("--ledger_dir=", std::getenv("TEST_TMPDIR"), "/ledger")});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    stub_ = gavel::v1::AuctionService::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }
  static void TearDownTestSuite() {
    stub_.reset();
    delete server_;
    server_ = nullptr;
  }

  static grpc::Status Run(const gavel::v1::RunAuctionRequest& req,
                          gavel::v1::RunAuctionResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->RunAuction(&ctx, req, resp);
  }

  // The same request as a dry run with `seed`.
  static gavel::v1::RunAuctionRequest Replay(gavel::v1::RunAuctionRequest req, uint64_t seed) {
    req.mutable_options()->set_dry_run(true);
    req.mutable_options()->set_tie_break_seed(seed);
    return req;
  }

  // Four caller candidates of four advertisers tied at $1 and quality 1, and one at $0.40: demo
  // catalog campaigns, since a live auction takes caller candidates only for catalog campaigns.
  static gavel::v1::RunAuctionRequest Tied() {
    static const std::pair<const char*, const char*> kCampaigns[] = {
        {"adv-sonic", "c-sonic-search"},
        {"adv-aurel", "c-aurel-search"},
        {"adv-nova", "c-nova-phones"},
        {"adv-volt", "c-volt-accessories"},
        {"adv-crema", "c-crema-coffee"}};
    gavel::v1::RunAuctionRequest req;
    req.set_placement(gavel::v1::PLACEMENT_REST_OF_SEARCH);
    req.set_slots(2);
    req.mutable_shopper()->set_user_id("replayer");
    for (int i = 0; i < 5; ++i) {
      gavel::v1::CallerCandidate* c = req.add_candidates();
      c->set_candidate_id(absl::StrCat("ad-", i));
      c->set_advertiser_id(kCampaigns[i].first);
      c->set_campaign_id(kCampaigns[i].second);
      c->set_product_id(absl::StrCat("prod-", i));
      c->set_bid_micros(i < 4 ? 1'000'000 : 400'000);
      c->set_quality(1.0);
    }
    return req;
  }

  static void ExpectSameWinners(const gavel::v1::RunAuctionResponse& replayed,
                                const gavel::v1::RunAuctionResponse& original) {
    EXPECT_EQ(replayed.catalog_version(), original.catalog_version());
    EXPECT_EQ(replayed.tie_break_seed(), original.tie_break_seed());
    ASSERT_EQ(replayed.winners_size(), original.winners_size());
    for (int i = 0; i < original.winners_size(); ++i) {
      EXPECT_EQ(replayed.winners(i).ad_id(), original.winners(i).ad_id()) << "winner " << i;
      EXPECT_EQ(replayed.winners(i).slot(), original.winners(i).slot()) << "winner " << i;
      EXPECT_EQ(replayed.winners(i).cpc_micros(), original.winners(i).cpc_micros())
          << "winner " << i;
      EXPECT_EQ(replayed.winners(i).min_bid_micros(), original.winners(i).min_bid_micros());
    }
  }

  static ServerProcess* server_;
  static std::unique_ptr<gavel::v1::AuctionService::Stub> stub_;
};

ServerProcess* ReplayTest::server_ = nullptr;
std::unique_ptr<gavel::v1::AuctionService::Stub> ReplayTest::stub_;

TEST_F(ReplayTest, ALiveAuctionsTiesReplayExactlyFromItsSeed) {
  std::set<std::string> top_winners;
  std::set<uint64_t> seeds;
  for (int round = 0; round < 40; ++round) {
    gavel::v1::RunAuctionResponse live;
    grpc::Status st = Run(Tied(), &live);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(live.winners_size(), 2);
    EXPECT_FALSE(live.winners(0).click_token().empty());  // a live auction: tokens were issued
    top_winners.insert(live.winners(0).ad_id());
    seeds.insert(live.tie_break_seed());

    gavel::v1::RunAuctionResponse replayed;
    st = Run(Replay(Tied(), live.tie_break_seed()), &replayed);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ExpectSameWinners(replayed, live);
    EXPECT_TRUE(replayed.winners(0).click_token().empty());  // a dry run issues nothing
  }
  EXPECT_EQ(seeds.size(), 40u);       // every auction draws its own seed
  EXPECT_EQ(top_winners.size(), 4u);  // and the ties fall differently across them
}

TEST_F(ReplayTest, ACatalogAuctionReplaysFromItsSeed) {
  gavel::v1::RunAuctionRequest req;
  req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
  req.set_slots(3);
  req.set_query("wireless headphones");
  req.mutable_shopper()->set_user_id("replayer");
  req.mutable_shopper()->set_local_hour(12);  // dayparting must not depend on when it replays
  req.mutable_options()->set_dry_run(true);
  req.mutable_options()->set_explain(true);
  gavel::v1::RunAuctionResponse first;
  ASSERT_TRUE(Run(req, &first).ok());
  ASSERT_GE(first.winners_size(), 2);
  gavel::v1::RunAuctionResponse replayed;
  ASSERT_TRUE(Run(Replay(req, first.tie_break_seed()), &replayed).ok());
  ExpectSameWinners(replayed, first);
  ASSERT_EQ(replayed.explanations_size(), first.explanations_size());
  for (int i = 0; i < first.explanations_size(); ++i) {
    EXPECT_EQ(replayed.explanations(i).ad_id(), first.explanations(i).ad_id());
    EXPECT_EQ(replayed.explanations(i).loss_reason(), first.explanations(i).loss_reason());
  }
}

TEST_F(ReplayTest, ASeedOnALiveAuctionIsInvalidArgument) {
  gavel::v1::RunAuctionRequest req = Tied();
  req.mutable_options()->set_tie_break_seed(42);
  gavel::v1::RunAuctionResponse resp;
  grpc::Status st = Run(req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "options.tie_break_seed is accepted only with options.dry_run, got 42 on a live "
            "auction");
}

}  // namespace
}  // namespace gavel
