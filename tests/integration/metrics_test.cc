// Integration: gavel_server's --metrics_listen port, against a real server on real ports. The
// counters scraped from /metrics match the traffic the test sent; promtool accepts the
// exposition; bad HTTP requests (unknown path, other methods, huge headers, slowloris clients) do
// not affect auctions.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "targeting/ctr_model.h"
#include "tests/integration/http_util.h"
#include "tests/integration/server_process.h"
#include "tests/integration/traffic.h"

namespace gavel {
namespace {

using ::gavel::testing::Auction;
using ::gavel::testing::HttpGet;
using ::gavel::testing::MetricValue;
using ::gavel::testing::Report;
using ::gavel::testing::Runfile;
using ::gavel::testing::Search;
using ::gavel::testing::Server;
using ::gavel::testing::ServerProcess;
using ::gavel::testing::StartServer;
using ::testing::HasSubstr;

std::string Scrape(const Server& s) {
  auto r = HttpGet(s.metrics, "/metrics");
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return "";
  EXPECT_EQ(r->status, 200);
  return r->body;
}

// What SendTraffic sent, to compare with what the server counted.
struct Sent {
  int filled = 0, empty = 0, invalid = 0, expired = 0;
  int charged = 0, duplicate = 0, forged = 0, impressions = 0;
  int64_t charged_micros = 0;
};

Sent SendTraffic(const Server& s) {
  Sent sent;
  std::vector<gavel::v1::Winner> winners;
  for (int i = 0; i < 12; ++i) {
    gavel::v1::RunAuctionResponse resp;
    grpc::Status st = Auction(s, Search("wireless headphones", absl::StrCat("shopper-", i)), &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_GT(resp.winners_size(), 0);
    ++sent.filled;
    if (i < 3) winners.push_back(resp.winners(0));
  }
  for (int i = 0; i < 3; ++i) {
    gavel::v1::RunAuctionResponse resp;
    EXPECT_TRUE(Auction(s, Search("zzqx nothing matches", "shopper-x"), &resp).ok());
    EXPECT_EQ(resp.winners_size(), 0);
    ++sent.empty;
  }
  for (int i = 0; i < 2; ++i) {
    gavel::v1::RunAuctionRequest bad = Search("headphones", "shopper-x");
    bad.set_slots(0);
    gavel::v1::RunAuctionResponse resp;
    EXPECT_EQ(Auction(s, bad, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    ++sent.invalid;
  }
  {
    gavel::v1::RunAuctionResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
    gavel::v1::AuctionService::NewStub(s.channel)->RunAuction(
        &ctx, Search("headphones", "shopper-x"), &resp);
    // The client may give up before sending: only a call the server saw counts.
  }
  for (size_t i = 0; i < winners.size(); ++i) {
    EXPECT_EQ(
        Report(s, gavel::v1::EVENT_TYPE_CLICK, absl::StrCat("click-", i), winners[i].click_token()),
        gavel::v1::EVENT_OUTCOME_CHARGED);
    ++sent.charged;
    sent.charged_micros += winners[i].cpc_micros();
  }
  EXPECT_EQ(Report(s, gavel::v1::EVENT_TYPE_CLICK, "click-0", winners[0].click_token()),
            gavel::v1::EVENT_OUTCOME_DUPLICATE);
  ++sent.duplicate;
  std::string forged = winners[1].click_token();
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Report(s, gavel::v1::EVENT_TYPE_CLICK, "click-forged", forged),
            gavel::v1::EVENT_OUTCOME_INVALID);
  ++sent.forged;
  EXPECT_EQ(Report(s, gavel::v1::EVENT_TYPE_IMPRESSION, "imp-0", winners[2].impression_token()),
            gavel::v1::EVENT_OUTCOME_RECORDED);
  ++sent.impressions;
  return sent;
}

TEST(Metrics, ScrapedCountersMatchTheTrafficSent) {
  Server s = StartServer("counters");
  ASSERT_TRUE(s.process != nullptr);
  const Sent sent = SendTraffic(s);
  const std::string m = Scrape(s);
  const std::string search = "placement=\"top_of_search\",mechanism=\"gsp\"";
  EXPECT_EQ(MetricValue(m, absl::StrCat("gavel_auctions_total{", search, ",result=\"filled\"}")),
            sent.filled);
  EXPECT_EQ(MetricValue(m, absl::StrCat("gavel_auctions_total{", search, ",result=\"empty\"}")),
            sent.empty);
  EXPECT_EQ(MetricValue(m, "gavel_auction_errors_total{code=\"invalid_argument\"}"), sent.invalid);
  const double expired = MetricValue(m, "gavel_auction_errors_total{code=\"deadline_exceeded\"}");
  EXPECT_LE(expired, sent.expired + 1);
  EXPECT_EQ(MetricValue(m, "gavel_deadline_expired_total{service=\"auction\"}"), expired);
  // Every call the server served is in the latency histogram; phases only for successful ones.
  EXPECT_EQ(MetricValue(m, "gavel_auction_duration_seconds_count"),
            sent.filled + sent.empty + sent.invalid + expired);
  EXPECT_EQ(MetricValue(m, "gavel_auction_phase_duration_seconds_count{phase=\"retrieve\"}"),
            sent.filled + sent.empty);
  EXPECT_EQ(MetricValue(m, "gavel_auction_winners_count"), sent.filled + sent.empty);
  EXPECT_EQ(MetricValue(m, "gavel_auction_slots_requested_total"), 2 * (sent.filled + sent.empty));
  EXPECT_GE(MetricValue(m, "gavel_auction_slots_filled_total"), sent.filled);
  EXPECT_EQ(MetricValue(m, "gavel_events_total{type=\"click\",outcome=\"charged\"}"), sent.charged);
  EXPECT_EQ(MetricValue(m, "gavel_events_total{type=\"click\",outcome=\"duplicate\"}"),
            sent.duplicate);
  EXPECT_EQ(MetricValue(m, "gavel_events_total{type=\"click\",outcome=\"invalid\"}"), sent.forged);
  EXPECT_EQ(MetricValue(m, "gavel_events_total{type=\"impression\",outcome=\"recorded\"}"),
            sent.impressions);
  EXPECT_EQ(MetricValue(m, "gavel_invalid_clicks_total{reason=\"forged\"}"), sent.forged);
  EXPECT_EQ(MetricValue(m, "gavel_charged_micros_total"), sent.charged_micros);
  EXPECT_EQ(MetricValue(m, "gavel_event_batch_events_count"),
            sent.charged + sent.duplicate + sent.forged + sent.impressions);
  // Each charged click and the impression went through an fsync of the ledger.
  EXPECT_GE(MetricValue(m, "gavel_ledger_fsync_duration_seconds_count"), 1);
  EXPECT_EQ(MetricValue(m, "gavel_catalog_version"), 1);
  EXPECT_EQ(MetricValue(m, "gavel_catalog_campaigns"), 7);
  EXPECT_EQ(MetricValue(m, "gavel_auctions_in_flight"), 0);
  EXPECT_EQ(MetricValue(m, "gavel_token_key_info{key_id=\"insecure-dev\",role=\"current\"}"), 1)
      << m.substr(m.find("gavel_token_key_info"), 300);
  EXPECT_GT(MetricValue(m, "process_start_time_seconds"), 1.7e9);
}

TEST(Metrics, PromtoolAcceptsTheExposition) {
  Server s = StartServer("promtool");
  ASSERT_TRUE(s.process != nullptr);
  SendTraffic(s);
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/metrics.txt");
  std::ofstream(path) << Scrape(s);
  const testing::CommandResult r =
      testing::RunCommand(absl::StrCat("promtool check metrics < ", path));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "") << "promtool's lint found problems";
}

// A raw TCP connection to the HTTP port.
int Connect(const std::string& address) {
  const size_t colon = address.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(std::stoi(address.substr(colon + 1)));
  ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `request` on a new connection and returns the reply's first line ("" if none).
std::string RawRequest(const std::string& address, const std::string& request) {
  const int fd = Connect(address);
  if (fd < 0) return "";
  timeval timeout{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close before reading everything
    sent += static_cast<size_t>(n);
  }
  char buf[256];
  const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  ::close(fd);
  if (n <= 0) return "";
  const std::string reply(buf, static_cast<size_t>(n));
  return reply.substr(0, reply.find("\r\n"));
}

TEST(Metrics, BadHttpRequestsGetErrorsAndDoNotAffectAuctions) {
  Server s = StartServer("bad_http");
  ASSERT_TRUE(s.process != nullptr);
  auto missing = HttpGet(s.metrics, "/no/such/page");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(RawRequest(s.metrics, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"),
            "HTTP/1.1 405 Method Not Allowed");
  // A 100 KB header line: refused or cut off, never served.
  const std::string huge = absl::StrCat(
      "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ", std::string(100'000, 'a'), "\r\n\r\n");
  EXPECT_THAT(RawRequest(s.metrics, huge), ::testing::Not(HasSubstr("200")));

  // Slowloris: 64 connections that never finish their request, held open during the auctions.
  std::vector<int> slow;
  for (int i = 0; i < 64; ++i) {
    const int fd = Connect(s.metrics);
    ASSERT_GE(fd, 0);
    const std::string partial = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    ASSERT_EQ(::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(partial.size()));
    slow.push_back(fd);
  }
  for (int i = 0; i < 20; ++i) {
    gavel::v1::RunAuctionResponse resp;
    // A 2 s deadline: auctions on the demo catalog take well under a millisecond.
    grpc::Status st = Auction(s, Search("wireless headphones", "shopper-slow"), &resp, 2);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_GT(resp.winners_size(), 0);
  }
  for (int fd : slow) ::close(fd);
  // The port serves again once the slow clients are gone.
  auto after = HttpGet(s.metrics, "/metrics");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->status, 200);
  EXPECT_EQ(MetricValue(after->body,
                        "gavel_auctions_total{placement=\"top_of_search\","
                        "mechanism=\"gsp\",result=\"filled\"}"),
            20);
}

// `query` URL-encoded for Prometheus' HTTP API.
std::string Encode(const std::string& query) {
  std::string out;
  for (unsigned char c : query) {
    if (std::isalnum(c) || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

// The value of a one-sample instant vector, from Prometheus' /api/v1/query JSON; -1 if the
// result is empty or the server is not answering.
double PrometheusValue(const std::string& prometheus, const std::string& query) {
  auto r = HttpGet(prometheus, absl::StrCat("/api/v1/query?query=", Encode(query)));
  if (!r.ok() || r->status != 200) return -1;
  // ..."value":[1733140000.123,"12"]...
  const size_t at = r->body.find("\"value\":[");
  if (at == std::string::npos) return -1;
  const size_t open = r->body.find('"', r->body.find(',', at));
  const size_t close = r->body.find('"', open + 1);
  double v = -1;
  if (!absl::SimpleAtod(r->body.substr(open + 1, close - open - 1), &v)) return -1;
  return v;
}

TEST(Metrics, ARealPrometheusScrapesTheCountersTheTestSent) {
  Server s = StartServer("prometheus");
  ASSERT_TRUE(s.process != nullptr);
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/prometheus");
  ::mkdir(dir.c_str(), 0755);
  const std::string config = absl::StrCat(dir, "/prometheus.yml");
  std::ofstream(config) << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                        << "scrape_configs:\n  - job_name: gavel\n    static_configs:\n"
                        << "      - targets: ['" << s.metrics << "']\n";
  const int port = testing::FreePort();
  ASSERT_GT(port, 0);
  const std::string web = absl::StrCat("127.0.0.1:", port);
  auto prometheus =
      testing::ChildProcess::Start({"prometheus", absl::StrCat("--config.file=", config),
                                    absl::StrCat("--storage.tsdb.path=", dir, "/data"),
                                    absl::StrCat("--web.listen-address=", web)},
                                   absl::StrCat(dir, "/prometheus.log"));
  ASSERT_TRUE(prometheus.ok()) << prometheus.status();
  const Sent sent = SendTraffic(s);

  // Prometheus scrapes every second; wait (up to 60 s) for a scrape taken after the traffic.
  const std::string charged_micros = "gavel_charged_micros_total{job=\"gavel\"}";
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (PrometheusValue(web, charged_micros) != sent.charged_micros && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(250));
  }
  std::ifstream log(absl::StrCat(dir, "/prometheus.log"));
  const std::string log_text((std::istreambuf_iterator<char>(log)),
                             std::istreambuf_iterator<char>());
  ASSERT_EQ(PrometheusValue(web, charged_micros), sent.charged_micros) << log_text;
  EXPECT_EQ(PrometheusValue(web, "up{job=\"gavel\"}"), 1);
  EXPECT_EQ(PrometheusValue(web, "sum(gavel_auctions_total{result=\"filled\"})"), sent.filled);
  EXPECT_EQ(PrometheusValue(web, "sum(gavel_auctions_total{result=\"empty\"})"), sent.empty);
  EXPECT_EQ(PrometheusValue(web, "gavel_events_total{type=\"click\",outcome=\"charged\"}"),
            sent.charged);
  EXPECT_EQ(PrometheusValue(web, "gavel_invalid_clicks_total{reason=\"forged\"}"), sent.forged);
  EXPECT_EQ(PrometheusValue(web, "gavel_auction_errors_total{code=\"invalid_argument\"}"),
            sent.invalid);
}

TEST(RequestLog, OneJsonLinePerSuccessfulAuctionWithItsIdsAndPrices) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/requests.jsonl");
  Server s = StartServer("request_log", "", {absl::StrCat("--request_log=", path)});
  ASSERT_TRUE(s.process != nullptr);
  std::vector<gavel::v1::RunAuctionResponse> sent(3);
  for (auto& resp : sent) {
    ASSERT_TRUE(Auction(s, Search("wireless headphones", "shopper-log"), &resp).ok());
    ASSERT_GT(resp.winners_size(), 0);
  }
  gavel::v1::RunAuctionRequest bad = Search("headphones", "shopper-log");
  bad.set_slots(0);
  gavel::v1::RunAuctionResponse unused;
  EXPECT_FALSE(Auction(s, bad, &unused).ok());  // failed calls are not logged
  // The writer appends within about 100 ms; wait up to 10 s.
  std::vector<std::string> lines;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (lines.size() < sent.size() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
    lines.clear();
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_THAT(lines[i], ::testing::StartsWith("{\"time\":\""));
    EXPECT_THAT(lines[i], HasSubstr("\"request_id\":\"metrics-it\""));
    EXPECT_THAT(lines[i], HasSubstr(absl::StrCat("\"auction_id\":\"", sent[i].auction_id(), "\"")));
    EXPECT_THAT(lines[i], HasSubstr(absl::StrCat(
                              "{\"slot\":1,\"ad_id\":\"", sent[i].winners(0).ad_id(),
                              "\",\"campaign_id\":\"", sent[i].winners(0).campaign_id(),
                              "\",\"cpc_micros\":", sent[i].winners(0).cpc_micros(), "}")));
  }
}

TEST(Metrics, WithoutMetricsListenThereIsNoHttpPort) {
  auto process = ServerProcess::Start(
      "server/gavel_server",
      {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
       absl::StrCat("--ledger_dir=", std::getenv("TEST_TMPDIR"), "/nometrics_ledger"),
       "--nohuge_pages"});
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ(testing::MetricsAddress((*process)->Output()), "");
}

TEST(Metrics, ABadMetricsListenStopsStartUpNamingTheFlag) {
  auto process = ServerProcess::Start(
      "server/gavel_server",
      {absl::StrCat("--catalog=", Runfile("data/demo_catalog.json")),
       absl::StrCat("--ledger_dir=", std::getenv("TEST_TMPDIR"), "/badflag_ledger"),
       "--metrics_listen=127.0.0.1", "--nohuge_pages"});
  ASSERT_FALSE(process.ok());
  EXPECT_THAT(process.status().message(), HasSubstr("--metrics_listen must be HOST:PORT"));
}

// gavel_model_info is read at each scrape: after ReloadModel it names the new file's hash. The
// request and training logs' counters appear with their flags.
TEST(Metrics, ModelInfoFollowsAReloadAndTheLogsAreCounted) {
  const std::string tmp = std::getenv("TEST_TMPDIR");
  const std::string model = tmp + "/model.txt";
  const std::string a = "gavel-ctr-model v1\nbias -4\nmatch exact 0.9\n";
  const std::string b = "gavel-ctr-model v1\nbias -2\nmatch exact 0.9\n";
  std::ofstream(model) << a;
  std::ofstream(tmp + "/model_admin_key") << "model-key";
  ::mkdir((tmp + "/training").c_str(), 0755);
  Server s = StartServer("model", "",
                         {"--model=" + model, "--admin_api_key_file=" + tmp + "/model_admin_key",
                          "--request_log=" + tmp + "/requests.jsonl",
                          "--training_log_dir=" + tmp + "/training"});
  ASSERT_NE(s.process, nullptr);
  const std::string version_a = (*targeting::CtrModel::Parse(a))->version();
  const std::string version_b = (*targeting::CtrModel::Parse(b))->version();
  ASSERT_NE(version_a, version_b);
  auto info = [&](const std::string& version) {
    return absl::StrCat("gavel_model_info{model=\"", model, "\",fnv1a=\"", version, "\"}");
  };
  std::string m = Scrape(s);
  EXPECT_EQ(MetricValue(m, info(version_a)), 1) << m;

  std::ofstream(model, std::ios::trunc) << b;
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-gavel-api-key", "model-key");
  gavel::v1::ReloadModelResponse reloaded;
  ASSERT_TRUE(gavel::v1::CampaignService::NewStub(s.channel)
                  ->ReloadModel(&ctx, gavel::v1::ReloadModelRequest(), &reloaded)
                  .ok());
  EXPECT_EQ(reloaded.model_version(), version_b);
  m = Scrape(s);
  EXPECT_EQ(MetricValue(m, info(version_b)), 1) << m;
  EXPECT_EQ(m.find(version_a), std::string::npos) << m;

  for (int i = 0; i < 5; ++i) {
    gavel::v1::RunAuctionResponse resp;
    ASSERT_TRUE(Auction(s, Search("wireless headphones", absl::StrCat("shopper-", i)), &resp).ok());
    ASSERT_GT(resp.winners_size(), 0);
  }
  m = Scrape(s);
  EXPECT_EQ(MetricValue(m, "gavel_request_log_dropped_total"), 0) << m;
  EXPECT_EQ(MetricValue(m, "gavel_training_log_records_total{result=\"dropped\"}"), 0) << m;
  EXPECT_GE(MetricValue(m, "gavel_training_log_records_total{result=\"written\"}"), 0) << m;
}

}  // namespace
}  // namespace gavel
