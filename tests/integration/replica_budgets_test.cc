// Budgets hold exactly across replicas (docs/billing.md, "Budgets" and "PostgreSQL store"): three
// replicas on one PostgreSQL race on campaigns with small daily budgets, one run per budget policy.
// Each run first collects click tokens (auctions with a new shopper each, before any click, so
// the campaigns still serve), then sends every click at once from 12 threads spread over the
// replicas. Afterwards, per campaign:
//   - its spend today never exceeds the policy's cap for the day, nor the month's spend the cap
//     for the month (the test seeds spend on an earlier day of the month, so the monthly caps
//     bind too);
//   - every click is either CHARGED at its token's price or BUDGET_EXHAUSTED with nothing
//     charged (the crossing click is never charged partially), in the replies and in `events`;
//   - no click was refused that would have fitted even after the last charge (spend only grows,
//     so that is a click refused with room left), so the campaign spent up to its cap;
//   - `campaign_spend`, `events` and GetCampaignStats on every replica agree, and every replica
//     stops serving the campaign.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pg/connection.h"
#include "pg/gavel_migrations.h"
#include "pg/migrate.h"
#include "store/catalog_file.h"
#include "tests/integration/replica_cluster.h"
#include "tests/pg/pg_server.h"

namespace gavel {
namespace {

using ::gavel::testing::PgServer;
using ::gavel::testing::ReplicaCluster;
using ::gavel::testing::ReplicaContext;
using ::gavel::v1::BudgetPolicy;

constexpr int kSenders = 12;
constexpr int64_t kDailyBudget = 1'930'000;  // not a multiple of the prices: a click must cross
constexpr int64_t kBid = 300'000;
constexpr int64_t kNoCap = INT64_MAX;

// One campaign of a run, and the spend the test stores for it on the first day of the month (an
// earlier day: see LocalZone) before the replicas start.
struct CampaignCase {
  std::string id;
  std::string keyword;  // its product's title; it bids on it and two longer queries (kSuffixes)
  int64_t seeded_micros = 0;
};

struct PolicyRun {
  BudgetPolicy policy;
  std::vector<CampaignCase> campaigns;
};

// The policies' caps as docs/billing.md ("Budgets") states them; kNoCap where a policy has none.
int64_t DayCap(BudgetPolicy p) {
  switch (p) {
    case gavel::v1::BUDGET_POLICY_HARD:
      return kDailyBudget;
    case gavel::v1::BUDGET_POLICY_DAILY_2X_MONTHLY_CAP:
      return 2 * kDailyBudget;
    default:
      return kNoCap;
  }
}
// For the month to date, on day `day_of_month` of the month.
int64_t MonthCap(BudgetPolicy p, int day_of_month) {
  switch (p) {
    case gavel::v1::BUDGET_POLICY_DAILY_2X_MONTHLY_CAP:
      return kDailyBudget * 304 / 10;
    case gavel::v1::BUDGET_POLICY_MONTHLY_AVERAGE:
      return kDailyBudget * day_of_month;
    default:
      return kNoCap;
  }
}

// Two campaigns per policy; seeded spend makes the monthly caps bind. Needs day_of_month >= 2.
PolicyRun RunFor(BudgetPolicy policy, int day_of_month) {
  const int64_t d = kDailyBudget;
  switch (policy) {
    case gavel::v1::BUDGET_POLICY_HARD:
      // Earlier days do not matter: D today either way.
      return {policy,
              {{"hard-fresh", "alpha widget", 0}, {"hard-seeded", "bravo sprocket", 5 * d}}};
    case gavel::v1::BUDGET_POLICY_DAILY_2X_MONTHLY_CAP:
      // 2D today; and a month 1.5D short of its cap, which then binds first.
      return {policy,
              {{"twice-fresh", "alpha widget", 0},
               {"twice-month", "bravo sprocket", MonthCap(policy, day_of_month) - 3 * d / 2}}};
    default:
      // Behind the average by D/2: 1.5D today; ahead of it by D/2: 0.5D today.
      return {policy,
              {{"average-behind", "alpha widget", d * (day_of_month - 1) - d / 2},
               {"average-ahead", "bravo sprocket", d * (day_of_month - 1) + d / 2}}};
  }
}

// A time zone in which today is not the first of the month (so an earlier day of the month exists
// to seed) and local midnight is more than 10 minutes away (so the run stays within one local
// day). UTC-12 and UTC+14 are 12 and 14 hours from UTC, so one of the three always qualifies.
absl::TimeZone LocalZone(std::string* name) {
  const absl::Time now = absl::Now();
  for (const char* candidate : {"UTC", "Etc/GMT+12", "Etc/GMT-14"}) {
    absl::TimeZone tz;
    if (!absl::LoadTimeZone(candidate, &tz)) continue;
    const absl::CivilSecond local = absl::ToCivilSecond(now, tz);
    const absl::CivilSecond midnight = absl::CivilSecond(absl::CivilDay(local) + 1);
    if (local.day() >= 2 && midnight - local > 600) {
      *name = candidate;
      return tz;
    }
  }
  ADD_FAILURE() << "no time zone qualifies";
  return absl::UTCTimeZone();
}

int64_t DayIndex(absl::CivilDay day) { return day - absl::CivilDay(1970, 1, 1); }

// The queries a campaign wins: its keyword alone or with a suffix. A rival campaign (another
// advertiser, a budget it never spends) bids less on each, so the campaign wins them all at a
// different second price each: charged amounts vary, and a refused click may be followed by a
// cheaper one that still fits.
constexpr const char* kSuffixes[] = {"", " pro", " max"};
constexpr int64_t kRivalBids[] = {120'000, 170'000, 230'000};

// Per campaign, a product titled with its keyword, an ad group with that ad and one exact-match
// target per query; no pacing (clicks may spend the budget at once). The rival has the same
// products' twins and targets.
gavel::v1::Catalog CatalogFor(const PolicyRun& run, const std::string& time_zone) {
  gavel::v1::Catalog c;
  auto* category = c.add_categories();
  category->set_id("gadgets");
  category->set_name("Gadgets");
  auto add_campaign = [&](const std::string& id, const std::string& advertiser, BudgetPolicy policy,
                          int64_t budget) {
    auto* campaign = c.add_campaigns();
    campaign->set_id(id);
    campaign->set_advertiser_id(advertiser);
    campaign->set_name(id);
    campaign->set_state(gavel::v1::ENTITY_STATE_ENABLED);
    campaign->set_daily_budget_micros(budget);
    campaign->set_budget_policy(policy);
    campaign->set_time_zone(time_zone);
    campaign->set_bidding_strategy(gavel::v1::BIDDING_STRATEGY_FIXED);
    campaign->set_pacing(false);
  };
  auto add_ad = [&](const std::string& id, const std::string& campaign, const std::string& brand,
                    const std::string& keyword, const int64_t* bids) {
    auto* product = c.add_products();
    product->set_id("p-" + id);
    product->set_title(keyword);
    product->set_category_id("gadgets");
    product->set_price_micros(20'000'000);
    product->set_brand(brand);
    auto* group = c.add_ad_groups();
    group->set_id("ag-" + id);
    group->set_campaign_id(campaign);
    group->set_name(id);
    group->set_state(gavel::v1::ENTITY_STATE_ENABLED);
    auto* ad = c.add_product_ads();
    ad->set_id("ad-" + id);
    ad->set_ad_group_id(group->id());
    ad->set_product_id(product->id());
    ad->set_state(gavel::v1::ENTITY_STATE_ENABLED);
    for (int q = 0; q < 3; ++q) {
      auto* target = c.add_targets();
      target->set_id(absl::StrCat("t-", id, "-", q));
      target->set_ad_group_id(group->id());
      target->set_state(gavel::v1::ENTITY_STATE_ENABLED);
      target->set_bid_micros(bids[q]);
      target->mutable_keyword()->set_text(keyword + kSuffixes[q]);
      target->mutable_keyword()->set_match_type(gavel::v1::MATCH_TYPE_EXACT);
    }
  };
  for (const char* advertiser : {"adv-budget", "adv-rival"}) {
    auto* a = c.add_advertisers();
    a->set_id(advertiser);
    a->set_name(advertiser);
    a->set_state(gavel::v1::ENTITY_STATE_ENABLED);
  }
  add_campaign("rival", "adv-rival", gavel::v1::BUDGET_POLICY_HARD, 1'000'000'000'000);
  const int64_t bids[] = {kBid, kBid, kBid};
  for (const CampaignCase& k : run.campaigns) {
    add_campaign(k.id, "adv-budget", run.policy, kDailyBudget);
    add_ad(k.id, k.id, "Budget", k.keyword, bids);
    add_ad("rival-" + k.id, "rival", "Rival", k.keyword, kRivalBids);
  }
  auto* rules = c.mutable_auction_rules();
  rules->set_mechanism(gavel::v1::MECHANISM_GSP);
  rules->set_reserve_micros(100'000);
  rules->set_price_increment_micros(10'000);
  rules->set_min_cpc_micros(10'000);
  return c;
}

struct Click {
  std::string campaign_id;
  std::string token;
  int64_t price_micros = 0;
  std::string event_id;
};

gavel::v1::RunAuctionResponse Auction(const ReplicaCluster& cluster, int replica,
                                      const std::string& query, const std::string& user,
                                      bool explain) {
  gavel::v1::RunAuctionRequest req;
  req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
  req.set_slots(1);
  req.set_query(query);
  req.mutable_shopper()->set_user_id(user);
  req.mutable_shopper()->set_local_hour(12);
  req.mutable_options()->set_explain(explain);
  gavel::v1::RunAuctionResponse resp;
  auto ctx = ReplicaContext();
  grpc::Status st = gavel::v1::AuctionService::NewStub(cluster.channel(replica))
                        ->RunAuction(ctx.get(), req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp;
}

// Tokens for clicks worth at least twice `allowance`, each from an auction with a new shopper
// (so no click is a repeat or rate limited), spread over the replicas.
std::vector<Click> CollectClicks(const ReplicaCluster& cluster, const CampaignCase& k,
                                 int64_t allowance) {
  std::vector<Click> clicks;
  int64_t worth = 0;
  for (int n = 0; worth < 2 * allowance + kBid && n < 500; ++n) {
    const gavel::v1::RunAuctionResponse a =
        Auction(cluster, n % cluster.size(), k.keyword + kSuffixes[n % 3],
                absl::StrCat(k.id, "-shopper-", n), false);
    if (a.winners_size() == 0) continue;
    const auto& w = a.winners(0);
    EXPECT_EQ(w.campaign_id(), k.id);
    EXPECT_LE(w.cpc_micros(), kBid);
    clicks.push_back(
        {w.campaign_id(), w.click_token(), w.cpc_micros(), absl::StrCat(k.id, "-click-", n)});
    worth += w.cpc_micros();
  }
  EXPECT_GE(worth, 2 * allowance) << k.id << " did not win enough auctions";
  return clicks;
}

class ReplicaBudgets : public ::testing::TestWithParam<BudgetPolicy> {
 protected:
  static void SetUpTestSuite() {
    auto pg = PgServer::Create();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = pg->release();
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }
  static PgServer* pg_;
};

PgServer* ReplicaBudgets::pg_ = nullptr;

TEST_P(ReplicaBudgets, RacingClicksOnThreeReplicasNeverSpendPastTheCap) {
  ASSERT_NE(pg_, nullptr);
  const BudgetPolicy policy = GetParam();
  std::string zone_name;
  const absl::TimeZone zone = LocalZone(&zone_name);
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), zone);
  const PolicyRun run = RunFor(policy, today.day());

  // A database of its own: migrate it, seed the earlier spend, then start the replicas (which
  // load that spend into their views).
  absl::StatusOr<std::string> conninfo =
      pg_->CreateDatabase(absl::AsciiStrToLower(BudgetPolicy_Name(policy)));
  ASSERT_TRUE(conninfo.ok()) << conninfo.status();
  auto db = pg::Connection::Open(*conninfo);
  ASSERT_TRUE(db.ok()) << db.status();
  auto migrated = pg::Migrate(**db, pg::GavelMigrations());
  ASSERT_TRUE(migrated.ok()) << migrated.status();
  const int64_t first_of_month = DayIndex(absl::CivilDay(today.year(), today.month(), 1));
  for (const CampaignCase& k : run.campaigns) {
    if (k.seeded_micros == 0) continue;
    auto seeded = (*db)->ExecParams(
        "INSERT INTO campaign_spend (campaign_id, day, spend_micros) VALUES ($1, $2, $3)",
        {k.id, first_of_month, k.seeded_micros});
    ASSERT_TRUE(seeded.ok()) << seeded.status();
  }
  const std::string catalog =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/budgets_", BudgetPolicy_Name(policy), ".json");
  ASSERT_TRUE(store::WriteCatalogFile(CatalogFor(run, zone_name), catalog).ok());
  auto cluster = ReplicaCluster::Start(*conninfo, {.catalog = catalog});
  ASSERT_TRUE(cluster.ok()) << cluster.status();

  // What each campaign may still spend today: the tighter of its caps.
  std::map<std::string, int64_t> allowance;
  std::vector<Click> clicks;
  for (const CampaignCase& k : run.campaigns) {
    allowance[k.id] = std::min(DayCap(policy), MonthCap(policy, today.day()) - k.seeded_micros);
    ASSERT_GE(allowance[k.id], kBid) << k.id;
    std::vector<Click> mine = CollectClicks(**cluster, k, allowance[k.id]);
    clicks.insert(clicks.end(), mine.begin(), mine.end());
  }
  std::shuffle(clicks.begin(), clicks.end(), std::mt19937_64(static_cast<uint64_t>(policy)));

  // The race: every click at once, from kSenders threads over all replicas, one per call.
  std::vector<gavel::v1::EventResult> results(clicks.size());
  std::vector<grpc::Status> statuses(clicks.size());
  std::atomic<int> ready{0};
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      auto stub = gavel::v1::EventService::NewStub((*cluster)->channel(s % (*cluster)->size()));
      ready.fetch_add(1);
      while (ready.load() < kSenders) std::this_thread::yield();
      for (size_t i = s; i < clicks.size(); i += kSenders) {
        gavel::v1::ReportEventsRequest req;
        auto* e = req.add_events();
        e->set_client_event_id(clicks[i].event_id);
        e->set_type(gavel::v1::EVENT_TYPE_CLICK);
        e->set_token(clicks[i].token);
        gavel::v1::ReportEventsResponse resp;
        auto ctx = ReplicaContext(30);
        statuses[i] = stub->ReportEvents(ctx.get(), req, &resp);
        if (statuses[i].ok()) results[i] = resp.results(0);
      }
    });
  }
  for (std::thread& t : senders) t.join();

  // The replies: CHARGED at the token's price, or BUDGET_EXHAUSTED with nothing charged.
  struct Tally {
    int charged = 0, exhausted = 0;
    int64_t charged_micros = 0;
    int64_t smallest_refused_price = kNoCap;
  };
  std::map<std::string, Tally> tally;
  for (size_t i = 0; i < clicks.size(); ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    const gavel::v1::EventResult& r = results[i];
    Tally& t = tally[clicks[i].campaign_id];
    if (r.outcome() == gavel::v1::EVENT_OUTCOME_CHARGED) {
      EXPECT_EQ(r.charged_micros(), clicks[i].price_micros) << "charged partially";
      ++t.charged;
      t.charged_micros += r.charged_micros();
    } else {
      EXPECT_EQ(r.outcome(), gavel::v1::EVENT_OUTCOME_BUDGET_EXHAUSTED) << r.ShortDebugString();
      EXPECT_EQ(r.charged_micros(), 0);
      EXPECT_EQ(r.detail(), "the click would exceed the campaign's budget");
      ++t.exhausted;
      t.smallest_refused_price = std::min(t.smallest_refused_price, clicks[i].price_micros);
    }
  }

  const int64_t today_index = DayIndex(today);
  for (const CampaignCase& k : run.campaigns) {
    SCOPED_TRACE(absl::StrCat(k.id, " (", BudgetPolicy_Name(policy), ", ", zone_name, ", day ",
                              today.day(), " of the month)"));
    const Tally& t = tally[k.id];
    // The database: spend today and this month, and the ledger's rows.
    auto spend = (*db)->ExecParams(
        "SELECT coalesce(sum(spend_micros) FILTER (WHERE day = $2), 0)::bigint, "
        "coalesce(sum(spend_micros), 0)::bigint FROM campaign_spend "
        "WHERE campaign_id = $1 AND day >= $3",
        {k.id, today_index, first_of_month});
    ASSERT_TRUE(spend.ok()) << spend.status();
    const int64_t spent_today = *spend->GetInt64(0, 0), spent_month = *spend->GetInt64(0, 1);
    auto rows = (*db)->ExecParams(
        "SELECT count(*) FILTER (WHERE outcome = 1), "
        "coalesce(sum(charged_micros) FILTER (WHERE outcome = 1), 0)::bigint, "
        "count(*) FILTER (WHERE outcome = 1 AND charged_micros <> price_micros), "
        "count(*) FILTER (WHERE outcome = 5), "
        "count(*) FILTER (WHERE outcome = 5 AND charged_micros <> 0), "
        "count(*) FILTER (WHERE outcome NOT IN (1, 5)) "
        "FROM events WHERE campaign_id = $1",
        {k.id});
    ASSERT_TRUE(rows.ok()) << rows.status();
    EXPECT_EQ(*rows->GetInt64(0, 0), t.charged);
    EXPECT_EQ(*rows->GetInt64(0, 1), t.charged_micros);
    EXPECT_EQ(*rows->GetInt64(0, 2), 0) << "charged rows with a partial charge";
    EXPECT_EQ(*rows->GetInt64(0, 3), t.exhausted);
    EXPECT_EQ(*rows->GetInt64(0, 4), 0) << "refused rows with a charge";
    EXPECT_EQ(*rows->GetInt64(0, 5), 0) << "rows neither charged nor refused";
    EXPECT_EQ(spent_today, t.charged_micros);
    EXPECT_EQ(spent_month, k.seeded_micros + spent_today);

    // The caps hold, and the campaign spent up to them: every refused click would have crossed
    // a cap even after the last charge.
    EXPECT_LE(spent_today, DayCap(policy)) << "over the daily cap";
    EXPECT_LE(spent_month, MonthCap(policy, today.day())) << "over the monthly cap";
    EXPECT_GT(t.exhausted, 0) << "the clicks did not reach the cap";
    EXPECT_GT(spent_today + t.smallest_refused_price, allowance[k.id])
        << "a click was refused with room left for it";
    std::printf(
        "%s %s: allowance today %lld (day cap %lld, month cap %lld, earlier this month %lld); "
        "%d clicks charged %lld, %d refused (the cheapest at %lld)\n",
        BudgetPolicy_Name(policy).c_str(), k.id.c_str(), static_cast<long long>(allowance[k.id]),
        static_cast<long long>(DayCap(policy) == kNoCap ? -1 : DayCap(policy)),
        static_cast<long long>(
            MonthCap(policy, today.day()) == kNoCap ? -1 : MonthCap(policy, today.day())),
        static_cast<long long>(k.seeded_micros), t.charged,
        static_cast<long long>(t.charged_micros), t.exhausted,
        static_cast<long long>(t.smallest_refused_price));

    // Every replica reports the same statistics and, once its spend view has the last charge,
    // stops serving the campaign (what is left is below the bid, so below the next price).
    for (int r = 0; r < (*cluster)->size(); ++r) {
      gavel::v1::GetCampaignStatsRequest req;
      req.set_campaign_id(k.id);
      gavel::v1::GetCampaignStatsResponse stats;
      auto ctx = ReplicaContext();
      grpc::Status st = gavel::v1::CampaignService::NewStub((*cluster)->channel(r))
                            ->GetCampaignStats(ctx.get(), req, &stats);
      ASSERT_TRUE(st.ok()) << st.error_message();
      EXPECT_EQ(stats.total().clicks(), t.charged) << "replica " << r;
      EXPECT_EQ(stats.total().spend_micros(), t.charged_micros) << "replica " << r;
      EXPECT_EQ(stats.total().budget_exhausted_clicks(), t.exhausted) << "replica " << r;
      const absl::Time deadline = absl::Now() + absl::Seconds(2);
      gavel::v1::RunAuctionResponse after;
      auto serves = [&] {
        for (const auto& w : after.winners()) {
          if (w.campaign_id() == k.id) return true;
        }
        return false;
      };
      do {
        after = Auction(**cluster, r, k.keyword, absl::StrCat(k.id, "-after-", r), true);
      } while (serves() && absl::Now() < deadline);
      EXPECT_FALSE(serves()) << "replica " << r << " still serves it";
      bool exhausted = false;
      for (const auto& e : after.explanations()) {
        exhausted |=
            e.campaign_id() == k.id && e.loss_reason() == gavel::v1::LOSS_REASON_BUDGET_EXHAUSTED;
      }
      EXPECT_TRUE(exhausted) << after.ShortDebugString();
    }
  }
  EXPECT_EQ(absl::ToCivilDay(absl::Now(), zone), today) << "the run crossed local midnight";
}

INSTANTIATE_TEST_SUITE_P(EveryPolicy, ReplicaBudgets,
                         ::testing::Values(gavel::v1::BUDGET_POLICY_HARD,
                                           gavel::v1::BUDGET_POLICY_DAILY_2X_MONTHLY_CAP,
                                           gavel::v1::BUDGET_POLICY_MONTHLY_AVERAGE),
                         [](const ::testing::TestParamInfo<BudgetPolicy>& info) {
                           switch (info.param) {
                             case gavel::v1::BUDGET_POLICY_HARD:
                               return std::string("Hard");
                             case gavel::v1::BUDGET_POLICY_DAILY_2X_MONTHLY_CAP:
                               return std::string("Daily2xMonthlyCap");
                             default:
                               return std::string("MonthlyAverage");
                           }
                         });

}  // namespace
}  // namespace gavel
