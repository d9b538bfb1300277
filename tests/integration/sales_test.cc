// Integration: purchases and the sales report through a real gavel_server on a real port, and
// gavel_cli's CSV export of that report; the dimension reports also through a replica on a real
// PostgreSQL.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

constexpr char kAdminKey[] = "sales-test-admin-key";
// The admin key the server under test takes (the PostgreSQL case's cluster has its own).
const char* admin_key = kAdminKey;

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

gavel::v1::Purchase MakePurchase(const std::string& order, const std::string& product,
                                 int64_t quantity, const std::string& currency = "USD") {
  gavel::v1::Purchase p;
  p.set_order_id(order);
  p.set_user_id("shopper-1");
  p.set_purchase_time_unix_micros(absl::ToUnixMicros(absl::Now()));
  auto* line = p.add_line_items();
  line->set_line(1);
  line->set_product_id(product);
  line->set_quantity(quantity);
  line->set_price_micros(25'000'000);
  line->set_currency(currency);
  return p;
}

TEST(SalesIntegration, ClickPurchaseReportCsvAndInvalidPurchases) {
  auto started = ServerProcess::Start(
      "server/gavel_server",
      {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
       absl::StrCat("--admin_api_key_file=", WriteFile("admin_key", kAdminKey)),
       absl::StrCat("--ledger_dir=", std::getenv("TEST_TMPDIR"), "/ledger")});
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<ServerProcess> server = *std::move(started);
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  auto events = gavel::v1::EventService::NewStub(channel);
  auto admin = gavel::v1::CampaignService::NewStub(channel);

  // A shopper's search, click on the first winner.
  gavel::v1::RunAuctionRequest search;
  search.set_request_id("sales-1");
  search.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
  search.set_slots(1);
  search.set_query("wireless headphones");
  search.mutable_shopper()->set_user_id("shopper-1");
  gavel::v1::RunAuctionResponse auction;
  ASSERT_TRUE(
      gavel::v1::AuctionService::NewStub(channel)->RunAuction(Ctx().get(), search, &auction).ok());
  ASSERT_EQ(auction.winners_size(), 1);
  const gavel::v1::Winner& w = auction.winners(0);
  gavel::v1::ReportEventsRequest click;
  click.add_events()->set_client_event_id("click-1");
  click.mutable_events(0)->set_type(gavel::v1::EVENT_TYPE_CLICK);
  click.mutable_events(0)->set_token(w.click_token());
  gavel::v1::ReportEventsResponse clicked;
  ASSERT_TRUE(events->ReportEvents(Ctx().get(), click, &clicked).ok());
  ASSERT_EQ(clicked.results(0).outcome(), gavel::v1::EVENT_OUTCOME_CHARGED);

  // The shopper buys two of the clicked product; a replay is DUPLICATE.
  gavel::v1::ReportPurchasesRequest buy;
  *buy.add_purchases() = MakePurchase("order-1", w.product_id(), 2);
  for (auto want : {gavel::v1::PURCHASE_OUTCOME_RECORDED, gavel::v1::PURCHASE_OUTCOME_DUPLICATE}) {
    gavel::v1::ReportPurchasesResponse bought;
    grpc::Status st = events->ReportPurchases(Ctx().get(), buy, &bought);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_EQ(bought.results_size(), 1);
    EXPECT_EQ(bought.results(0).order_id(), "order-1");
    EXPECT_EQ(bought.results(0).outcome(), want);
  }

  // Invalid purchases: INVALID_ARGUMENT naming the field.
  struct Bad {
    gavel::v1::ReportPurchasesRequest request;
    std::string message;
  };
  std::vector<Bad> bad(3);
  *bad[0].request.add_purchases() = MakePurchase("order-2", w.product_id(), -1);
  bad[0].message = "purchases[0].line_items[0].quantity must be in [1, 10000] in a sale, got -1";
  *bad[1].request.add_purchases() = MakePurchase("order-2", w.product_id(), 1, "EUR");
  bad[1].message = "purchases[0].line_items[0].currency must be the marketplace currency";
  for (int i = 0; i < 101; ++i) *bad[2].request.add_purchases() = MakePurchase("o", "p", 1);
  bad[2].message = "purchases must hold 1-100 purchases, got 101";
  for (const Bad& b : bad) {
    gavel::v1::ReportPurchasesResponse ignored;
    grpc::Status st = events->ReportPurchases(Ctx().get(), b.request, &ignored);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(st.error_message(), HasSubstr(b.message));
  }

  // The report: one order, 50 units of same-product sales, delivery equal to GetCampaignStats.
  gavel::v1::GetSalesReportRequest req;
  req.set_campaign_id(w.campaign_id());
  gavel::v1::GetSalesReportResponse report;
  grpc::Status st = admin->GetSalesReport(Ctx(true).get(), req, &report);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(report.attribution_window_days(), 7);
  EXPECT_EQ(report.days_size(), 30);
  const gavel::v1::SalesReportRow& total = report.total();
  EXPECT_EQ(total.orders(), 1);
  EXPECT_EQ(total.same_product_sales_micros(), 50'000'000);
  EXPECT_EQ(total.sales_micros(), 50'000'000);
  EXPECT_EQ(total.spend_micros(), w.cpc_micros());
  ASSERT_TRUE(total.has_acos());
  EXPECT_DOUBLE_EQ(total.acos(), static_cast<double>(w.cpc_micros()) / 50'000'000);
  EXPECT_DOUBLE_EQ(total.cvr(), 1.0);
  gavel::v1::GetCampaignStatsRequest stats_req;
  stats_req.set_campaign_id(w.campaign_id());
  gavel::v1::GetCampaignStatsResponse stats;
  ASSERT_TRUE(admin->GetCampaignStats(Ctx(true).get(), stats_req, &stats).ok());
  EXPECT_EQ(total.clicks(), stats.total().clicks());
  EXPECT_EQ(total.impressions(), stats.total().impressions());

  req.set_attribution_window_days(3);
  st = admin->GetSalesReport(Ctx(true).get(), req, &report);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "attribution_window_days must be one of 1, 7, 14, 30, got 3");

  // gavel_cli's CSV: a header, every day, then the total row.
  const std::string csv = RunTool(
      absl::StrCat(Runfile("tools/cli/gavel_cli"), " --server=", server->address(),
                   " --api_key=", admin_key, " sales ", w.campaign_id(), " --csv --window=14"));
  std::vector<std::string> rows = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 32u) << csv;
  EXPECT_EQ(rows[0],
            "date,impressions,clicks,spend_micros,orders,same_product_sales_micros,"
            "halo_sales_micros,sales_micros,acos,roas,ctr,cvr,average_cpc_micros");
  EXPECT_EQ(rows[31], absl::StrFormat("total,0,1,%d,1,50000000,0,50000000,%.6f,%.6f,0.000000,"
                                      "1.000000,%d",
                                      w.cpc_micros(), w.cpc_micros() / 50e6, 50e6 / w.cpc_micros(),
                                      w.cpc_micros()));
}

