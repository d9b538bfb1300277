#include "engine/engine.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "auction/types.h"
#include "billing/token.h"
#include "catalog/limits.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "targeting/snapshot.h"
#include "targeting/synthetic.h"

namespace gavel::engine {
namespace {

// A gate with a fixed verdict per campaign id (serve by default).
class FixedGate final : public ServingGate {
 public:
  ServeVerdict Check(absl::string_view campaign_id, int64_t max_price_micros, absl::Time,
                     absl::BitGenRef) override {
    ++checks;
    max_price[std::string(campaign_id)] = max_price_micros;
    auto it = verdicts.find(std::string(campaign_id));
    return it == verdicts.end() ? ServeVerdict::kServe : it->second;
  }
  std::map<std::string, ServeVerdict> verdicts;
  std::map<std::string, int64_t> max_price;
  int checks = 0;
};

// A gate that also resolves each snapshot's campaigns (as BillingGate does) and records which path
// each check took: by catalog index, or by id.
class IndexedGate final : public ServingGate {
 public:
  ServeVerdict Check(absl::string_view campaign_id, int64_t, absl::Time, absl::BitGenRef) override {
    by_id.push_back(std::string(campaign_id));
    return ServeVerdict::kServe;
  }
  std::shared_ptr<const CatalogGate> ForCatalog(
      const targeting::CatalogSnapshot& catalog) override {
    ++snapshots;
    std::vector<std::string> ids;
    for (const catalog::Campaign& c : catalog.catalog().campaigns) ids.push_back(c.id);
    return std::make_shared<Indexed>(this, std::move(ids));
  }
  std::vector<std::string> by_id, by_index;
  std::map<std::string, ServeVerdict> verdicts;
  int snapshots = 0;

 private:
  class Indexed final : public CatalogGate {
   public:
    Indexed(IndexedGate* gate, std::vector<std::string> ids) : gate_(gate), ids_(std::move(ids)) {}
    ServeVerdict Check(int32_t campaign, int64_t, absl::Time, absl::BitGenRef) const override {
      gate_->by_index.push_back(ids_[campaign]);
      auto it = gate_->verdicts.find(ids_[campaign]);
      return it == gate_->verdicts.end() ? ServeVerdict::kServe : it->second;
    }

   private:
    IndexedGate* const gate_;
    const std::vector<std::string> ids_;
  };
};

// Two advertisers bidding on "wireless headphones"; a third product for the same query from the
// first advertiser; one campaign with a negative keyword.
catalog::Catalog SmallCatalog() {
  catalog::Catalog c;
  c.advertisers = {{.id = "adv-a"}, {.id = "adv-b"}};
  c.campaigns = {
      {.id = "c-a", .advertiser_id = "adv-a", .daily_budget_micros = 10'000'000},
      {.id = "c-b",
       .advertiser_id = "adv-b",
       .daily_budget_micros = 10'000'000,
       .negative_keywords = {{.text = "cheap", .match_type = catalog::MatchType::kPhrase}}},
  };
  c.ad_groups = {{.id = "g-a", .campaign_id = "c-a", .default_bid_micros = 1'000'000},
                 {.id = "g-b", .campaign_id = "c-b", .default_bid_micros = 2'000'000}};
  c.products = {{.id = "p-1", .title = "Acme wireless headphones", .price_micros = 50'000'000},
                {.id = "p-2", .title = "Bolt wireless headphones", .price_micros = 60'000'000},
                {.id = "p-3", .title = "Acme wired headphones", .price_micros = 20'000'000}};
  c.product_ads = {{.id = "ad-1", .ad_group_id = "g-a", .product_id = "p-1"},
                   {.id = "ad-2", .ad_group_id = "g-b", .product_id = "p-2"},
                   {.id = "ad-3", .ad_group_id = "g-a", .product_id = "p-3"}};
  catalog::Target kw{.id = "t-a", .ad_group_id = "g-a", .kind = catalog::TargetKind::kKeyword};
  kw.keyword = {.text = "headphones", .match_type = catalog::MatchType::kBroad};
  catalog::Target kw2 = kw;
  kw2.id = "t-b";
  kw2.ad_group_id = "g-b";
  c.targets = {kw, kw2};
  return c;
}

class EngineTest : public ::testing::Test {
 protected:
  void Publish(catalog::Catalog catalog, auction::Rules rules) {
    auto snapshot = targeting::CatalogSnapshot::Build(std::move(catalog), 7);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    engine_.Publish(std::make_shared<const Serving>(Serving{*snapshot, rules}));
  }
  static AuctionRequest Search(const std::string& query, int slots) {
    AuctionRequest r;
    r.request_id = "r-1";
    r.targeting.placement = catalog::Placement::kTopOfSearch;
    r.targeting.query = query;
    r.targeting.slots = slots;
    r.targeting.shopper.user_id = "u-1";
    r.targeting.shopper.local_hour = 12;
    return r;
  }

