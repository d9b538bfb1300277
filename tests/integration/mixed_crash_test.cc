// Crash safety under real traffic: client threads run auctions on the real server and report, per
// auction, one ReportEvents batch with an impression for every winner and a click for some of them,
// while the server is killed with SIGKILL several times and restarted on the same ledger. Checks
// the contract of docs/billing.md, "What is durable when", as the client sees it:
//   - a batch with a click is durable once acknowledged: after every restart, every acknowledged
//     charge is in the campaign's stats, and re-sending the batch gives DUPLICATE for all of it;
//   - an acknowledged batch of impressions only may be lost, but only at the tail of the ledger:
//     if anything sent after its acknowledgement survived the crash, so did it;
//   - after every restart, spend, clicks and impressions lie between what was acknowledged (and so
//     must be durable) and what was sent; once every batch is re-sent, each click is charged
//     exactly once and each impression counted exactly once.
// crash_test.cc covers clicks alone, one per call.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/sync.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "store/catalog_file.h"
#include "tests/integration/server_process.h"

namespace gavel {
namespace {

using ::gavel::testing::Runfile;
using ::gavel::testing::ServerProcess;

constexpr char kAdminKey[] = "mixed-crash-test-admin-key";
constexpr int kClients = 4;
constexpr int kKills = 6;
// Acknowledged event batches each server process answers before it is killed (the last one
// answers this many before the clients stop).
constexpr int kBatchesPerLife = 40;
constexpr double kClickShare = 0.3;  // per winner, the chance its click is reported too

struct SentEvent {
  std::string event_id;
  gavel::v1::EventType type = gavel::v1::EVENT_TYPE_IMPRESSION;
  std::string token;
  std::string user_id;
  std::string campaign_id;
  int64_t cpc_micros = 0;  // the winner's price: what its click is charged
};

// One ReportEvents call. `sent_at` and `acked_at` come from one counter, taken just before the
// call and just after its reply: "b was sent after a's reply" is b.sent_at > a.acked_at.
struct Batch {
  int life = 0;  // the server process it was sent to: 0 for the first, +1 per restart
  uint64_t sent_at = 0;
  uint64_t acked_at = 0;  // 0: not acknowledged (the call failed)
  bool has_click = false;
  std::vector<SentEvent> events;
  std::vector<gavel::v1::EventResult> results;  // one per event when acknowledged
};

// Per campaign, from GetCampaignStats.
struct Counts {
  int64_t spend_micros = 0, clicks = 0, impressions = 0, invalid_clicks = 0, exhausted_clicks = 0;
};

std::string TmpPath(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
}

std::string TmpFile(const std::string& name, const std::string& contents) {
  const std::string path = TmpPath(name);
  std::ofstream(path) << contents;
  return path;
}

// The demo catalog with every daily budget 1,000 times larger, so no campaign runs out during the
// test: every click is then charged once it arrives, and the final spend must equal the sum of all
// the clicks' prices exactly (a click that ran into a budget would leave that sum unknowable for
// clicks whose reply was lost).
std::string RichCatalog() {
  absl::StatusOr<gavel::v1::Catalog> catalog =
      store::ReadCatalogFile(Runfile("data/demo_catalog.json"));
  EXPECT_TRUE(catalog.ok()) << catalog.status();
  for (auto& c : *catalog->mutable_campaigns()) {
    c.set_daily_budget_micros(c.daily_budget_micros() * 1000);
  }
  const std::string path = TmpPath("rich_catalog.json");
  absl::Status st = store::WriteCatalogFile(*catalog, path);
  EXPECT_TRUE(st.ok()) << st;
  return path;
}

std::vector<std::string> ServerArgs(const std::string& catalog) {
  return {absl::StrCat("--catalog=", catalog),
          absl::StrCat("--admin_api_key_file=", TmpFile("admin_key", kAdminKey)),
          absl::StrCat("--token_key_file=",
                       TmpFile("token_keys", "k1 0123456789abcdef0123456789abcdef\n")),
          absl::StrCat("--ledger_dir=", TmpPath("ledger"))};
}

void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

gavel::v1::ReportEventsRequest ToRequest(const Batch& b) {
  gavel::v1::ReportEventsRequest req;
  for (const SentEvent& e : b.events) {
    auto* p = req.add_events();
    p->set_client_event_id(e.event_id);
    p->set_type(e.type);
    p->set_token(e.token);
    p->set_user_id(e.user_id);
  }
  return req;
}

Counts StatsOf(const std::shared_ptr<grpc::Channel>& channel, const std::string& campaign) {
  auto stub = gavel::v1::CampaignService::NewStub(channel);
  gavel::v1::GetCampaignStatsRequest req;
  req.set_campaign_id(campaign);
  gavel::v1::GetCampaignStatsResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  ctx.AddMetadata("x-gavel-api-key", kAdminKey);
  grpc::Status st = stub->GetCampaignStats(&ctx, req, &resp);
  EXPECT_TRUE(st.ok()) << campaign << ": " << st.error_message();
  const auto& t = resp.total();
  return {t.spend_micros(), t.clicks(), t.impressions(), t.invalid_clicks(),
          t.budget_exhausted_clicks()};
}

// What the clients and the test's main thread share.
class Traffic {
 public:
  // Starts the clients on `life`'s server (the first, or a restart once every client is parked).
  void Serve(int life, std::shared_ptr<grpc::Channel> channel) {
    MutexLock lock(&mu_);
    life_ = life;
    channel_ = std::move(channel);
    killing_ = false;
    acked_this_life_ = 0;
    cv_.SignalAll();
  }
  // Waits until the current server has acknowledged `n` batches; false after a minute without.
  bool WaitForAcks(int n) {
    const absl::Time deadline = absl::Now() + absl::Minutes(1);
    MutexLock lock(&mu_);
    while (acked_this_life_ < n && absl::Now() < deadline)
      cv_.WaitWithTimeout(&mu_, absl::Seconds(1));
    return acked_this_life_ >= n;
  }
  // Call before killing the server: from now on a failed call parks its client until Serve.
  void Killing() {
    MutexLock lock(&mu_);
    killing_ = true;
  }
  // Waits until every client is parked, so no call is in flight and every batch is recorded;
  // false after a minute without (a call to a dead server fails at once).
  bool WaitAllParked() {
    const absl::Time deadline = absl::Now() + absl::Minutes(1);
    MutexLock lock(&mu_);
    while (parked_ < kClients && absl::Now() < deadline)
      cv_.WaitWithTimeout(&mu_, absl::Seconds(1));
    return parked_ == kClients;
  }
  void Stop() {
    MutexLock lock(&mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  std::vector<Batch> batches() {
    MutexLock lock(&mu_);
    return batches_;
  }
  int failed_while_up() {
    MutexLock lock(&mu_);
    return failed_while_up_;
  }

  void Client(int id);

 private:
  // After a failed call: parks while the server is being killed, returns at once otherwise (a call
  // can fail with a live server, e.g. past its deadline on a loaded machine; it was simply not
  // acknowledged). False once the clients should stop.
  bool AfterFailure(int life);
  Batch BatchFor(const gavel::v1::RunAuctionResponse& auction, const std::string& user,
                 const std::string& prefix, std::mt19937_64& gen);

  std::atomic<uint64_t> order_{1};
  Mutex mu_;
  CondVar cv_;
  int life_ ABSL_GUARDED_BY(mu_) = -1;
  std::shared_ptr<grpc::Channel> channel_ ABSL_GUARDED_BY(mu_);
  bool killing_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int parked_ ABSL_GUARDED_BY(mu_) = 0;
  int acked_this_life_ ABSL_GUARDED_BY(mu_) = 0;
  int failed_while_up_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Batch> batches_ ABSL_GUARDED_BY(mu_);
};

bool Traffic::AfterFailure(int life) {
  MutexLock lock(&mu_);
  if (!killing_ || life_ != life) {
    ++failed_while_up_;
    return !stop_;
  }
  ++parked_;
  cv_.SignalAll();
  while (life_ == life && !stop_) cv_.Wait(&mu_);
  --parked_;
  return !stop_;
}

// An impression for every winner and, for some, its click, in one batch, as a client reports
// what it showed and what was clicked.
Batch Traffic::BatchFor(const gavel::v1::RunAuctionResponse& auction, const std::string& user,
                        const std::string& prefix, std::mt19937_64& gen) {
  Batch b;
  for (const auto& w : auction.winners()) {
    b.events.push_back({.event_id = absl::StrCat(prefix, "-imp-", w.slot()),
                        .type = gavel::v1::EVENT_TYPE_IMPRESSION,
                        .token = w.impression_token(),
                        .user_id = user,
                        .campaign_id = w.campaign_id(),
                        .cpc_micros = w.cpc_micros()});
    if (absl::Bernoulli(gen, kClickShare)) {
      b.events.push_back({.event_id = absl::StrCat(prefix, "-click-", w.slot()),
                          .type = gavel::v1::EVENT_TYPE_CLICK,
                          .token = w.click_token(),
                          .user_id = user,
                          .campaign_id = w.campaign_id(),
                          .cpc_micros = w.cpc_micros()});
      b.has_click = true;
    }
  }
  return b;
}

void Traffic::Client(int id) {
  const char* queries[] = {"wireless headphones", "running shoes",    "smartphone", "coffee maker",
                           "usb c cable",         "espresso machine", "earbuds"};
  std::mt19937_64 gen(1000 + id);
  int life = -1;
  std::unique_ptr<gavel::v1::AuctionService::Stub> auctions;
  std::unique_ptr<gavel::v1::EventService::Stub> events;
  for (int n = 0;; ++n) {
    {
      MutexLock lock(&mu_);
      if (stop_) return;
      if (life_ != life) {
        life = life_;
        auctions = gavel::v1::AuctionService::NewStub(channel_);
        events = gavel::v1::EventService::NewStub(channel_);
      }
    }
    // A new shopper every auction, so neither the repeat-click nor the rate rule applies.
    const std::string user = absl::StrCat("shopper-", id, "-", n);
    gavel::v1::RunAuctionRequest req;
    req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
    req.set_slots(3);
    req.set_query(queries[n % 7]);
    req.mutable_shopper()->set_user_id(user);
    req.mutable_shopper()->set_local_hour(12);
    gavel::v1::RunAuctionResponse auction;
    grpc::ClientContext auction_ctx;
    SetDeadline(&auction_ctx);
    if (!auctions->RunAuction(&auction_ctx, req, &auction).ok()) {
      if (!AfterFailure(life)) return;
      continue;
    }
    Batch b = BatchFor(auction, user, absl::StrCat("c", id, "-", n), gen);
    if (b.events.empty()) continue;
    b.life = life;
    gavel::v1::ReportEventsResponse reply;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    b.sent_at = order_++;
    const bool ok = events->ReportEvents(&ctx, ToRequest(b), &reply).ok();
    if (ok) {
      b.acked_at = order_++;
      b.results.assign(reply.results().begin(), reply.results().end());
    }
    {
      MutexLock lock(&mu_);
      batches_.push_back(std::move(b));
      if (ok && life_ == life) ++acked_this_life_;
      cv_.SignalAll();
    }
    if (!ok && !AfterFailure(life)) return;
  }
}

// Bounds after a restart, per campaign: what was acknowledged (durable by the contract) is a lower
// bound, what was sent an upper one.
struct Bounds {
  // Charges and clicks acknowledged; impressions acknowledged in a batch with a click.
  Counts acked;
  // Every click (at its price) and impression sent, acknowledged or not.
  Counts sent;
};

std::map<std::string, Bounds> BoundsOf(const std::vector<Batch>& batches) {
  std::map<std::string, Bounds> bounds;
  for (const Batch& b : batches) {
    for (size_t i = 0; i < b.events.size(); ++i) {
      const SentEvent& e = b.events[i];
      Bounds& c = bounds[e.campaign_id];
      const bool click = e.type == gavel::v1::EVENT_TYPE_CLICK;
      (click ? c.sent.clicks : c.sent.impressions) += 1;
      if (click) c.sent.spend_micros += e.cpc_micros;
      if (b.acked_at == 0) continue;
      const gavel::v1::EventResult& r = b.results[i];
      if (click) {
        // Every campaign can pay and every shopper is new, so every first click is charged.
        EXPECT_EQ(r.outcome(), gavel::v1::EVENT_OUTCOME_CHARGED)
            << e.event_id << ": " << r.detail();
        EXPECT_EQ(r.charged_micros(), e.cpc_micros) << e.event_id;
        c.acked.spend_micros += r.charged_micros();
        c.acked.clicks += 1;
      } else {
        EXPECT_EQ(r.outcome(), gavel::v1::EVENT_OUTCOME_RECORDED)
            << e.event_id << ": " << r.detail();
        if (b.has_click) c.acked.impressions += 1;
      }
    }
  }
  return bounds;
}

void ExpectWithinBounds(const std::shared_ptr<grpc::Channel>& channel,
                        const std::vector<Batch>& batches, int life) {
  for (const auto& [campaign, b] : BoundsOf(batches)) {
    const Counts now = StatsOf(channel, campaign);
    SCOPED_TRACE(absl::StrCat("after restart ", life, ", campaign ", campaign));
    EXPECT_GE(now.spend_micros, b.acked.spend_micros) << "an acknowledged charge was lost";
    EXPECT_LE(now.spend_micros, b.sent.spend_micros) << "more charged than was ever clicked";
    EXPECT_GE(now.clicks, b.acked.clicks);
    EXPECT_LE(now.clicks, b.sent.clicks);
    EXPECT_GE(now.impressions, b.acked.impressions)
        << "an impression acknowledged with a click in its batch was lost";
    EXPECT_LE(now.impressions, b.sent.impressions) << "more impressions than were ever sent";
    EXPECT_EQ(now.invalid_clicks, 0);
    EXPECT_EQ(now.exhausted_clicks, 0);
  }
}

TEST(CrashSafety, RepeatedSigkillUnderMixedTrafficKeepsTheDurabilityContract) {
  const std::vector<std::string> args = ServerArgs(RichCatalog());
  Traffic traffic;
  std::vector<std::thread> clients;
  std::unique_ptr<ServerProcess> server;
  std::shared_ptr<grpc::Channel> channel;
  for (int life = 0; life <= kKills; ++life) {
    auto started = ServerProcess::Start("server/gavel_server", args);
    ASSERT_TRUE(started.ok()) << started.status();
    server = *std::move(started);
    channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
    // Every client is parked: what they sent before the crash is final.
    if (life > 0) ExpectWithinBounds(channel, traffic.batches(), life);
    traffic.Serve(life, channel);
    if (life == 0) {
      for (int id = 0; id < kClients; ++id)
        clients.emplace_back([&traffic, id] { traffic.Client(id); });
    }
    const bool enough = traffic.WaitForAcks(kBatchesPerLife);
    if (!enough || life == kKills) {
      traffic.Stop();
      for (auto& c : clients) c.join();
      ASSERT_TRUE(enough) << "the server acknowledged too little; its output:\n"
                          << server->Output();
      break;
    }
    traffic.Killing();
    server->Kill(SIGKILL);
    if (!traffic.WaitAllParked()) {
      traffic.Stop();
      for (auto& c : clients) c.join();
      FAIL() << "a client kept calling a killed server";
    }
  }

  // Re-send every batch, acknowledged or not, to the last server, as a client retries.
  const std::vector<Batch> batches = traffic.batches();
  std::vector<std::vector<gavel::v1::EventResult>> resent;
  auto stub = gavel::v1::EventService::NewStub(channel);
  for (const Batch& b : batches) {
    gavel::v1::ReportEventsResponse reply;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    grpc::Status st = stub->ReportEvents(&ctx, ToRequest(b), &reply);
    ASSERT_TRUE(st.ok()) << st.error_message();
    resent.emplace_back(reply.results().begin(), reply.results().end());
  }
  // survived[i]: some event of batch i was in the ledger before the re-send (DUPLICATE now).
  std::vector<bool> survived(batches.size()), lost(batches.size());
  int acked = 0, acked_with_click = 0, lost_acked_impression_batches = 0, durable_unacked = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    const Batch& b = batches[i];
    for (size_t j = 0; j < b.events.size(); ++j) {
      const SentEvent& e = b.events[j];
      const gavel::v1::EventResult& r = resent[i][j];
      if (r.outcome() == gavel::v1::EVENT_OUTCOME_DUPLICATE) {
        survived[i] = true;
      } else {
        lost[i] = true;
        // Lost in a crash (or never received): it counts now, once.
        const auto want = e.type == gavel::v1::EVENT_TYPE_CLICK ? gavel::v1::EVENT_OUTCOME_CHARGED
                                                                : gavel::v1::EVENT_OUTCOME_RECORDED;
        EXPECT_EQ(r.outcome(), want) << e.event_id << ": " << r.detail();
      }
    }
    if (b.acked_at == 0) {
      durable_unacked += survived[i] ? 1 : 0;
      continue;
    }
    ++acked;
    if (b.has_click) {
      ++acked_with_click;
      EXPECT_FALSE(lost[i]) << "an acknowledged batch with a click was not durable: "
                            << b.events[0].event_id;
    } else if (lost[i]) {
      ++lost_acked_impression_batches;
    }
  }
  // An acknowledged batch of impressions only may be lost only at the tail of the ledger: nothing
  // sent to the same server after its acknowledgement survived.
  for (size_t i = 0; i < batches.size(); ++i) {
    if (batches[i].acked_at == 0 || batches[i].has_click || !lost[i]) continue;
    for (size_t k = 0; k < batches.size(); ++k) {
      if (batches[k].life != batches[i].life || batches[k].sent_at < batches[i].acked_at) continue;
      EXPECT_FALSE(survived[k]) << "impressions acknowledged in " << batches[i].events[0].event_id
                                << " were lost, but " << batches[k].events[0].event_id
                                << ", sent after that acknowledgement, survived";
    }
  }
  std::printf(
      "%d kills; batches %zu, acknowledged %d (%d with a click); unacknowledged but durable %d; "
      "acknowledged impression-only batches lost %d; calls failed with the server up %d\n",
      kKills, batches.size(), acked, acked_with_click, durable_unacked,
      lost_acked_impression_batches, traffic.failed_while_up());
  ASSERT_GT(acked_with_click, 0);

  // Now every click is charged exactly once and every impression counted exactly once.
  std::map<std::string, Bounds> bounds = BoundsOf(batches);
  std::map<std::string, Counts> final_counts;
  for (const auto& [campaign, b] : bounds) {
    const Counts now = StatsOf(channel, campaign);
    final_counts[campaign] = now;
    EXPECT_EQ(now.spend_micros, b.sent.spend_micros) << campaign;
    EXPECT_EQ(now.clicks, b.sent.clicks) << campaign;
    EXPECT_EQ(now.impressions, b.sent.impressions) << campaign;
    EXPECT_EQ(now.invalid_clicks, 0) << campaign;
  }
  // And a clean restart changes nothing.
  server->Kill(SIGTERM);
  auto last = ServerProcess::Start("server/gavel_server", args);
  ASSERT_TRUE(last.ok()) << last.status();
  channel = grpc::CreateChannel((*last)->address(), grpc::InsecureChannelCredentials());
  for (const auto& [campaign, c] : final_counts) {
    const Counts now = StatsOf(channel, campaign);
    EXPECT_EQ(now.spend_micros, c.spend_micros) << campaign;
    EXPECT_EQ(now.impressions, c.impressions) << campaign;
  }
}

}  // namespace
}  // namespace gavel
