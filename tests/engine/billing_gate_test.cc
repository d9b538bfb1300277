// BillingGate with a real Billing behind the engine: catalog campaigns are gated through handles
// resolved at publish, with the verdicts the by-id path gives, and campaigns a new snapshot brings
// are gated from that snapshot on.
#include "engine/billing_gate.h"

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "billing/billing.h"
#include "common/clock.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "targeting/snapshot.h"
#include "targeting/synthetic.h"
#include "tests/billing/billing_test_util.h"

namespace gavel::engine {
namespace {

std::unique_ptr<billing::Billing> OpenBilling(const std::string& name, const gavel::Clock* clock) {
  billing::BillingConfig config =
      billing::testing::MakeConfig(billing::testing::FreshDir("gate_" + name));
  // Thousands of clicks; durability is not under test.
  config.ledger.fs = billing::LedgerFsWithSync([](int) { return 0; });
  return billing::testing::OpenBilling(std::move(config), clock);
}

// The by-id gate only: BillingGate's Check without its ForCatalog.
class ByIdGate final : public ServingGate {
 public:
  explicit ByIdGate(billing::Billing* billing) : inner_(billing) {}
  ServeVerdict Check(absl::string_view campaign_id, int64_t max_price_micros, absl::Time now,
                     absl::BitGenRef gen) override {
    return inner_.Check(campaign_id, max_price_micros, now, gen);
  }

 private:
  BillingGate inner_;
};

catalog::Campaign MakeCampaign(const std::string& id, int64_t daily_budget_micros) {
  return {.id = id,
          .advertiser_id = "adv-" + id,
          .daily_budget_micros = daily_budget_micros,
          .pacing = false};
}

// One advertiser per campaign, one ad group bidding `bid` on "headphones", one product ad.
void AddCampaign(catalog::Catalog* c, const std::string& id, int64_t daily_budget_micros,
                 int64_t bid) {
  c->advertisers.push_back({.id = "adv-" + id});
  c->campaigns.push_back(MakeCampaign(id, daily_budget_micros));
  c->ad_groups.push_back({.id = "g-" + id, .campaign_id = id, .default_bid_micros = bid});
  c->products.push_back(
      {.id = "p-" + id, .title = id + " wireless headphones", .price_micros = 50'000'000});
  c->product_ads.push_back({.id = "ad-" + id, .ad_group_id = "g-" + id, .product_id = "p-" + id});
  catalog::Target kw{
      .id = "t-" + id, .ad_group_id = "g-" + id, .kind = catalog::TargetKind::kKeyword};
  kw.keyword = {.text = "headphones", .match_type = catalog::MatchType::kBroad};
  c->targets.push_back(kw);
}

class BillingGateTest : public ::testing::Test {
 protected:
  // What the server does per catalog version: budgets to billing, then publish.
  void Publish(const catalog::Catalog& catalog, int64_t version) {
    auto snapshot = targeting::CatalogSnapshot::Build(catalog, version);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    ASSERT_TRUE(billing_->UpsertCampaigns(BudgetsFromCatalog((*snapshot)->catalog())).ok());
    engine_.Publish(std::make_shared<const Serving>(Serving{.catalog = *snapshot}));
  }
  AuctionResult Search() {
    AuctionRequest r;
    r.targeting.placement = catalog::Placement::kTopOfSearch;
    r.targeting.query = "wireless headphones";
    r.targeting.slots = 1;
    r.targeting.shopper.local_hour = 12;
    r.explain = true;
    AuctionResult result;
    EXPECT_TRUE(engine_.RunAuction(r, gen_, &result).ok());
    return result;
  }
  static const AdOutcome* Find(const AuctionResult& r, absl::string_view campaign) {
    for (const AdOutcome& e : r.explanations) {
      if (e.campaign_id == campaign) return &e;
    }
    return nullptr;
  }

