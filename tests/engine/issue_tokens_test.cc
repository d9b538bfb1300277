// AuctionRequest::issue_tokens: false skips token signing but not the budget/pacing gate.
#include <memory>
#include <random>
#include <string>

#include "billing/token.h"
#include "common/clock.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "targeting/snapshot.h"

namespace gavel::engine {
namespace {

// Holds back campaign "c-broke" as out of budget; counts checks.
class FakeGate final : public ServingGate {
 public:
  ServeVerdict Check(absl::string_view campaign_id, int64_t, absl::Time, absl::BitGenRef) override {
    ++checks;
    return campaign_id == "c-broke" ? ServeVerdict::kBudgetExhausted : ServeVerdict::kServe;
  }
  int checks = 0;
};

ExternalCandidate MakeCandidate(const std::string& id, const std::string& campaign, int64_t bid) {
  return {.candidate_id = id,
          .advertiser_id = "a-" + id,
          .campaign_id = campaign,
          .product_id = "p-" + id,
          .bid_micros = bid,
          .quality = 1.0};
}

class IssueTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto snapshot = targeting::CatalogSnapshot::Build(catalog::Catalog{}, 1);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    engine_.Publish(std::make_shared<const Serving>(Serving{.catalog = *snapshot, .rules = {}}));
    request_.targeting.slots = 2;
    request_.external = {MakeCandidate("x", "c-ok", 900'000),
                         MakeCandidate("y", "c-broke", 2'000'000),
                         MakeCandidate("z", "c-ok2", 500'000)};
  }

  gavel::SimulatedClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  billing::TokenIssuer issuer_{billing::Keyring::InsecureDevDefault(), &clock_};
  FakeGate gate_;
  Engine engine_{&gate_, &issuer_, &clock_};
  AuctionRequest request_;
  std::mt19937_64 gen_{1};
};

TEST_F(IssueTokensTest, DefaultSignsEveryWinner) {
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(request_, gen_, &result).ok());
  ASSERT_EQ(result.winners.size(), 2u);
  for (const AdOutcome& w : result.winners) {
    EXPECT_FALSE(w.click_token.empty());
    EXPECT_FALSE(w.impression_token.empty());
  }
}

TEST_F(IssueTokensTest, FalseSkipsTokensButStillGatesAndPrices) {
  request_.issue_tokens = false;
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(request_, gen_, &result).ok());
  EXPECT_EQ(gate_.checks, 3);
  ASSERT_EQ(result.winners.size(), 2u);
  EXPECT_EQ(result.winners[0].ad_id, "x");  // "y" bid more but its campaign is out of budget
  EXPECT_EQ(result.winners[1].ad_id, "z");
  EXPECT_GT(result.winners[0].cpc_micros, 0);
  for (const AdOutcome& w : result.winners) {
    EXPECT_TRUE(w.click_token.empty());
    EXPECT_TRUE(w.impression_token.empty());
  }
}

}  // namespace
}  // namespace gavel::engine
