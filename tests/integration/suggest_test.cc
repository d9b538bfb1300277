// Integration: bid and budget suggestions through a real gavel_server on a real port, sampling
// every auction (--landscape_sample_every=1). The test runs explained live auctions, rebuilds
// from their explanations the observations the server's recorder should hold, and checks that
// GetBidSuggestions and GetBudgetSuggestion equal what suggest/'s core computes from them; one
// campaign's budget is cut so that it runs out mid-run. Then the errors and gavel_cli's CSV.
#include "suggest/suggest.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/replica_cluster.h"
#include "tests/integration/server_process.h"
#include "tests/pg/pg_server.h"

namespace gavel {
namespace {

using ::gavel::testing::PgServer;
using ::gavel::testing::ReplicaCluster;
using ::gavel::testing::Runfile;
using ::gavel::testing::ServerProcess;
using ::testing::HasSubstr;

constexpr char kAdminKey[] = "suggest-test-admin-key";
// The admin key Ctx(true) sends: kAdminKey, or the replica cluster's.
const char* admin_key = kAdminKey;
constexpr char kSmallBudget[] = "c-aurel-search";
constexpr int64_t kSmallBudgetMicros = 2'000'000;

std::string WriteFile(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << contents;
  return path;
}

std::unique_ptr<grpc::ClientContext> Ctx(bool admin = false) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (admin) ctx->AddMetadata("x-gavel-api-key", admin_key);
  return ctx;
}

std::string RunTool(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(pipe), 0) << command << "\n" << out;
  return out;
}

bool InAuction(const gavel::v1::CandidateExplanation& e) {
  return e.slot() > 0 || e.loss_reason() == gavel::v1::LOSS_REASON_BELOW_RESERVE ||
         e.loss_reason() == gavel::v1::LOSS_REASON_OUTRANKED ||
         e.loss_reason() == gavel::v1::LOSS_REASON_DUPLICATE_PRODUCT;
}

// What the test expects the server to have recorded.
struct Expected {
  // (campaign, target) -> one observation per auction it competed in.
  std::map<std::pair<std::string, std::string>, std::vector<suggest::TargetObservation>> targets;
  std::map<std::string, int64_t> in_budget, out_of_budget;  // by campaign

  // Folds one explained auction in, as docs/auction.md says the recorder does.
  void Add(const gavel::v1::RunAuctionResponse& r) {
    std::map<std::pair<std::string, std::string>, suggest::TargetObservation> merged;
    std::set<std::string> in, out;
    for (const gavel::v1::CandidateExplanation& e : r.explanations()) {
      if (e.loss_reason() == gavel::v1::LOSS_REASON_BUDGET_EXHAUSTED) out.insert(e.campaign_id());
      if (e.loss_reason() == gavel::v1::LOSS_REASON_PACED_OUT) in.insert(e.campaign_id());
      if (!InAuction(e)) continue;
      in.insert(e.campaign_id());
      if (e.matched_target().target_id().empty()) continue;
      const auto key = std::make_pair(e.campaign_id(), e.matched_target().target_id());
      int64_t cpc = 0;
      for (const gavel::v1::Winner& w : r.winners()) {
        if (w.ad_id() == e.ad_id()) cpc = w.cpc_micros();
      }
      auto [it, fresh] = merged.try_emplace(key);
      suggest::TargetObservation& o = it->second;
      if (e.slot() > 0) {
        o.cpc_micros = o.won ? std::max(o.cpc_micros, cpc) : cpc;
        o.won = true;
      }
      for (int s = 0; s < suggest::kSlots; ++s) {
        const int64_t m = s < e.min_bid_micros_per_slot_size() ? e.min_bid_micros_per_slot(s) : 0;
        int64_t& have = o.min_bid_micros[s];
        if (fresh) {
          have = m;
        } else if (m != 0 && (have == 0 || m < have)) {
          have = m;
        }
      }
    }
    for (auto& [key, o] : merged) targets[key].push_back(o);
    for (const std::string& c : in) ++in_budget[c];
    for (const std::string& c : out) ++out_of_budget[c];
  }
};

