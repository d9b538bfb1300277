// Replaying an auction: the engine reports the tie-break seed it used, and an auction run again
// with that seed (a dry run, as the server allows) has the same winners, slots and prices, ties
// included.
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/random/distributions.h"
#include "common/clock.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "targeting/snapshot.h"

namespace gavel::engine {
namespace {

// Serves everything, but draws from the generator once per check, as pacing does.
class DrawingGate final : public ServingGate {
 public:
  ServeVerdict Check(absl::string_view, int64_t, absl::Time, absl::BitGenRef gen) override {
    ++checks;
    (void)absl::Uniform<uint64_t>(gen);
    return ServeVerdict::kServe;
  }
  int checks = 0;
};

catalog::Catalog OneAdCatalog() {
  catalog::Catalog c;
  c.advertisers = {{.id = "adv-a"}};
  c.campaigns = {{.id = "c-a", .advertiser_id = "adv-a", .daily_budget_micros = 10'000'000}};
  c.ad_groups = {{.id = "g-a", .campaign_id = "c-a", .default_bid_micros = 1'000'000}};
  c.products = {{.id = "p-1", .title = "Acme headphones", .price_micros = 50'000'000}};
  c.product_ads = {{.id = "ad-1", .ad_group_id = "g-a", .product_id = "p-1"}};
  return c;
}

// Four ads of four advertisers tied at $1 and quality 1, and a fifth below them.
AuctionRequest TiedCallerCandidates(int slots) {
  AuctionRequest r;
  r.request_id = "tied";
  r.targeting.placement = catalog::Placement::kTopOfSearch;
  r.targeting.slots = slots;
  r.targeting.shopper.user_id = "u-1";
  r.targeting.shopper.local_hour = 12;
  for (int i = 0; i < 4; ++i) {
    const std::string n = std::to_string(i);
    r.external.push_back({.candidate_id = "tie-" + n,
                          .advertiser_id = "a" + n,
                          .campaign_id = "k" + n,
                          .product_id = "p" + n,
                          .bid_micros = 1'000'000,
                          .quality = 1.0});
  }
  r.external.push_back({.candidate_id = "low",
                        .advertiser_id = "a9",
                        .campaign_id = "k9",
                        .product_id = "p9",
                        .bid_micros = 400'000,
                        .quality = 1.0});
  return r;
}

struct Shown {
  std::string ad_id;
  int slot;
  int64_t cpc_micros;
  bool operator==(const Shown& o) const {
    return ad_id == o.ad_id && slot == o.slot && cpc_micros == o.cpc_micros;
  }
};

std::vector<Shown> Winners(const AuctionResult& r) {
  std::vector<Shown> out;
  for (const AdOutcome& w : r.winners) out.push_back({std::string(w.ad_id), w.slot, w.cpc_micros});
  return out;
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto snapshot = targeting::CatalogSnapshot::Build(OneAdCatalog(), 3);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    engine_.Publish(std::make_shared<const Serving>(Serving{*snapshot, {.increment_micros = 0}}));
  }

  gavel::SimulatedClock clock_{absl::FromUnixSeconds(1'790'000'000)};
  std::shared_ptr<const billing::Keyring> keyring_ = billing::Keyring::InsecureDevDefault();
  billing::TokenIssuer issuer_{keyring_, &clock_};
  DrawingGate gate_;
  Engine engine_{&gate_, &issuer_, &clock_};
};

TEST_F(ReplayTest, TheSeedIsTheGeneratorsDrawAfterEveryGateDraw) {
  std::mt19937_64 gen(11);
  std::mt19937_64 expected(11);
  const AuctionRequest request = TiedCallerCandidates(2);
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(request, gen, &result).ok());
  ASSERT_EQ(gate_.checks, 5);  // one per campaign, each one draw
  for (int i = 0; i < gate_.checks; ++i) (void)absl::Uniform<uint64_t>(expected);
  EXPECT_EQ(result.tie_break_seed, absl::Uniform<uint64_t>(expected));
  EXPECT_EQ(gen, expected);  // and nothing after it
}

TEST_F(ReplayTest, ADryRunWithTheReturnedSeedReproducesWinnersSlotsAndPricesOfTies) {
  std::mt19937_64 gen(5);
  std::set<std::string> top_winners;
  for (int round = 0; round < 40; ++round) {
    const AuctionRequest request = TiedCallerCandidates(2);  // the result's ids view into it
    AuctionResult live;
    ASSERT_TRUE(engine_.RunAuction(request, gen, &live).ok());
    ASSERT_EQ(live.winners.size(), 2u);
    ASSERT_FALSE(live.winners[0].click_token.empty());
    top_winners.insert(std::string(live.winners[0].ad_id));

    AuctionRequest replay = request;
    replay.dry_run = true;
    replay.tie_break_seed = live.tie_break_seed;
    std::mt19937_64 other(1000 + round);  // the replay's generator does not matter
    AuctionResult again;
    ASSERT_TRUE(engine_.RunAuction(replay, other, &again).ok());
    EXPECT_EQ(Winners(again), Winners(live)) << "round " << round;
    EXPECT_EQ(again.tie_break_seed, live.tie_break_seed);
    EXPECT_EQ(again.winners[0].cpc_micros, 1'000'000);  // a tie: the winner pays its bid
  }
  EXPECT_EQ(top_winners.size(), 4u);  // the ties really were settled differently across seeds
}

TEST_F(ReplayTest, AGivenSeedTakesNoDrawFromTheGenerator) {
  AuctionRequest replay = TiedCallerCandidates(1);
  replay.dry_run = true;
  replay.tie_break_seed = 123;
  std::mt19937_64 gen(8);
  const std::mt19937_64 untouched(8);
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(replay, gen, &result).ok());
  EXPECT_EQ(gen, untouched);
  EXPECT_EQ(result.tie_break_seed, 123u);
}

}  // namespace
}  // namespace gavel::engine