  gavel::SimulatedClock clock_{absl::FromUnixSeconds(1'790'000'000)};
  std::unique_ptr<billing::Billing> billing_ = OpenBilling("added", &clock_);
  BillingGate gate_{billing_.get()};
  Engine engine_{&gate_, &billing_->issuer(), &clock_};
  std::mt19937_64 gen_{5};
};

TEST_F(BillingGateTest, ACampaignAddedByALaterSnapshotIsGatedByItsOwnBudget) {
  catalog::Catalog catalog;
  AddCampaign(&catalog, "c-old", 100'000'000, 1'000'000);
  Publish(catalog, 1);
  EXPECT_EQ(Find(Search(), "c-new"), nullptr);

  // An admin write adds c-new, bidding more, with a budget for a few clicks.
  AddCampaign(&catalog, "c-new", 5'000'000, 3'000'000);
  Publish(catalog, 2);
  AuctionResult r = Search();
  ASSERT_EQ(r.winners.size(), 1u);
  EXPECT_EQ(r.winners[0].campaign_id, "c-new");

  // Its clicks are charged until what is left no longer covers its bid; from then on the
  // snapshot's handle holds it back.
  int clicks = 0;
  for (; clicks < 10 && !r.winners.empty() && r.winners[0].campaign_id == "c-new"; ++clicks) {
    auto charged = billing_->Ingest({{.client_event_id = absl::StrCat("e", clicks),
                                      .type = billing::TokenType::kClick,
                                      .token = r.winners[0].click_token}});
    ASSERT_TRUE(charged.ok()) << charged.status();
    EXPECT_EQ((*charged)[0].outcome, billing::Outcome::kCharged);
    r = Search();
  }
  EXPECT_GE(clicks, 2);
  EXPECT_LT(billing_->budgets().Query("c-new", clock_.Now())->remaining_micros, 3'000'000);
  ASSERT_EQ(r.winners.size(), 1u);
  EXPECT_EQ(r.winners[0].campaign_id, "c-old");
  const AdOutcome* held = Find(r, "c-new");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->loss_reason, LossReason::kBudgetExhausted);

  // The next local day, it wins again.
  clock_.Advance(absl::Hours(24));
  r = Search();
  ASSERT_EQ(r.winners.size(), 1u);
  EXPECT_EQ(r.winners[0].campaign_id, "c-new");
}

// The same synthetic market run twice, through BillingGate's snapshot handles and through the
// by-id path, with the same seeds and clicks: the same winners at the same prices, auction by
// auction, while budgets run out and pacing throttles.
TEST(BillingGateProperty, SnapshotHandlesGiveTheByIdAuctions) {
  std::mt19937_64 catalog_gen(11);
  catalog::Catalog catalog = targeting::GenerateCatalog({.num_ads = 1'000}, catalog_gen);
  absl::TimeZone ny;
  ASSERT_TRUE(absl::LoadTimeZone("America/New_York", &ny));
  for (size_t i = 0; i < catalog.campaigns.size(); ++i) {
    catalog::Campaign& c = catalog.campaigns[i];
    c.daily_budget_micros = 2'000'000 + 500'000 * static_cast<int64_t>(i % 7);  // a few clicks
    c.time_zone = i % 2 == 0 ? ny : absl::UTCTimeZone();
    c.pacing = i % 3 != 0;
  }
  targeting::QuerySampler sampler(catalog);
  auto snapshot = targeting::CatalogSnapshot::Build(std::move(catalog), 1);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();

  struct Market {
    std::unique_ptr<billing::Billing> billing;
    std::unique_ptr<ServingGate> gate;
    std::unique_ptr<Engine> engine;
    std::mt19937_64 gen{99};
  };
  gavel::SimulatedClock clock(absl::FromCivil(absl::CivilSecond(2026, 3, 7, 18, 0, 0), ny));
  Market by_handle, by_id;
  by_handle.billing = OpenBilling("prop_handle", &clock);
  by_id.billing = OpenBilling("prop_id", &clock);
  by_handle.gate = std::make_unique<BillingGate>(by_handle.billing.get());
  by_id.gate = std::make_unique<ByIdGate>(by_id.billing.get());
  for (Market* m : {&by_handle, &by_id}) {
    ASSERT_TRUE(m->billing->UpsertCampaigns(BudgetsFromCatalog((*snapshot)->catalog())).ok());
    m->engine = std::make_unique<Engine>(m->gate.get(), &m->billing->issuer(), &clock);
    m->engine->Publish(std::make_shared<const Serving>(
        Serving{.catalog = *snapshot, .rules = {.slots = 3, .reserve_micros = 20'000}}));
  }
  ASSERT_NE(by_handle.engine->current()->gate, nullptr);
  ASSERT_EQ(by_id.engine->current()->gate, nullptr);

  std::mt19937_64 traffic(3);
  int64_t winners = 0, charged = 0;
  std::map<LossReason, int64_t> held_back;
  for (int i = 0; i < 2'000; ++i) {
    clock.Advance(absl::Minutes(1));  // across New York's spring-forward night
    AuctionRequest req;
    req.targeting = sampler.Sample(traffic);
    req.targeting.slots = 3;
    req.explain = true;
    AuctionResult a, b;
    ASSERT_TRUE(by_handle.engine->RunAuction(req, by_handle.gen, &a).ok());
    ASSERT_TRUE(by_id.engine->RunAuction(req, by_id.gen, &b).ok());
    ASSERT_EQ(a.winners.size(), b.winners.size()) << "auction " << i;
    for (size_t w = 0; w < a.winners.size(); ++w) {
      ASSERT_EQ(a.winners[w].ad_id, b.winners[w].ad_id) << "auction " << i;
      ASSERT_EQ(a.winners[w].cpc_micros, b.winners[w].cpc_micros) << "auction " << i;
    }
    ASSERT_EQ(a.explanations.size(), b.explanations.size()) << "auction " << i;
    for (size_t e = 0; e < a.explanations.size(); ++e) {
      ASSERT_EQ(a.explanations[e].ad_id, b.explanations[e].ad_id) << "auction " << i;
      ASSERT_EQ(a.explanations[e].loss_reason, b.explanations[e].loss_reason) << "auction " << i;
      held_back[a.explanations[e].loss_reason]++;
    }
    winners += static_cast<int64_t>(a.winners.size());
    // The top winner is clicked, in both markets.
    if (!a.winners.empty()) {
      const std::string id = absl::StrCat("e", i);
      auto ra = by_handle.billing->Ingest({{.client_event_id = id,
                                            .type = billing::TokenType::kClick,
                                            .token = a.winners[0].click_token}});
      auto rb = by_id.billing->Ingest({{.client_event_id = id,
                                        .type = billing::TokenType::kClick,
                                        .token = b.winners[0].click_token}});
      ASSERT_TRUE(ra.ok() && rb.ok());
      ASSERT_EQ((*ra)[0].outcome, (*rb)[0].outcome) << "auction " << i;
      charged += (*ra)[0].outcome == billing::Outcome::kCharged;
    }
  }
  EXPECT_GT(winners, 1'000);
  EXPECT_GT(charged, 500);
  EXPECT_GT(held_back[LossReason::kBudgetExhausted], 100);
  EXPECT_GT(held_back[LossReason::kPacedOut], 100);
}

}  // namespace
}  // namespace gavel::engine