// Cuts c-aurel-search's budget, serves explained auctions (clicking that campaign's winners),
// then checks both suggestions against the core over what the auctions showed, and the errors.
// `*day` gets today's budget suggestion row.
void Exercise(const std::shared_ptr<grpc::Channel>& channel, gavel::v1::BudgetSuggestionDay* out) {
  auto auctions = gavel::v1::AuctionService::NewStub(channel);
  auto events = gavel::v1::EventService::NewStub(channel);
  auto admin = gavel::v1::CampaignService::NewStub(channel);

  // One campaign gets a budget a few clicks can spend, without pacing.
  gavel::v1::UpdateCampaignRequest cut;
  cut.mutable_campaign()->set_id(kSmallBudget);
  cut.mutable_campaign()->set_daily_budget_micros(kSmallBudgetMicros);
  cut.mutable_campaign()->set_pacing(false);
  cut.add_update_mask("daily_budget_micros");
  cut.add_update_mask("pacing");
  gavel::v1::Campaign updated;
  grpc::Status st = admin->UpdateCampaign(Ctx(true).get(), cut, &updated);
  ASSERT_TRUE(st.ok()) << st.error_message();

  // Explained live auctions over keyword and product targets; every winner of the small-budget
  // campaign is clicked.
  const std::vector<std::string> queries = {"headphones",          "studio headphones",
                                            "wireless headphones", "noise cancelling headphones",
                                            "wireless earbuds",    "running earbuds"};
  Expected expected;
  int clicks = 0;
  for (int i = 0; i < 48; ++i) {
    gavel::v1::RunAuctionRequest req;
    req.set_request_id(absl::StrCat("suggest-", i));
    req.set_slots(3);
    req.mutable_options()->set_explain(true);
    req.mutable_shopper()->set_user_id(absl::StrCat("shopper-", i % 7));
    if (i % 8 == 7) {
      req.set_placement(gavel::v1::PLACEMENT_PRODUCT_PAGE);
      req.mutable_page()->set_viewed_product_id(i % 16 == 7 ? "p-aurel-studio" : "p-sonic-anc700");
    } else {
      req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
      req.set_query(queries[i % queries.size()]);
    }
    gavel::v1::RunAuctionResponse resp;
    st = auctions->RunAuction(Ctx().get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    expected.Add(resp);
    for (const gavel::v1::Winner& w : resp.winners()) {
      if (w.campaign_id() != kSmallBudget) continue;
      gavel::v1::ReportEventsRequest click;
      click.add_events()->set_client_event_id(absl::StrCat("click-", i, "-", w.slot()));
      click.mutable_events(0)->set_type(gavel::v1::EVENT_TYPE_CLICK);
      click.mutable_events(0)->set_token(w.click_token());
      gavel::v1::ReportEventsResponse clicked;
      ASSERT_TRUE(events->ReportEvents(Ctx().get(), click, &clicked).ok());
      if (clicked.results(0).outcome() == gavel::v1::EVENT_OUTCOME_CHARGED) ++clicks;
    }
  }
  ASSERT_GT(clicks, 0);
  ASSERT_GT(expected.out_of_budget[kSmallBudget], 0) << "the small budget never ran out";
  ASSERT_GT(expected.in_budget[kSmallBudget], 0);

  // Bid suggestions for both headphone campaigns, every target, equal the core's.
  int with_range = 0, with_min_bids = 0;
  for (const std::string campaign : {"c-sonic-search", "c-aurel-search"}) {
    gavel::v1::GetBidSuggestionsRequest req;
    req.set_campaign_id(campaign);
    gavel::v1::GetBidSuggestionsResponse resp;
    st = admin->GetBidSuggestions(Ctx(true).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    // The demo rules: reserve_micros 100'000 (slot 1's own reserve, 250'000, is higher).
    EXPECT_EQ(resp.floor_micros(), 100'000);
    EXPECT_EQ(resp.cap_micros(), 1'000'000'000);
    EXPECT_EQ(resp.min_observations(), suggest::kMinObservations);
    EXPECT_EQ(resp.sample_every(), 1);
    EXPECT_EQ(resp.window_days(), 7);
    const suggest::BidLimits limits{.floor_micros = 100'000, .cap_micros = 1'000'000'000};
    ASSERT_GT(resp.suggestions_size(), 0);
    for (const gavel::v1::BidSuggestion& s : resp.suggestions()) {
      SCOPED_TRACE(s.target_id());
      auto it = expected.targets.find({campaign, s.target_id()});
      if (it == expected.targets.end()) {
        EXPECT_EQ(s.auctions(), 0);
        continue;
      }
      const suggest::BidSuggestion want = suggest::SuggestBid(it->second, limits);
      EXPECT_EQ(s.auctions(), want.auctions);
      EXPECT_EQ(s.wins(), want.wins);
      EXPECT_EQ(s.has_low_micros(), want.has_range);
      EXPECT_EQ(s.has_median_micros(), want.has_range);
      EXPECT_EQ(s.has_high_micros(), want.has_range);
      if (want.has_range) {
        ++with_range;
        EXPECT_EQ(s.low_micros(), want.low_micros);
        EXPECT_EQ(s.median_micros(), want.median_micros);
        EXPECT_EQ(s.high_micros(), want.high_micros);
      }
      if (want.has_min_bids) {
        ++with_min_bids;
        ASSERT_EQ(s.min_bid_to_win_slot_micros_size(), 3);
        for (int k = 0; k < 3; ++k) {
          EXPECT_EQ(s.min_bid_to_win_slot_micros(k), want.min_bid_micros[k]);
        }
      } else {
        EXPECT_EQ(s.min_bid_to_win_slot_micros_size(), 0);
      }
    }
  }
  EXPECT_GT(with_range, 0);
  EXPECT_GT(with_min_bids, 0);

  // The budget suggestion for today: the counts the auctions showed, the store's spend and
  // clicks, and the core's numbers from them.
  gavel::v1::GetCampaignStatsRequest stats_req;
  stats_req.set_campaign_id(kSmallBudget);
  gavel::v1::GetCampaignStatsResponse stats;
  ASSERT_TRUE(admin->GetCampaignStats(Ctx(true).get(), stats_req, &stats).ok());
  const gavel::v1::DailyStats& today = stats.days(stats.days_size() - 1);
  EXPECT_EQ(today.clicks(), clicks);
  gavel::v1::GetBudgetSuggestionRequest budget_req;
  budget_req.set_campaign_id(kSmallBudget);
  budget_req.set_days(1);
  gavel::v1::GetBudgetSuggestionResponse budget;
  const absl::Time before = absl::Now();
  st = admin->GetBudgetSuggestion(Ctx(true).get(), budget_req, &budget);
  const absl::Time after = absl::Now();
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(budget.daily_budget_micros(), kSmallBudgetMicros);
  ASSERT_EQ(budget.days_size(), 1);
  const gavel::v1::BudgetSuggestionDay& day = budget.days(0);
  EXPECT_EQ(day.date(), today.date());
  EXPECT_EQ(day.spend_micros(), today.spend_micros());
  EXPECT_EQ(day.clicks(), today.clicks());
  EXPECT_EQ(day.in_budget_auctions(), expected.in_budget[kSmallBudget]);
  EXPECT_EQ(day.out_of_budget_auctions(), expected.out_of_budget[kSmallBudget]);
  absl::Time out_at;
  std::string err;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, day.out_of_budget_at(), &out_at, &err))
      << day.out_of_budget_at() << ": " << err;
  absl::TimeZone tz;
  ASSERT_TRUE(absl::LoadTimeZone("America/New_York", &tz));
  absl::CivilDay civil;
  ASSERT_TRUE(absl::ParseCivilTime(day.date(), &civil));
  suggest::BudgetDayInput in{.daily_budget_micros = kSmallBudgetMicros,
                             .spend_micros = today.spend_micros(),
                             .clicks = today.clicks(),
                             .in_budget_auctions = expected.in_budget[kSmallBudget],
                             .out_of_budget_auctions = expected.out_of_budget[kSmallBudget],
                             .day_start = absl::FromCivil(civil, tz),
                             .day_end = absl::FromCivil(civil + 1, tz),
                             .now = before,
                             .out_at = out_at};
  const suggest::BudgetDaySuggestion want = suggest::SuggestBudgetDay(in);
  EXPECT_EQ(day.estimated_missed_clicks(), want.estimated_missed_clicks);
  EXPECT_EQ(day.suggested_budget_micros(), want.suggested_budget_micros);
  EXPECT_GT(day.suggested_budget_micros(), kSmallBudgetMicros);
  EXPECT_EQ(budget.suggested_budget_micros(), day.suggested_budget_micros());
  // The share depends on the server's "now", between the two readings around the call (a later
  // now, a longer day so far, a smaller share).
  in.now = after;
  const double share_after = suggest::SuggestBudgetDay(in).in_budget_share;
  EXPECT_GE(day.in_budget_share(), share_after);
  EXPECT_LE(day.in_budget_share(), want.in_budget_share);
  EXPECT_LT(day.in_budget_share(), 1.0);

  // Errors: INVALID_ARGUMENT naming the field, NOT_FOUND for an unknown campaign.
  gavel::v1::GetBidSuggestionsRequest bad_bids;
  bad_bids.set_campaign_id(kSmallBudget);
  bad_bids.add_target_ids("t-006");
  bad_bids.add_target_ids("t-001");  // c-sonic-search's
  gavel::v1::GetBidSuggestionsResponse ignored_bids;
  st = admin->GetBidSuggestions(Ctx(true).get(), bad_bids, &ignored_bids);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "target_ids[1] \"t-001\" is not a target of campaign \"c-aurel-search\"");
  bad_bids.clear_target_ids();
  bad_bids.set_campaign_id("");
  st = admin->GetBidSuggestions(Ctx(true).get(), bad_bids, &ignored_bids);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "campaign_id is required");
  bad_bids.set_campaign_id("c-nobody");
  st = admin->GetBidSuggestions(Ctx(true).get(), bad_bids, &ignored_bids);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  budget_req.set_days(8);
  st = admin->GetBudgetSuggestion(Ctx(true).get(), budget_req, &budget);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "days must be in [0, 7] (0 = 7), got 8");
  budget_req.set_campaign_id("c-nobody");
  budget_req.set_days(0);
  st = admin->GetBudgetSuggestion(Ctx(true).get(), budget_req, &budget);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  *out = day;
}