// Reports by dimension: two top-of-search searches spelled differently that normalise to one
// term, each clicked by its own shopper, one purchase; rows per dimension add up to the campaign's
// total, the term is the normalised query, and gavel_cli exports them as CSV. Two clicks of two
// shoppers (two spellings of one query) and one purchase, then the report by each dimension: rows
// sum to the totals, the search term is normalised. `address` (when not empty): the server's, for
// gavel_cli's CSV export.
void CheckDimensionReports(std::shared_ptr<grpc::Channel> channel, const std::string& address) {
  auto events = gavel::v1::EventService::NewStub(channel);
  auto admin = gavel::v1::CampaignService::NewStub(channel);
  auto auctions = gavel::v1::AuctionService::NewStub(channel);

  std::string campaign, target, product;
  const char* queries[] = {"wireless headphones", "  Wireless   HEADPHONES "};
  for (int i = 0; i < 2; ++i) {
    gavel::v1::RunAuctionRequest search;
    search.set_request_id(absl::StrCat("dims-", i));
    search.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
    search.set_slots(1);
    search.set_query(queries[i]);
    search.mutable_shopper()->set_user_id(absl::StrCat("shopper-", i + 1));
    gavel::v1::RunAuctionResponse auction;
    ASSERT_TRUE(auctions->RunAuction(Ctx().get(), search, &auction).ok());
    ASSERT_EQ(auction.winners_size(), 1);
    const gavel::v1::Winner& w = auction.winners(0);
    if (i == 0) {
      campaign = w.campaign_id();
      target = w.matched_target().target_id();
      product = w.product_id();
    }
    ASSERT_EQ(w.campaign_id(), campaign);
    gavel::v1::ReportEventsRequest req;
    for (auto [type, token] : {std::pair{gavel::v1::EVENT_TYPE_IMPRESSION, w.impression_token()},
                               std::pair{gavel::v1::EVENT_TYPE_CLICK, w.click_token()}}) {
      auto* e = req.add_events();
      e->set_client_event_id(absl::StrCat("dims-", i, "-", type));
      e->set_type(type);
      e->set_token(token);
    }
    gavel::v1::ReportEventsResponse resp;
    ASSERT_TRUE(events->ReportEvents(Ctx().get(), req, &resp).ok());
    ASSERT_EQ(resp.results(1).outcome(), gavel::v1::EVENT_OUTCOME_CHARGED);
  }
  gavel::v1::ReportPurchasesRequest buy;
  *buy.add_purchases() = MakePurchase("order-d1", product, 1);  // shopper-1's
  gavel::v1::ReportPurchasesResponse bought;
  ASSERT_TRUE(events->ReportPurchases(Ctx().get(), buy, &bought).ok());

  gavel::v1::GetSalesReportRequest req;
  req.set_campaign_id(campaign);
  std::string term_date;
  for (auto d :
       {gavel::v1::SALES_REPORT_DIMENSION_AD_GROUP, gavel::v1::SALES_REPORT_DIMENSION_TARGET,
        gavel::v1::SALES_REPORT_DIMENSION_PLACEMENT,
        gavel::v1::SALES_REPORT_DIMENSION_SEARCH_TERM}) {
    req.set_dimension(d);
    gavel::v1::GetSalesReportResponse report;
    grpc::Status st = admin->GetSalesReport(Ctx(true).get(), req, &report);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(report.dimension(), d);
    EXPECT_EQ(report.days_size(), 30);
    int64_t impressions = 0, clicks = 0, spend = 0, sales = 0;
    for (const auto& row : report.rows()) {
      impressions += row.impressions();
      clicks += row.clicks();
      spend += row.spend_micros();
      sales += row.sales_micros();
      EXPECT_FALSE(row.dimension_key().empty());
    }
    EXPECT_EQ(clicks, 2) << d;
    EXPECT_EQ(impressions, report.total().impressions()) << d;
    EXPECT_EQ(clicks, report.total().clicks()) << d;
    EXPECT_EQ(spend, report.total().spend_micros()) << d;
    EXPECT_EQ(sales, report.total().sales_micros()) << d;
    EXPECT_EQ(sales, 25'000'000) << d;
    if (d == gavel::v1::SALES_REPORT_DIMENSION_SEARCH_TERM) {
      ASSERT_EQ(report.rows_size(), 1);
      EXPECT_EQ(report.rows(0).dimension_key(), "wireless headphones");
      EXPECT_EQ(report.key_totals(0).dimension_key(), "wireless headphones");
      EXPECT_EQ(report.key_totals(0).orders(), 1);
      term_date = report.rows(0).date();
    }
    if (d == gavel::v1::SALES_REPORT_DIMENSION_PLACEMENT) {
      ASSERT_EQ(report.key_totals_size(), 1);
      EXPECT_EQ(report.key_totals(0).dimension_key(), "top_of_search");
    }
    if (d == gavel::v1::SALES_REPORT_DIMENSION_TARGET) {
      EXPECT_EQ(report.rows(0).dimension_key(), target.empty() ? "(none)" : target);
    }
  }
  req.set_dimension(static_cast<gavel::v1::SalesReportDimension>(9));
  gavel::v1::GetSalesReportResponse ignored;
  grpc::Status st = admin->GetSalesReport(Ctx(true).get(), req, &ignored);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "dimension must be CAMPAIGN, AD_GROUP, TARGET, PLACEMENT or SEARCH_TERM (0-4), got 9");

  if (address.empty()) return;
  // gavel_cli --by=search_term --csv: header, the day's row, the key's total, the campaign's.
  const std::string csv = RunTool(absl::StrCat(Runfile("tools/cli/gavel_cli"),
                                               " --server=", address, " --api_key=", admin_key,
                                               " sales ", campaign, " --csv --by=search_term"));
  std::vector<std::string> rows = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 4u) << csv;
  EXPECT_EQ(rows[0],
            "date,search_term,impressions,clicks,spend_micros,orders,same_product_sales_micros,"
            "halo_sales_micros,sales_micros,acos,roas,ctr,cvr,average_cpc_micros");
  EXPECT_THAT(rows[1], ::testing::StartsWith(absl::StrCat(term_date, ",wireless headphones,2,2,")));
  EXPECT_THAT(rows[2], ::testing::StartsWith("total,wireless headphones,2,2,"));
  EXPECT_THAT(rows[3], ::testing::StartsWith("total,,2,2,"));
  const std::string by_ad_group =
      RunTool(absl::StrCat(Runfile("tools/cli/gavel_cli"), " --server=", address,
                           " --api_key=", admin_key, " sales ", campaign, " --csv --by=ad_group"));
  EXPECT_THAT(by_ad_group, ::testing::StartsWith("date,ad_group,impressions,"));
}

TEST(SalesIntegration, DimensionReportsOverARealServerAndCliCsv) {
  auto started = ServerProcess::Start(
      "server/gavel_server",
      {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
       absl::StrCat("--admin_api_key_file=", WriteFile("admin_key_dims", kAdminKey)),
       absl::StrCat("--ledger_dir=", std::getenv("TEST_TMPDIR"), "/ledger_dims")});
  ASSERT_TRUE(started.ok()) << started.status();
  std::unique_ptr<ServerProcess> server = *std::move(started);
  CheckDimensionReports(grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()),
                        server->address());
}

// The same through a replica on PostgreSQL: the reports come from campaign_lines and
// dimension_stats.
TEST(SalesIntegration, DimensionReportsOnThePostgresStore) {
  auto pg = PgServer::Create();
  ASSERT_TRUE(pg.ok()) << pg.status();
  auto cluster = ReplicaCluster::Start(
      (*pg)->conninfo(), {.replicas = 1, .catalog = Runfile("data/demo_catalog.json")});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  admin_key = ::gavel::testing::kReplicaAdminKey;
  CheckDimensionReports((*cluster)->channel(0), "");
  admin_key = kAdminKey;
}

}  // namespace
}  // namespace gavel
