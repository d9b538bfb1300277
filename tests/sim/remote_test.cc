// gavel_sim's gRPC mode against the real gavel_server binary, serving the scenario's catalog as
// --write_catalog writes it.
#include "sim/remote.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "convert/catalog_convert.h"
#include "gtest/gtest.h"
#include "sim/catalog_export.h"
#include "sim/market.h"
#include "sim/scenario.h"
#include "store/catalog_file.h"
#include "tests/integration/server_process.h"

namespace gavel::sim {
namespace {

using ::gavel::testing::ServerProcess;

constexpr char kTiny[] = R"pb(
  name: "remote-tiny"
  seed: 5
  catalog { num_ads: 300 }
  bidding { shading: 0.8 }
  auction { reserve_micros: 20000 }
  traffic { queries_per_day: 400 }
  shoppers { num_shoppers: 50 }
  clicks { attractiveness_scale: 0.5 }
  invalid { repeat_click_probability: 1 }
)pb";

std::string TmpPath(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
}

TEST(WriteCatalogJson, TheServerLoadsTheSameCatalog) {
  absl::StatusOr<Scenario> s = ParseScenario(kTiny, false);
  ASSERT_TRUE(s.ok()) << s.status();
  const std::string path = TmpPath("catalog_roundtrip.json");
  ASSERT_TRUE(WriteCatalogJson(*s, path).ok());
  absl::StatusOr<gavel::v1::Catalog> proto = store::ReadCatalogFile(path);
  ASSERT_TRUE(proto.ok()) << proto.status();
  EXPECT_EQ(proto->auction_rules().reserve_micros(), 20000);
  auto snapshot = convert::CatalogFromProto(*proto, 1);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  const Market market = BuildMarket(*s);
  ASSERT_EQ((*snapshot)->ad_count(), static_cast<int32_t>(market.catalog.product_ads.size()));
  for (size_t i = 0; i < market.catalog.campaigns.size(); ++i) {
    EXPECT_EQ((*snapshot)->catalog().campaigns[i].daily_budget_micros,
              market.catalog.campaigns[i].daily_budget_micros);
  }
  for (size_t i = 0; i < market.catalog.targets.size(); ++i) {
    EXPECT_EQ((*snapshot)->catalog().targets[i].bid_micros, market.catalog.targets[i].bid_micros);
  }
}

TEST(SimulateRemote, DrivesARealServerAndGetsChargedClicks) {
  absl::StatusOr<Scenario> s = ParseScenario(kTiny, false);
  ASSERT_TRUE(s.ok()) << s.status();
  const std::string catalog = TmpPath("sim_catalog.json");
  ASSERT_TRUE(WriteCatalogJson(*s, catalog).ok());
  std::ofstream(TmpPath("admin_key")) << "remote-sim-test-admin-key";
  std::ofstream(TmpPath("token_keys")) << "k1 00112233445566778899aabbccddeeff0011223344556677\n";
  auto server = ServerProcess::Start("server/gavel_server",
                                     {absl::StrCat("--catalog=", catalog),
                                      absl::StrCat("--admin_api_key_file=", TmpPath("admin_key")),
                                      absl::StrCat("--token_key_file=", TmpPath("token_keys")),
                                      absl::StrCat("--ledger_dir=", TmpPath("ledger"))});
  ASSERT_TRUE(server.ok()) << server.status();

  absl::StatusOr<RunMetrics> m =
      SimulateRemote(*s, {.target = (*server)->address(), .queries = 200});
  ASSERT_TRUE(m.ok()) << m.status() << "\n" << (*server)->Output();
  EXPECT_EQ(m->searches, 200);
  EXPECT_GT(m->searches_with_ads, 0);
  EXPECT_GT(m->shopper_clicks, 0);
  EXPECT_GT(m->charged_clicks, 0);
  EXPECT_GT(m->revenue_micros, 0);
  int64_t spend = 0;
  for (const AdvertiserMetrics& a : m->advertisers) spend += a.spend_micros;
  EXPECT_EQ(spend, m->revenue_micros);
  // Every click re-searches; an ad shown again and clicked again within the hour is a repeat.
  // (Billing also flags first clicks of a shopper who clicked that ad in an earlier search.)
  EXPECT_GT(m->repeat_clicks, 0);
  EXPECT_GT(m->invalid_repeat, 0);
  EXPECT_LE(m->charged_clicks + m->invalid_filtered + m->budget_rejected_clicks,
            m->shopper_clicks + m->repeat_clicks + m->bot_clicks);
}

TEST(SimulateRemote, UnreachableServerIsAnError) {
  absl::StatusOr<Scenario> s = ParseScenario(kTiny, false);
  ASSERT_TRUE(s.ok());
  absl::StatusOr<RunMetrics> m = SimulateRemote(*s, {.target = "127.0.0.1:1", .queries = 5});
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnavailable) << m.status();
}

}  // namespace
}  // namespace gavel::sim