TEST(SuggestIntegration, SuggestionsEqualTheCoreOverTheServedAuctions) {
  auto started = ServerProcess::Start(
      "server/gavel_server",
      {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
       absl::StrCat("--admin_api_key_file=", WriteFile("admin_key", kAdminKey)),
       absl::StrCat("--ledger_dir=", std::getenv("TEST_TMPDIR"), "/ledger"),
       "--landscape_sample_every=1"});
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<ServerProcess> server = *std::move(started);
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  gavel::v1::BudgetSuggestionDay day;
  Exercise(channel, &day);
  if (::testing::Test::HasFatalFailure()) return;

  // gavel_cli: CSV with a header and one row per target or day.
  const std::string cli = absl::StrCat(Runfile("tools/cli/gavel_cli"),
                                       " --server=", server->address(), " --api_key=", kAdminKey);
  std::vector<std::string> rows = absl::StrSplit(
      RunTool(absl::StrCat(cli, " suggest-bids c-aurel-search --csv --targets=t-006")), '\n',
      absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0],
            "target_id,target,current_bid_micros,auctions,wins,low_micros,median_micros,"
            "high_micros,min_bid_slot1_micros,min_bid_slot2_micros,min_bid_slot3_micros");
  EXPECT_THAT(rows[1], ::testing::StartsWith("t-006,\"headphones (MATCH_TYPE_PHRASE)\",1300000,"));
  rows = absl::StrSplit(RunTool(absl::StrCat(cli, " suggest-budget c-aurel-search --csv --days=1")),
                        '\n', absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0],
            "date,spend_micros,clicks,in_budget_auctions,out_of_budget_auctions,out_of_budget_at,"
            "in_budget_share,estimated_missed_clicks,suggested_budget_micros");
  EXPECT_THAT(rows[1], ::testing::StartsWith(
                           absl::StrCat(day.date(), ",", day.spend_micros(), ",", day.clicks(), ",",
                                        day.in_budget_auctions(), ",", day.out_of_budget_auctions(),
                                        ",", day.out_of_budget_at(), ",")));
  EXPECT_THAT(rows[1], ::testing::EndsWith(absl::StrCat(",", day.estimated_missed_clicks(), ",",
                                                        day.suggested_budget_micros())));
}

// The same on the PostgreSQL store: the spend and clicks come from the database.
TEST(SuggestIntegration, BudgetSuggestionOnThePostgresStore) {
  auto pg = PgServer::Create();
  ASSERT_TRUE(pg.ok()) << pg.status();
  auto cluster =
      ReplicaCluster::Start((*pg)->conninfo(), {.replicas = 1,
                                                .catalog = Runfile("data/demo_catalog.json"),
                                                .extra_args = {"--landscape_sample_every=1"}});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  admin_key = ::gavel::testing::kReplicaAdminKey;
  gavel::v1::BudgetSuggestionDay day;
  Exercise((*cluster)->channel(0), &day);
  admin_key = kAdminKey;
  EXPECT_GT(day.spend_micros(), 0);
}

TEST(SuggestIntegration, ANegativeSampleRateStopsStartUpNamingTheFlag) {
  auto server = ServerProcess::Start(
      "server/gavel_server",
      {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
       absl::StrCat("--ledger_dir=", std::getenv("TEST_TMPDIR"), "/ledger-negative"),
       "--landscape_sample_every=-1"});
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()),
              HasSubstr("--landscape_sample_every must be >= 0, got -1"));
}

}  // namespace
}  // namespace gavel