  gavel::SimulatedClock clock_{absl::FromUnixSeconds(1'790'000'000)};
  std::shared_ptr<const billing::Keyring> keyring_ = billing::Keyring::InsecureDevDefault();
  billing::TokenIssuer issuer_{keyring_, &clock_};
  billing::TokenVerifier verifier_{keyring_};
  FixedGate gate_;
  Engine engine_{&gate_, &issuer_, &clock_};
  std::mt19937_64 gen_{42};
};

TEST_F(EngineTest, FailsBeforeTheFirstPublish) {
  AuctionResult result;
  absl::Status st = engine_.RunAuction(Search("headphones", 1), gen_, &result);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), "no catalog is loaded yet");
}

TEST_F(EngineTest, WinnersCarryIdsPricesAndTokensThatVerifyAtTheirPrice) {
  Publish(SmallCatalog(), auction::Rules{.slots = 2});
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(Search("wireless headphones", 2), gen_, &result).ok());
  EXPECT_EQ(result.request_id, "r-1");
  EXPECT_EQ(result.catalog_version, 7);
  ASSERT_EQ(result.winners.size(), 2u);
  EXPECT_EQ(result.winners[0].slot, 1);
  EXPECT_EQ(result.winners[1].slot, 2);
  for (const AdOutcome& w : result.winners) {
    // The retriever leaves the matched keyword's text to the rows that are shown.
    EXPECT_EQ(w.matched.kind, targeting::MatchKind::kKeyword) << w.ad_id;
    EXPECT_EQ(w.matched.keyword_text, "headphones") << w.ad_id;
    EXPECT_FALSE(w.target_id.empty()) << w.ad_id;
    EXPECT_LE(w.cpc_micros, w.bid_micros) << w.ad_id;
    EXPECT_GE(w.cpc_micros, 10'000) << w.ad_id;
    billing::VerifyResult v =
        verifier_.Verify(w.click_token, billing::TokenType::kClick, clock_.Now());
    ASSERT_TRUE(v.ok()) << billing::TokenErrorName(v.error);
    EXPECT_EQ(v.claims.price_micros, w.cpc_micros);
    EXPECT_EQ(v.claims.ad_id, w.ad_id);
    EXPECT_EQ(v.claims.campaign_id, w.campaign_id);
    EXPECT_EQ(v.claims.auction_id, result.auction_id);
    EXPECT_TRUE(
        verifier_.Verify(w.impression_token, billing::TokenType::kImpression, clock_.Now()).ok());
  }
  EXPECT_TRUE(result.explanations.empty());
}

// A reload frees the snapshot it replaces as soon as no auction holds it (the server then returns
// its pages to the kernel): publishing never keeps an old version alive.
TEST_F(EngineTest, PublishingANewSnapshotFreesTheOldOneOnceNoAuctionHoldsIt) {
  auto first = targeting::CatalogSnapshot::Build(SmallCatalog(), 1);
  ASSERT_TRUE(first.ok()) << first.status();
  std::weak_ptr<const targeting::CatalogSnapshot> old = *first;
  engine_.Publish(
      std::make_shared<const Serving>(Serving{*std::move(first), auction::Rules{.slots = 1}}));
  AuctionResult held;  // a result keeps its snapshot alive, as an auction in flight does
  ASSERT_TRUE(engine_.RunAuction(Search("running shoes", 1), gen_, &held).ok());
  Publish(SmallCatalog(), auction::Rules{.slots = 1});
  EXPECT_FALSE(old.expired());
  held = AuctionResult();
  EXPECT_TRUE(old.expired());
}

TEST_F(EngineTest, AuctionIdsAreUnique) {
  Publish(SmallCatalog(), auction::Rules{.slots = 1});
  AuctionResult a, b;
  ASSERT_TRUE(engine_.RunAuction(Search("headphones", 1), gen_, &a).ok());
  ASSERT_TRUE(engine_.RunAuction(Search("headphones", 1), gen_, &b).ok());
  EXPECT_NE(a.auction_id, b.auction_id);
}

TEST_F(EngineTest, ExplainGivesEveryCandidateAReasonAndAMinimumBidPerSlot) {
  Publish(SmallCatalog(), auction::Rules{.slots = 1});
  AuctionRequest req = Search("cheap wireless headphones", 1);
  req.explain = true;
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(req, gen_, &result).ok());
  bool negative = false, outranked = false;
  for (const AdOutcome& e : result.explanations) {
    if (e.slot > 0) {
      EXPECT_EQ(e.loss_reason, LossReason::kNone);
      continue;
    }
    if (e.ad_id == "ad-2") {
      EXPECT_EQ(e.loss_reason, LossReason::kNegativeKeyword) << e.detail;
      // Rejected before scoring: the resolved bid (g-b's default) and the broad match relevance.
      EXPECT_EQ(e.bid_micros, 2'000'000);
      EXPECT_DOUBLE_EQ(e.relevance, 0.25 + 0.5 * 1 / 3.0);
      negative = true;
    }
    if (e.loss_reason == LossReason::kOutranked) {
      outranked = true;
      ASSERT_EQ(e.min_bid_micros_per_slot.size(), 1u);
      EXPECT_GT(e.min_bid_micros_per_slot[0], e.bid_micros) << e.ad_id;
    }
  }
  EXPECT_TRUE(negative);
  EXPECT_TRUE(outranked);  // ad-1 and ad-3 are the same advertiser's: one of them is outranked.
}

TEST_F(EngineTest, TheGateHoldsBackCampaignsWithTheirReason) {
  Publish(SmallCatalog(), auction::Rules{.slots = 2});
  gate_.verdicts["c-a"] = ServeVerdict::kBudgetExhausted;
  gate_.verdicts["c-b"] = ServeVerdict::kPacedOut;
  AuctionRequest req = Search("wireless headphones", 2);
  req.explain = true;
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(req, gen_, &result).ok());
  EXPECT_TRUE(result.winners.empty());
  EXPECT_EQ(gate_.checks, 2);  // Once per campaign, not per ad.
  int budget = 0, paced = 0;
  for (const AdOutcome& e : result.explanations) {
    budget += e.loss_reason == LossReason::kBudgetExhausted;
    paced += e.loss_reason == LossReason::kPacedOut;
  }
  EXPECT_EQ(budget, 2);
  EXPECT_EQ(paced, 1);
}

