// Integration: the ad-operations page (GET / on --metrics_listen) of a real gavel_server with a
// catalog and traffic, loaded by headless Chromium. The DOM Chromium builds shows the campaigns'
// spend, charged and invalid clicks and the exhausted budget; the screenshot is kept in
// $TEST_UNDECLARED_OUTPUTS_DIR/ops_page.png.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/http_util.h"
#include "tests/integration/server_process.h"
#include "tests/integration/traffic.h"

namespace gavel {
namespace {

using ::gavel::testing::Auction;
using ::gavel::testing::Report;
using ::gavel::testing::Runfile;
using ::gavel::testing::Search;
using ::gavel::testing::Server;
using ::gavel::testing::StartServer;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The demo catalog with Crema coffee's daily budget cut to 4 units and pacing off, so that the
// test's clicks exhaust it.
std::string SmallBudgetCatalog() {
  std::string json = ReadAll(Runfile("data/demo_catalog.json"));
  const std::string from = "\"dailyBudgetMicros\": \"30000000\"";
  EXPECT_THAT(json, HasSubstr(from));
  json =
      absl::StrReplaceAll(json, {{from, "\"dailyBudgetMicros\": \"4000000\", \"pacing\": false"}});
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/small_budget.json");
  std::ofstream(path) << json;
  return path;
}

std::string Chromium(const std::string& flags, const std::string& url) {
  const std::string profile = absl::StrCat(std::getenv("TEST_TMPDIR"), "/chromium");
  // --no-sandbox: tests may run as root, where Chromium's sandbox refuses to start.
  const testing::CommandResult r = testing::RunCommand(absl::StrCat(
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir=", profile, " ",
      flags, " '", url, "' 2>/dev/null"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

// The <tr> of campaign `id` in `dom`; empty if absent.
std::string Row(const std::string& dom, const std::string& id) {
  const size_t at = dom.find(absl::StrCat("data-campaign=\"", id, "\""));
  if (at == std::string::npos) return "";
  return dom.substr(at, dom.find("</tr>", at) - at);
}

TEST(OpsPage, ChromiumShowsSpendClicksAndTheExhaustedBudget) {
  Server s = StartServer("page", SmallBudgetCatalog());
  ASSERT_TRUE(s.process != nullptr);

  // Crema: 30 auctions' click tokens, clicked until the 4-unit budget refuses one.
  std::vector<std::string> crema_tokens;
  for (int i = 0; i < 30; ++i) {
    gavel::v1::RunAuctionResponse resp;
    ASSERT_TRUE(Auction(s, Search("espresso machine", absl::StrCat("shopper-", i)), &resp).ok());
    for (const auto& w : resp.winners()) {
      if (w.campaign_id() == "c-crema-coffee") crema_tokens.push_back(w.click_token());
    }
  }
  ASSERT_GE(crema_tokens.size(), 20u);
  int crema_charged = 0, refused = 0;
  for (size_t i = 0; i < crema_tokens.size(); ++i) {
    const auto outcome =
        Report(s, gavel::v1::EVENT_TYPE_CLICK, absl::StrCat("crema-", i), crema_tokens[i]);
    if (outcome == gavel::v1::EVENT_OUTCOME_CHARGED) ++crema_charged;
    if (outcome == gavel::v1::EVENT_OUTCOME_BUDGET_EXHAUSTED) ++refused;
  }
  ASSERT_GT(crema_charged, 0);
  ASSERT_GT(refused, 0) << "the clicks did not exhaust the budget";

  // Headphones: one shopper clicks the same ad twice (two auctions): a charge, then REPEAT_CLICK.
  std::string campaign, first, second;
  int64_t cpc = 0;
  for (int i = 0; i < 2; ++i) {
    gavel::v1::RunAuctionResponse resp;
    ASSERT_TRUE(Auction(s, Search("wireless headphones", "shopper-repeat"), &resp).ok());
    ASSERT_GT(resp.winners_size(), 0);
    (i == 0 ? first : second) = resp.winners(0).click_token();
    campaign = resp.winners(0).campaign_id();
    cpc = resp.winners(0).cpc_micros();
  }
  ASSERT_EQ(Report(s, gavel::v1::EVENT_TYPE_CLICK, "hp-1", first),
            gavel::v1::EVENT_OUTCOME_CHARGED);
  ASSERT_EQ(Report(s, gavel::v1::EVENT_TYPE_CLICK, "hp-2", second),
            gavel::v1::EVENT_OUTCOME_INVALID);

  const std::string url = absl::StrCat("http://", s.metrics, "/");
  const std::string dom = Chromium("--dump-dom", url);
  const std::string crema = Row(dom, "c-crema-coffee");
  EXPECT_THAT(crema, HasSubstr("data-state=\"exhausted\""));
  EXPECT_THAT(crema, HasSubstr(absl::StrCat("data-clicks=\"", crema_charged, "\"")));
  EXPECT_THAT(crema, HasSubstr("4.00</td>")) << "the daily budget, in units";
  const std::string hp = Row(dom, campaign);
  EXPECT_THAT(hp, HasSubstr("data-state=\"serving\""));
  EXPECT_THAT(hp, HasSubstr(absl::StrCat("data-spend-micros=\"", cpc, "\"")));
  EXPECT_THAT(hp, HasSubstr("data-clicks=\"1\" data-invalid-clicks=\"1\""));
  EXPECT_THAT(dom, HasSubstr("<span id=\"campaign-count\">7</span>"));
  EXPECT_THAT(dom, HasSubstr("<meta http-equiv=\"refresh\" content=\"10\">"));
  EXPECT_THAT(dom, Not(HasSubstr("<script")));
  EXPECT_THAT(dom, Not(HasSubstr("http-equiv=\"refresh\" content=\"10\"><link")));
  // The auctions above fall in the last minute's window.
  EXPECT_THAT(dom, Not(HasSubstr("<span id=\"auctions-per-second\">0.0</span>")));
  // Crema spent the most today: first row.
  EXPECT_LT(dom.find("data-campaign=\"c-crema-coffee\""),
            dom.find(absl::StrCat("data-campaign=\"", campaign, "\"")));

  // The search box: campaign ids containing "CREMA", case-insensitively.
  const std::string found = Chromium("--dump-dom", absl::StrCat(url, "?q=CREMA"));
  EXPECT_THAT(found, HasSubstr("<p id=\"matching\">1 matching</p>"));
  EXPECT_THAT(found, HasSubstr("data-campaign=\"c-crema-coffee\""));
  EXPECT_THAT(found, Not(HasSubstr(absl::StrCat("data-campaign=\"", campaign, "\""))));

  // The screenshot, kept as a test output.
  const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string png =
      absl::StrCat(outputs != nullptr ? outputs : std::getenv("TEST_TMPDIR"), "/ops_page.png");
  Chromium(absl::StrCat("--window-size=1400,900 --screenshot=", png), url);
  struct stat st {};
  ASSERT_EQ(::stat(png.c_str(), &st), 0) << "no screenshot at " << png;
  EXPECT_GT(st.st_size, 10'000);
}

}  // namespace
}  // namespace gavel