// A campaign must be able to pay its highest bid in the auction, or it would win clicks that
// billing then refuses to charge (free clicks).
TEST_F(EngineTest, TheGateIsAskedWhetherEachCampaignCanAffordItsHighestBid) {
  Publish(SmallCatalog(), auction::Rules{.slots = 2});
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(Search("wireless headphones", 2), gen_, &result).ok());
  EXPECT_EQ(gate_.max_price["c-a"], 1'000'000);
  EXPECT_EQ(gate_.max_price["c-b"], 2'000'000);
}

TEST_F(EngineTest, ADryRunSkipsTheGateAndSignsNothing) {
  Publish(SmallCatalog(), auction::Rules{.slots = 2});
  gate_.verdicts["c-a"] = ServeVerdict::kBudgetExhausted;
  AuctionRequest req = Search("wireless headphones", 2);
  req.dry_run = true;
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(req, gen_, &result).ok());
  EXPECT_EQ(gate_.checks, 0);
  ASSERT_EQ(result.winners.size(), 2u);
  for (const AdOutcome& w : result.winners) EXPECT_TRUE(w.click_token.empty());
}

TEST_F(EngineTest, CallerCandidatesAreAuctionedWithoutTheCatalog) {
  Publish(SmallCatalog(), auction::Rules{.slots = 2, .increment_micros = 0});
  AuctionRequest req = Search("", 2);
  req.external = {{.candidate_id = "x",
                   .advertiser_id = "a1",
                   .campaign_id = "k1",
                   .product_id = "p1",
                   .bid_micros = 3'000'000,
                   .quality = 1.0},
                  {.candidate_id = "y",
                   .advertiser_id = "a2",
                   .campaign_id = "k2",
                   .product_id = "p2",
                   .bid_micros = 2'000'000,
                   .quality = 0.5},
                  {.candidate_id = "z",
                   .advertiser_id = "a3",
                   .campaign_id = "k3",
                   .product_id = "p2",
                   .bid_micros = 500'000,
                   .quality = 1.0}};
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(req, gen_, &result).ok());
  ASSERT_EQ(result.winners.size(), 2u);
  EXPECT_EQ(result.winners[0].ad_id, "x");
  EXPECT_EQ(result.winners[0].cpc_micros, 1'000'000);  // y's score 1.0 / x's quality 1.0
  EXPECT_EQ(result.winners[1].ad_id, "y");             // z advertises p2 too and scores lower
  EXPECT_EQ(result.winners[1].cpc_micros, 10'000);     // no competitor: the minimum CPC
  EXPECT_TRUE(result.winners[0].external());
}

// A caller candidate without a quality is not given the best possible one: it gets the neutral
// quality, what docs/targeting.md's formula gives a fully relevant ad at the baseline CTR.
TEST_F(EngineTest, ACallerCandidateWithoutQualityGetsTheNeutralQualityNotTheBest) {
  Publish(SmallCatalog(), auction::Rules{.slots = 1});
  AuctionRequest req = Search("", 1);
  req.explain = true;
  req.external = {{.candidate_id = "unscored",
                   .advertiser_id = "a1",
                   .campaign_id = "k1",
                   .product_id = "p1",
                   .bid_micros = 1'000'000,
                   .quality = 0},
                  {.candidate_id = "scored",
                   .advertiser_id = "a2",
                   .campaign_id = "k2",
                   .product_id = "p2",
                   .bid_micros = 1'000'000,
                   .quality = 0.9}};
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(req, gen_, &result).ok());
  ASSERT_EQ(result.winners.size(), 1u);
  EXPECT_EQ(result.winners[0].ad_id, "scored");
  ASSERT_EQ(result.explanations.size(), 2u);
  EXPECT_EQ(result.explanations[1].ad_id, "unscored");
  EXPECT_DOUBLE_EQ(result.explanations[1].quality, std::sqrt(0.5));
  EXPECT_DOUBLE_EQ(result.explanations[1].predicted_ctr,
                   engine_.current()->catalog->model().baseline_ctr());
}

TEST_F(EngineTest, AProductPageNeverAdvertisesTheProductItShowsAmongCallerCandidates) {
  Publish(SmallCatalog(), auction::Rules{.slots = 2});
  AuctionRequest req = Search("", 2);
  req.targeting.placement = catalog::Placement::kProductPage;
  req.targeting.viewed_product_id = "p1";
  req.explain = true;
  req.external = {{.candidate_id = "viewed",
                   .advertiser_id = "a1",
                   .campaign_id = "k1",
                   .product_id = "p1",
                   .bid_micros = 3'000'000,
                   .quality = 1.0},
                  {.candidate_id = "other",
                   .advertiser_id = "a2",
                   .campaign_id = "k2",
                   .product_id = "p2",
                   .bid_micros = 1'000'000,
                   .quality = 1.0}};
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(req, gen_, &result).ok());
  ASSERT_EQ(result.winners.size(), 1u);
  EXPECT_EQ(result.winners[0].ad_id, "other");
  bool held_back = false;
  for (const AdOutcome& e : result.explanations) {
    if (e.ad_id != "viewed") continue;
    held_back = true;
    EXPECT_EQ(e.slot, 0);
    EXPECT_EQ(e.loss_reason, LossReason::kTargetingExcluded);
    EXPECT_EQ(e.detail, "the product this page shows");
  }
  EXPECT_TRUE(held_back);
}

// The catalog's rules may list reserves for more slots than one request asks for; the request's
// slots take the first entries.
TEST_F(EngineTest, SlotReservesBeyondTheRequestsSlotsAreIgnored) {
  Publish(SmallCatalog(),
          auction::Rules{.reserve_micros = 100'000, .slot_reserve_micros = {500'000, 300'000}});
  AuctionResult result;
  absl::Status st = engine_.RunAuction(Search("wireless headphones", 1), gen_, &result);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(result.winners.size(), 1u);
  EXPECT_GE(result.winners[0].cpc_micros, 500'000);
}

// docs/auction.md, "Minimum bids": x and y advertise one product, z another; the reserve applies
// to the score.
TEST_F(EngineTest, ExplainMinBidsPerSlotCountTheProductRuleAndQualityWeightedReserves) {
  Publish(SmallCatalog(), auction::Rules{.slots = 2,
                                         .reserve_micros = 400'000,
                                         .reserve_mode = auction::ReserveMode::kQualityWeighted});
  AuctionRequest req = Search("", 2);
  req.explain = true;
  req.external = {{.candidate_id = "x",
                   .advertiser_id = "a1",
                   .campaign_id = "k1",
                   .product_id = "p1",
                   .bid_micros = 3'000'000,
                   .quality = 1.0},
                  {.candidate_id = "y",
                   .advertiser_id = "a2",
                   .campaign_id = "k2",
                   .product_id = "p1",
                   .bid_micros = 2'000'000,
                   .quality = 1.0},
                  {.candidate_id = "z",
                   .advertiser_id = "a3",
                   .campaign_id = "k3",
                   .product_id = "p2",
                   .bid_micros = 1'000'000,
                   .quality = 0.5}};
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(req, gen_, &result).ok());
  std::map<std::string, std::vector<int64_t>> per_slot;
  for (const AdOutcome& e : result.explanations) {
    per_slot[std::string(e.ad_id)] = e.min_bid_micros_per_slot;
  }
  // x must stay above y, its product's other ad, for any slot.
  EXPECT_EQ(per_slot["x"], (std::vector<int64_t>{2'000'001, 2'000'001}));
  EXPECT_EQ(per_slot["y"], (std::vector<int64_t>{3'000'001, 3'000'001}));
  // z must outrank x for slot 0; slot 1 needs only the weighted reserve, 400,000 / 0.5.
  EXPECT_EQ(per_slot["z"], (std::vector<int64_t>{6'000'001, 800'000}));
  ASSERT_EQ(result.winners.size(), 2u);
  EXPECT_EQ(result.winners[0].min_bid_micros, 2'000'001);
  EXPECT_EQ(result.winners[1].min_bid_micros, 800'000);
}

TEST_F(EngineTest, ExplainMinBidIsOneMicroWhenAnyBidWouldDo) {
  Publish(SmallCatalog(), auction::Rules{.slots = 1, .min_cpc_micros = 0});
  AuctionRequest req = Search("", 1);
  req.explain = true;
  req.external = {{.candidate_id = "x",
                   .advertiser_id = "a1",
                   .campaign_id = "k1",
                   .product_id = "p1",
                   .bid_micros = 1'000'000,
                   .quality = 1.0}};
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(req, gen_, &result).ok());
  ASSERT_EQ(result.explanations.size(), 1u);
  EXPECT_EQ(result.explanations[0].min_bid_micros_per_slot, (std::vector<int64_t>{1}));
}

TEST_F(EngineTest, ExplainReportsAMinimumAboveTheBidLimitAsZero) {
  Publish(SmallCatalog(), auction::Rules{.slots = 1});
  AuctionRequest req = Search("", 1);
  req.explain = true;
  // y would need 2,000,000,001 micros to outrank x: more than the API accepts.
  req.external = {{.candidate_id = "x",
                   .advertiser_id = "a1",
                   .campaign_id = "k1",
                   .product_id = "p1",
                   .bid_micros = catalog::kMaxBidMicros,
                   .quality = 1.0},
                  {.candidate_id = "y",
                   .advertiser_id = "a2",
                   .campaign_id = "k2",
                   .product_id = "p2",
                   .bid_micros = 1'000'000,
                   .quality = 0.5}};
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(req, gen_, &result).ok());
  ASSERT_EQ(result.explanations.size(), 2u);
  EXPECT_EQ(result.explanations[1].ad_id, "y");
  EXPECT_EQ(result.explanations[1].min_bid_micros_per_slot, (std::vector<int64_t>{0}));
}

TEST_F(EngineTest, CatalogCampaignsAreGatedByIndexAndCallerCandidatesById) {
  IndexedGate gate;
  Engine engine(&gate, &issuer_, &clock_);
  auto snapshot = targeting::CatalogSnapshot::Build(SmallCatalog(), 7);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  engine.Publish(std::make_shared<const Serving>(Serving{*snapshot, {.slots = 2}}));
  EXPECT_EQ(gate.snapshots, 1);
  ASSERT_NE(engine.current()->gate, nullptr);

  gate.verdicts["c-a"] = ServeVerdict::kBudgetExhausted;
  AuctionResult result;
  ASSERT_TRUE(engine.RunAuction(Search("wireless headphones", 2), gen_, &result).ok());
  std::sort(gate.by_index.begin(), gate.by_index.end());  // candidate order
  EXPECT_EQ(gate.by_index, (std::vector<std::string>{"c-a", "c-b"}));
  EXPECT_TRUE(gate.by_id.empty());
  ASSERT_EQ(result.winners.size(), 1u);
  EXPECT_EQ(result.winners[0].campaign_id, "c-b");

  // Caller candidates' campaigns need not be in the catalog: they are checked by id.
  gate.by_index.clear();
  AuctionRequest req = Search("", 2);
  req.external = {{.candidate_id = "x",
                   .advertiser_id = "a1",
                   .campaign_id = "c-a",
                   .product_id = "p1",
                   .bid_micros = 3'000'000,
                   .quality = 1.0},
                  {.candidate_id = "y",
                   .advertiser_id = "a2",
                   .campaign_id = "k2",
                   .product_id = "p2",
                   .bid_micros = 2'000'000,
                   .quality = 1.0}};
  ASSERT_TRUE(engine.RunAuction(req, gen_, &result).ok());
  std::sort(gate.by_id.begin(), gate.by_id.end());
  EXPECT_EQ(gate.by_id, (std::vector<std::string>{"c-a", "k2"}));
  EXPECT_TRUE(gate.by_index.empty());

  // Each publish resolves its own snapshot.
  engine.Publish(std::make_shared<const Serving>(Serving{*snapshot, {.slots = 2}}));
  EXPECT_EQ(gate.snapshots, 2);
}

TEST_F(EngineTest, ABadQueryIsInvalidArgument) {
  Publish(SmallCatalog(), auction::Rules{.slots = 1});
  AuctionResult result;
  absl::Status st = engine_.RunAuction(Search("head\xffphones", 1), gen_, &result);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, AnUnknownLocalHourComesFromTheShoppersTimeZone) {
  catalog::Catalog c = SmallCatalog();
  // Campaign c-b serves only 09:00-09:59 local time.
  c.campaigns[1].predicates.include_hours = {9};
  Publish(std::move(c), auction::Rules{.slots = 2});
  clock_.Set(absl::FromCivil(absl::CivilHour(2026, 6, 1, 9), absl::UTCTimeZone()));
  AuctionRequest req = Search("wireless headphones", 2);
  req.targeting.shopper.local_hour = -1;
  auto has_b = [&](const AuctionRequest& r) {
    AuctionResult result;
    EXPECT_TRUE(engine_.RunAuction(r, gen_, &result).ok());
    for (const AdOutcome& w : result.winners) {
      if (w.campaign_id == "c-b") return true;
    }
    return false;
  };
  EXPECT_TRUE(has_b(req));  // 09:00 UTC
  absl::TimeZone tokyo;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Tokyo", &tokyo));
  req.shopper_time_zone = tokyo;  // 18:00 in Tokyo
  EXPECT_FALSE(has_b(req));
  // An hour the client says is unknown is not taken from the time zone: c-b's hour list excludes.
  req.shopper_time_zone = absl::UTCTimeZone();
  req.hour_from_time_zone = false;
  EXPECT_FALSE(has_b(req));
}

TEST_F(EngineTest, AProductPageNeverAdvertisesTheProductItShows) {
  catalog::Catalog c = SmallCatalog();
  catalog::Target product_target{.id = "t-p",
                                 .ad_group_id = "g-b",
                                 .kind = catalog::TargetKind::kProduct,
                                 .product_id = "p-1"};
  c.targets.push_back(product_target);
  catalog::Target own{.id = "t-own",
                      .ad_group_id = "g-a",
                      .kind = catalog::TargetKind::kProduct,
                      .product_id = "p-1"};
  c.targets.push_back(own);
  Publish(std::move(c), auction::Rules{.slots = 2});
  AuctionRequest req = Search("", 2);
  req.targeting.placement = catalog::Placement::kProductPage;
  req.targeting.viewed_product_id = "p-1";
  req.explain = true;
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(req, gen_, &result).ok());
  ASSERT_FALSE(result.winners.empty());
  for (const AdOutcome& w : result.winners) EXPECT_NE(w.product_id, "p-1");
  bool excluded = false;
  for (const AdOutcome& e : result.explanations) {
    if (e.product_id == "p-1") {
      EXPECT_EQ(e.loss_reason, LossReason::kTargetingExcluded);
      EXPECT_EQ(e.detail, "the product this page shows");
      excluded = true;
    }
  }
  EXPECT_TRUE(excluded);
}

// End to end over a synthetic catalog and sampled queries: every winner, under every mechanism,
// pays at least its slot's floor and at most its bid, and its click token carries that price.
TEST(EngineProperty, EveryWinnerPaysBetweenItsFloorAndItsBid) {
  std::mt19937_64 gen(7);
  catalog::Catalog catalog = targeting::GenerateCatalog({.num_ads = 3'000}, gen);
  targeting::QuerySampler sampler(catalog);
  auto snapshot = targeting::CatalogSnapshot::Build(std::move(catalog), 1);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  gavel::SimulatedClock clock(absl::FromUnixSeconds(1'790'000'000));
  auto keyring = billing::Keyring::InsecureDevDefault();
  billing::TokenIssuer issuer(keyring, &clock);
  billing::TokenVerifier verifier(keyring);
  OpenGate gate;
  Engine engine(&gate, &issuer, &clock);
  const auction::Rules rules{
      .slots = 4, .reserve_micros = 50'000, .slot_reserve_micros = {200'000}};
  engine.Publish(std::make_shared<const Serving>(Serving{*snapshot, rules}));
  int winners = 0;
  for (int i = 0; i < 3'000; ++i) {
    AuctionRequest req;
    req.targeting = sampler.Sample(gen);
    req.targeting.slots = 4;
    req.mechanism = static_cast<auction::Mechanism>(i % 3);
    AuctionResult result;
    ASSERT_TRUE(engine.RunAuction(req, gen, &result).ok());
    for (const AdOutcome& w : result.winners) {
      ++winners;
      const int64_t floor = w.slot == 1 ? 200'000 : 50'000;
      ASSERT_GE(w.cpc_micros, floor) << w.ad_id;
      ASSERT_LE(w.cpc_micros, w.bid_micros) << w.ad_id;
      if (req.mechanism == auction::Mechanism::kFirstPrice) ASSERT_EQ(w.cpc_micros, w.bid_micros);
      if (i % 50 == 0) {
        auto v = verifier.Verify(w.click_token, billing::TokenType::kClick, clock.Now());
        ASSERT_TRUE(v.ok());
        ASSERT_EQ(v.claims.price_micros, w.cpc_micros);
      }
    }
  }
  EXPECT_GT(winners, 3'000);
}

// The server's callers are bound to the catalog (AuctionRequest::bind_caller_candidates): a click
// token charges the campaign a candidate names, so it must exist, be its advertiser's, and accept
// caller bids, each capped at the campaign's max_bid_micros.
class BoundCallerCandidatesTest : public EngineTest {
 protected:
  void SetUp() override {
    catalog::Catalog c = SmallCatalog();
    c.campaigns[0].max_bid_micros = 1'500'000;  // c-a; c-b keeps 0: no caller bids
    Publish(std::move(c), auction::Rules{.slots = 2, .increment_micros = 0});
  }
  static AuctionRequest Bound(std::vector<ExternalCandidate> candidates, bool dry_run = false) {
    AuctionRequest req = Search("", 2);
    req.bind_caller_candidates = true;
    req.dry_run = dry_run;
    req.external = std::move(candidates);
    return req;
  }
  static ExternalCandidate Candidate(const std::string& id, const std::string& advertiser,
                                     const std::string& campaign, int64_t bid) {
    return {.candidate_id = id,
            .advertiser_id = advertiser,
            .campaign_id = campaign,
            .product_id = "p-" + id,
            .bid_micros = bid,
            .quality = 1.0};
  }
};

TEST_F(BoundCallerCandidatesTest, ABidAboveTheCampaignsMaximumIsLoweredToIt) {
  AuctionResult result;
  ASSERT_TRUE(
      engine_.RunAuction(Bound({Candidate("x", "adv-a", "c-a", 5'000'000)}), gen_, &result).ok());
  ASSERT_EQ(result.winners.size(), 1u);
  EXPECT_EQ(result.winners[0].bid_micros, 1'500'000);
  EXPECT_EQ(gate_.max_price["c-a"], 1'500'000);  // budgets see the capped bid too
  EXPECT_FALSE(result.winners[0].click_token.empty());
}

TEST_F(BoundCallerCandidatesTest, ABidUnderTheMaximumIsKept) {
  AuctionResult result;
  ASSERT_TRUE(
      engine_.RunAuction(Bound({Candidate("x", "adv-a", "c-a", 700'000)}), gen_, &result).ok());
  ASSERT_EQ(result.winners.size(), 1u);
  EXPECT_EQ(result.winners[0].bid_micros, 700'000);
}

TEST_F(BoundCallerCandidatesTest, AnUnknownCampaignIsInvalidArgumentNamingTheCandidate) {
  AuctionResult result;
  absl::Status st = engine_.RunAuction(
      Bound({Candidate("x", "adv-a", "c-a", 1'000'000), Candidate("y", "adv-a", "c-nope", 1)}),
      gen_, &result);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "candidates[1].campaign_id \"c-nope\" is not in the catalog");
  EXPECT_EQ(gate_.checks, 0);  // refused before any budget was looked at
}

TEST_F(BoundCallerCandidatesTest, ACampaignOfAnotherAdvertiserIsInvalidArgument) {
  AuctionResult result;
  absl::Status st =
      engine_.RunAuction(Bound({Candidate("x", "adv-b", "c-a", 1'000'000)}), gen_, &result);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "candidates[0].campaign_id \"c-a\" belongs to advertiser \"adv-a\", not \"adv-b\"");
}

TEST_F(BoundCallerCandidatesTest, ACampaignWithoutAMaximumTakesNoCallerBids) {
  AuctionResult result;
  absl::Status st =
      engine_.RunAuction(Bound({Candidate("x", "adv-b", "c-b", 1'000'000)}), gen_, &result);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "candidates[0].campaign_id \"c-b\" takes no caller bids: its max_bid_micros is 0");
}

TEST_F(BoundCallerCandidatesTest, ADryRunMayPriceCampaignsTheCatalogDoesNotHave) {
  AuctionResult result;
  ASSERT_TRUE(engine_
                  .RunAuction(Bound({Candidate("x", "adv-z", "c-what-if", 4'000'000),
                                     Candidate("y", "adv-a", "c-a", 9'000'000)},
                                    /*dry_run=*/true),
                              gen_, &result)
                  .ok());
  ASSERT_EQ(result.winners.size(), 2u);
  EXPECT_EQ(result.winners[0].ad_id, "x");
  EXPECT_EQ(result.winners[0].bid_micros, 4'000'000);  // priced as sent
  EXPECT_EQ(result.winners[1].bid_micros, 1'500'000);  // a catalog campaign is capped even here
  EXPECT_TRUE(result.winners[0].click_token.empty());
}

TEST_F(EngineTest, StatsCountCandidatesAndGateLossesWithoutExplain) {
  Publish(SmallCatalog(), auction::Rules{.slots = 2});
  gate_.verdicts["c-a"] = ServeVerdict::kBudgetExhausted;
  gate_.verdicts["c-b"] = ServeVerdict::kPacedOut;
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(Search("wireless headphones", 2), gen_, &result).ok());
  EXPECT_EQ(result.stats.candidates, 3);
  EXPECT_EQ(result.stats.losses[static_cast<int>(LossReason::kBudgetExhausted)], 2);
  EXPECT_EQ(result.stats.losses[static_cast<int>(LossReason::kPacedOut)], 1);
  EXPECT_EQ(result.stats.phase_nanos, (std::array<int64_t, kNumPhases>{}));
}

TEST_F(EngineTest, StatsCountEveryAuctionLoserByReason) {
  Publish(SmallCatalog(), auction::Rules{.slots = 1});
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(Search("wireless headphones", 1), gen_, &result).ok());
  ASSERT_EQ(result.winners.size(), 1u);
  int losses = 0;
  for (int n : result.stats.losses) losses += n;
  EXPECT_EQ(result.stats.candidates, 3);
  EXPECT_EQ(losses, 2);  // every candidate but the winner, each with one reason
  EXPECT_EQ(result.stats.losses[static_cast<int>(LossReason::kOutranked)], 2);
}

// Each Now() is 1 ms after the previous one.
class TickingClock final : public gavel::Clock {
 public:
  absl::Time Now() const override { return t_ += absl::Milliseconds(1); }

 private:
  mutable absl::Time t_ = absl::FromUnixSeconds(1'790'000'000);
};

TEST_F(EngineTest, PhaseTimesAreReadFromTheEnginesClockOnlyWhenAsked) {
  TickingClock ticking;
  Engine engine(&gate_, &issuer_, &ticking);
  auto snapshot = targeting::CatalogSnapshot::Build(SmallCatalog(), 7);
  ASSERT_TRUE(snapshot.ok());
  engine.Publish(std::make_shared<const Serving>(Serving{*snapshot, auction::Rules{.slots = 2}}));
  AuctionRequest req = Search("wireless headphones", 2);
  req.time_phases = true;
  AuctionResult result;
  ASSERT_TRUE(engine.RunAuction(req, gen_, &result).ok());
  // One clock read at the start, then one at the end of each phase.
  const int64_t ms = 1'000'000;
  EXPECT_EQ(result.stats.phase_nanos, (std::array<int64_t, kNumPhases>{ms, ms, ms, ms}));
  req.time_phases = false;
  ASSERT_TRUE(engine.RunAuction(req, gen_, &result).ok());
  EXPECT_EQ(result.stats.phase_nanos, (std::array<int64_t, kNumPhases>{}));
}

}  // namespace
}  // namespace gavel::engine

namespace gavel::engine {
namespace {

// Keeps copies of what the engine samples.
class RecordingSink final : public LandscapeSink {
 public:
  struct Copy {
    absl::Time at;
    std::vector<TargetSample> targets;  // ids still view into the snapshot the test keeps
    std::vector<std::pair<std::string, bool>> campaigns;  // id, out of budget
  };
  void Record(const AuctionSample& s) override {
    Copy c{.at = s.at, .targets = {s.targets.begin(), s.targets.end()}};
    for (const CampaignSample& cs : s.campaigns) {
      c.campaigns.emplace_back(std::string(cs.campaign_id), cs.out_of_budget);
    }
    records.push_back(std::move(c));
  }
  std::vector<Copy> records;
};

TEST_F(EngineTest, SamplesOneInNLiveCatalogAuctionsPerThread) {
  Publish(SmallCatalog(), auction::Rules{.slots = 2});
  RecordingSink sink;
  engine_.SetLandscape(&sink, 3);
  AuctionResult result;
  AuctionRequest dry = Search("wireless headphones", 2);
  dry.dry_run = true;
  AuctionRequest caller = Search("", 2);
  caller.external = {{.candidate_id = "x",
                      .advertiser_id = "a1",
                      .campaign_id = "k1",
                      .product_id = "p1",
                      .bid_micros = 3'000'000,
                      .quality = 1.0}};
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(engine_.RunAuction(Search("wireless headphones", 2), gen_, &result).ok());
    // Never sampled, never counted: dry runs and caller candidates.
    ASSERT_TRUE(engine_.RunAuction(dry, gen_, &result).ok());
    ASSERT_TRUE(engine_.RunAuction(caller, gen_, &result).ok());
  }
  EXPECT_EQ(sink.records.size(), 3u);  // auctions 1, 4 and 7
}

TEST_F(EngineTest, ASampleCarriesEachTargetsOutcomeAndMinimumBidsAndTheBudgetVerdicts) {
  Publish(SmallCatalog(), auction::Rules{.slots = 2});
  RecordingSink sink;
  engine_.SetLandscape(&sink, 1);
  gate_.verdicts["c-b"] = ServeVerdict::kBudgetExhausted;
  AuctionRequest req = Search("wireless headphones", 2);
  req.explain = true;  // to compare with the explanation's minimum bids
  AuctionResult result;
  ASSERT_TRUE(engine_.RunAuction(req, gen_, &result).ok());
  ASSERT_EQ(sink.records.size(), 1u);
  const RecordingSink::Copy& s = sink.records[0];
  EXPECT_EQ(s.at, clock_.Now());
  std::map<std::string, bool> campaigns(s.campaigns.begin(), s.campaigns.end());
  EXPECT_EQ(campaigns, (std::map<std::string, bool>{{"c-a", false}, {"c-b", true}}));
  // One target sample per auction candidate with a manual target, as its explanation says.
  size_t in_auction = 0;
  for (const AdOutcome& e : result.explanations) {
    if (e.loss_reason == LossReason::kBudgetExhausted || e.target_id.empty()) continue;
    if (e.slot == 0 && e.loss_reason != LossReason::kOutranked &&
        e.loss_reason != LossReason::kBelowReserve &&
        e.loss_reason != LossReason::kDuplicateProduct) {
      continue;
    }
    ++in_auction;
    const auto it = std::find_if(s.targets.begin(), s.targets.end(), [&](const TargetSample& t) {
      return t.target_id == e.target_id && t.won == (e.slot > 0) && t.cpc_micros == e.cpc_micros &&
             t.campaign_id == e.campaign_id;
    });
    ASSERT_NE(it, s.targets.end()) << e.ad_id;
    ASSERT_EQ(e.min_bid_micros_per_slot.size(), 2u);
    EXPECT_EQ(it->min_bid_micros[0], e.min_bid_micros_per_slot[0]);
    EXPECT_EQ(it->min_bid_micros[1], e.min_bid_micros_per_slot[1]);
    EXPECT_EQ(it->min_bid_micros[2], 0);  // a two-slot auction has no slot 3
  }
  EXPECT_GT(in_auction, 0u);
  EXPECT_EQ(s.targets.size(), in_auction);
}

}  // namespace
}  // namespace gavel::engine
