// Faults under load with three gavel_server replicas on one PostgreSQL (docs/billing.md,
// "PostgreSQL store"). Client threads spread auctions and event batches (impressions for every
// winner, clicks for some) over the replicas, and retry an unacknowledged batch, same event ids,
// on another replica, while
//   - one replica is SIGKILLed and restarted 20 times: every acknowledged outcome is a row of the
//     `events` table, no token is charged twice, re-sending every click charges none again, and
//     every campaign's spend (`campaign_spend`, `campaign_stats`, GetCampaignStats) is the sum of
//     its charged rows;
//   - PostgreSQL itself crashes (pg_ctl stop -m immediate) and restarts: every acknowledged
//     outcome survives, event batches fail only during the outage and only with UNAVAILABLE
//     ("What is durable when"), auctions keep serving, and every replica acknowledges events again
//     within a bound after the database is back, by itself.
// Every campaign's budget is 1,000 times the demo's and every auction has a new shopper, so the
// first decision on any click is CHARGED: what the database holds can be checked exactly.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/distributions.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/sync.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pg/connection.h"
#include "store/catalog_file.h"
#include "tests/integration/replica_cluster.h"
#include "tests/integration/server_process.h"
#include "tests/pg/pg_server.h"

namespace gavel {
namespace {

using ::gavel::testing::PgServer;
using ::gavel::testing::ReplicaCluster;
using ::gavel::testing::ReplicaContext;
using ::gavel::testing::Runfile;

constexpr int kClients = 4;
constexpr double kClickShare = 0.3;  // per winner, the chance its click is reported too
constexpr int kOutcomeCharged = gavel::v1::EVENT_OUTCOME_CHARGED;    // events.outcome
constexpr int kOutcomeRecorded = gavel::v1::EVENT_OUTCOME_RECORDED;  // events.outcome

struct SentEvent {
  std::string event_id;
  gavel::v1::EventType type = gavel::v1::EVENT_TYPE_IMPRESSION;
  std::string token;
  std::string user_id;
  std::string campaign_id;
  int64_t cpc_micros = 0;  // the winner's price: what its click is charged
};
using Batch = std::shared_ptr<const std::vector<SentEvent>>;

// One ReportEvents call (a batch is sent again, as a retry, after an unacknowledged call).
struct Call {
  int replica = 0;
  absl::Time sent, answered;
  grpc::StatusCode code = grpc::StatusCode::OK;  // OK: acknowledged
  std::string error;
  Batch batch;
  std::vector<gavel::v1::EventResult> results;  // one per event when acknowledged
};

struct FailedAuction {
  int replica = 0;
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string error;
};

// The demo catalog with every daily budget 1,000 times larger, so no campaign runs out.
std::string RichCatalog() {
  absl::StatusOr<gavel::v1::Catalog> catalog =
      store::ReadCatalogFile(Runfile("data/demo_catalog.json"));
  EXPECT_TRUE(catalog.ok()) << catalog.status();
  for (auto& c : *catalog->mutable_campaigns()) {
    c.set_daily_budget_micros(c.daily_budget_micros() * 1000);
  }
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/rich_catalog.json");
  absl::Status st = store::WriteCatalogFile(*catalog, path);
  EXPECT_TRUE(st.ok()) << st;
  return path;
}

gavel::v1::ReportEventsRequest ToRequest(const std::vector<SentEvent>& events) {
  gavel::v1::ReportEventsRequest req;
  for (const SentEvent& e : events) {
    auto* p = req.add_events();
    p->set_client_event_id(e.event_id);
    p->set_type(e.type);
    p->set_token(e.token);
    p->set_user_id(e.user_id);
  }
  return req;
}

// Client threads that spread auctions and event batches over a cluster's replicas, recording
// every ReportEvents call.
class MixedTraffic {
 public:
  explicit MixedTraffic(const ReplicaCluster* cluster)
      : cluster_(cluster),
        acked_(cluster->size(), 0),
        last_acked_sent_(cluster->size(), absl::InfinitePast()),
        last_ack_at_(cluster->size()) {}
  ~MixedTraffic() { Stop(); }

  void Start(int clients) {
    for (int id = 0; id < clients; ++id) clients_.emplace_back([this, id] { Client(id); });
  }
  void Stop() {
    stop_.store(true);
    for (std::thread& c : clients_) c.join();
    clients_.clear();
  }
  // Batches replica `r` has acknowledged so far.
  int acked(int r) {
    MutexLock lock(&mu_);
    return acked_[r];
  }
  // Waits until replica `r` has acknowledged `n` batches in all; false after `timeout`.
  bool WaitForAcked(int r, int n, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (acked_[r] < n && absl::Now() < deadline) cv_.WaitWithTimeout(&mu_, absl::Seconds(1));
    return acked_[r] >= n;
  }
  // Waits until replica `r` has acknowledged a batch sent at or after `t`; returns when that
  // acknowledgement arrived, or nullopt after `timeout`.
  std::optional<absl::Time> WaitForAckOfCallSentAfter(int r, absl::Time t, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (last_acked_sent_[r] < t && absl::Now() < deadline) {
      cv_.WaitWithTimeout(&mu_, absl::Milliseconds(100));
    }
    if (last_acked_sent_[r] < t) return std::nullopt;
    return last_ack_at_[r];
  }
  std::vector<Call> calls() {
    MutexLock lock(&mu_);
    return calls_;
  }
  std::vector<FailedAuction> failed_auctions() {
    MutexLock lock(&mu_);
    return failed_auctions_;
  }
  int auctions() {
    MutexLock lock(&mu_);
    return auctions_;
  }

 private:
  void Client(int id);
  // Sends `batch` to replica `r`; true if acknowledged.
  bool Report(int r, const Batch& batch);

  const ReplicaCluster* const cluster_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> clients_;
  Mutex mu_;
  CondVar cv_;
  std::vector<int> acked_ ABSL_GUARDED_BY(mu_);
  // When the latest-sent batch replica r acknowledged was sent.
  std::vector<absl::Time> last_acked_sent_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Time> last_ack_at_ ABSL_GUARDED_BY(mu_);  // of that batch
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<FailedAuction> failed_auctions_ ABSL_GUARDED_BY(mu_);
  int auctions_ ABSL_GUARDED_BY(mu_) = 0;
};

bool MixedTraffic::Report(int r, const Batch& batch) {
  std::shared_ptr<grpc::Channel> channel = cluster_->channel(r);
  if (channel == nullptr) return false;  // down: not even sent
  Call call{.replica = r, .batch = batch};
  gavel::v1::ReportEventsResponse reply;
  auto ctx = ReplicaContext();
  call.sent = absl::Now();
  grpc::Status st =
      gavel::v1::EventService::NewStub(channel)->ReportEvents(ctx.get(), ToRequest(*batch), &reply);
  call.answered = absl::Now();
  call.code = st.error_code();
  call.error = st.error_message();
  if (st.ok()) call.results.assign(reply.results().begin(), reply.results().end());
  MutexLock lock(&mu_);
  if (st.ok()) {
    ++acked_[r];
    if (call.sent > last_acked_sent_[r]) {
      last_acked_sent_[r] = call.sent;
      last_ack_at_[r] = call.answered;
    }
    cv_.SignalAll();
  }
  calls_.push_back(std::move(call));
  return st.ok();
}

void MixedTraffic::Client(int id) {
  const char* queries[] = {"wireless headphones", "running shoes",    "smartphone", "coffee maker",
                           "usb c cable",         "espresso machine", "earbuds"};
  std::mt19937_64 gen(1000 + id);
  const int replicas = cluster_->size();
  for (int n = 0; !stop_.load(); ++n) {
    const int r = (id + n) % replicas;
    std::shared_ptr<grpc::Channel> channel = cluster_->channel(r);
    if (channel == nullptr) continue;  // down: the next turn asks another replica
    // A new shopper every auction, so neither the repeat-click nor the rate rule applies.
    const std::string user = absl::StrCat("shopper-", id, "-", n);
    gavel::v1::RunAuctionRequest req;
    req.set_placement(gavel::v1::PLACEMENT_TOP_OF_SEARCH);
    req.set_slots(3);
    req.set_query(queries[n % 7]);
    req.mutable_shopper()->set_user_id(user);
    req.mutable_shopper()->set_local_hour(12);
    gavel::v1::RunAuctionResponse auction;
    auto ctx = ReplicaContext();
    grpc::Status st =
        gavel::v1::AuctionService::NewStub(channel)->RunAuction(ctx.get(), req, &auction);
    {
      MutexLock lock(&mu_);
      if (st.ok()) {
        ++auctions_;
      } else {
        failed_auctions_.push_back({r, st.error_code(), st.error_message()});
      }
    }
    if (!st.ok()) continue;
    auto events = std::make_shared<std::vector<SentEvent>>();
    for (const auto& w : auction.winners()) {
      const std::string prefix = absl::StrCat("c", id, "-", n, "-", w.slot());
      events->push_back({.event_id = prefix + "-imp",
                         .type = gavel::v1::EVENT_TYPE_IMPRESSION,
                         .token = w.impression_token(),
                         .user_id = user,
                         .campaign_id = w.campaign_id(),
                         .cpc_micros = w.cpc_micros()});
      if (absl::Bernoulli(gen, kClickShare)) {
        events->push_back({.event_id = prefix + "-click",
                           .type = gavel::v1::EVENT_TYPE_CLICK,
                           .token = w.click_token(),
                           .user_id = user,
                           .campaign_id = w.campaign_id(),
                           .cpc_micros = w.cpc_micros()});
      }
    }
    if (events->empty()) continue;
    // Events go to another replica than the auction's (any replica verifies any token); an
    // unacknowledged batch goes, same ids, to the next one, as a client retries elsewhere.
    bool acked = false;
    for (int k = 1; k < replicas && !acked; ++k) acked = Report((r + k) % replicas, events);
    // Every replica refused it (the database is down): back off a little, as a client would.
    if (!acked) absl::SleepFor(absl::Milliseconds(20));
  }
}

// One row of the `events` table.
struct Row {
  std::string campaign_id;
  int type = 0;
  int outcome = 0;
  int64_t price_micros = 0;
  int64_t charged_micros = 0;
};

struct Ledger {
  std::map<std::string, Row> by_event_id;
  std::vector<std::string> repeated_event_ids;  // ids with more than one row
};

Ledger ReadLedger(pg::Connection& db) {
  Ledger ledger;
  auto r = db.Exec(
      "SELECT client_event_id, campaign_id, event_type, outcome, price_micros, charged_micros "
      "FROM events");
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return ledger;
  for (int i = 0; i < r->rows(); ++i) {
    Row row{.campaign_id = std::string(r->GetString(i, 1)),
            .type = static_cast<int>(*r->GetInt64(i, 2)),
            .outcome = static_cast<int>(*r->GetInt64(i, 3)),
            .price_micros = *r->GetInt64(i, 4),
            .charged_micros = *r->GetInt64(i, 5)};
    if (!ledger.by_event_id.emplace(std::string(r->GetString(i, 0)), row).second) {
      ledger.repeated_event_ids.emplace_back(r->GetString(i, 0));
    }
  }
  return ledger;
}

// What the calls show, for the report line.
struct CallCounts {
  int acked = 0;
  int unacked = 0;
  int acked_charges = 0;
  // Batches a call committed without an answer: a retry found their ids taken, or, never
  // acknowledged, their events are in the database all the same.
  int committed_unanswered = 0;
};

// Every acknowledged outcome is what the database holds: a CHARGED click is a charged row at its
// price, a RECORDED impression a recorded row, a DUPLICATE of a retried event id a row that an
// earlier attempt committed.
CallCounts ExpectAcknowledgedOutcomesAreInTheDatabase(const std::vector<Call>& calls,
                                                      const Ledger& ledger) {
  CallCounts counts;
  struct Attempts {
    bool unacked = false, acked = false, retry_found_it_committed = false;
  };
  std::map<const std::vector<SentEvent>*, Attempts> batches;
  for (const Call& call : calls) {
    const std::vector<SentEvent>& events = *call.batch;
    Attempts& attempts = batches[&events];
    if (call.code != grpc::StatusCode::OK) {
      ++counts.unacked;
      attempts.unacked = true;
      continue;
    }
    ++counts.acked;
    attempts.acked = true;
    if (call.results.size() != events.size()) {
      ADD_FAILURE() << "results for " << call.results.size() << " of " << events.size()
                    << " events";
      continue;
    }
    for (size_t i = 0; i < events.size(); ++i) {
      const SentEvent& e = events[i];
      const gavel::v1::EventResult& got = call.results[i];
      auto row = ledger.by_event_id.find(e.event_id);
      SCOPED_TRACE(absl::StrCat(e.event_id, " acknowledged as ", got.ShortDebugString(),
                                " by replica ", call.replica));
      if (row == ledger.by_event_id.end()) {
        ADD_FAILURE() << "an acknowledged event is not in `events`";
        continue;
      }
      const bool click = e.type == gavel::v1::EVENT_TYPE_CLICK;
      EXPECT_EQ(row->second.campaign_id, e.campaign_id);
      EXPECT_EQ(row->second.outcome, click ? kOutcomeCharged : kOutcomeRecorded);
      switch (got.outcome()) {
        case gavel::v1::EVENT_OUTCOME_CHARGED:
          EXPECT_TRUE(click);
          EXPECT_EQ(got.charged_micros(), e.cpc_micros);
          EXPECT_EQ(row->second.charged_micros, e.cpc_micros);
          ++counts.acked_charges;
          break;
        case gavel::v1::EVENT_OUTCOME_RECORDED:
          EXPECT_FALSE(click);
          break;
        case gavel::v1::EVENT_OUTCOME_DUPLICATE:
          // Only a retry of a batch whose earlier call committed without an answer.
          EXPECT_EQ(got.detail(), "client_event_id already processed");
          attempts.retry_found_it_committed = true;
          break;
        default:
          ADD_FAILURE() << "unexpected outcome";
      }
    }
  }
  for (const auto& [events, attempts] : batches) {
    if (!attempts.unacked) continue;
    counts.committed_unanswered += attempts.acked ? attempts.retry_found_it_committed
                                                  : ledger.by_event_id.count((*events)[0].event_id);
  }
  return counts;
}

// Every click sent, once per event id (a retried batch repeats its ids).
std::vector<SentEvent> UniqueClicks(const std::vector<Call>& calls) {
  std::vector<SentEvent> clicks;
  std::set<std::string> seen;
  for (const Call& call : calls) {
    for (const SentEvent& e : *call.batch) {
      if (e.type == gavel::v1::EVENT_TYPE_CLICK && seen.insert(e.event_id).second) {
        clicks.push_back(e);
      }
    }
  }
  return clicks;
}

// Sends `events` in requests of up to 200, spread over the replicas; the results in order.
std::vector<gavel::v1::EventResult> SendAll(const ReplicaCluster& cluster,
                                            const std::vector<SentEvent>& events) {
  std::vector<gavel::v1::EventResult> results;
  for (size_t at = 0, n = 0; at < events.size(); at += 200, ++n) {
    std::vector<SentEvent> part(events.begin() + at,
                                events.begin() + std::min(events.size(), at + 200));
    gavel::v1::ReportEventsResponse reply;
    auto ctx = ReplicaContext(30);
    grpc::Status st = gavel::v1::EventService::NewStub(cluster.channel(n % cluster.size()))
                          ->ReportEvents(ctx.get(), ToRequest(part), &reply);
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (!st.ok()) return {};
    results.insert(results.end(), reply.results().begin(), reply.results().end());
  }
  return results;
}

// Re-sends every click: with its own event id (DUPLICATE if the database has it; otherwise it
// was never decided and is charged now, the first time), then with a new event id (DUPLICATE,
// "token already used", for every one). Afterwards every click sent is charged exactly once.
void ExpectResentClicksAreNeverChargedAgain(const ReplicaCluster& cluster,
                                            const std::vector<Call>& calls, pg::Connection& db) {
  const std::vector<SentEvent> clicks = UniqueClicks(calls);
  const Ledger before = ReadLedger(db);
  const std::vector<gavel::v1::EventResult> same_ids = SendAll(cluster, clicks);
  ASSERT_EQ(same_ids.size(), clicks.size());
  int newly_charged = 0;
  for (size_t i = 0; i < clicks.size(); ++i) {
    const gavel::v1::EventResult& got = same_ids[i];
    if (before.by_event_id.count(clicks[i].event_id) > 0) {
      EXPECT_EQ(got.outcome(), gavel::v1::EVENT_OUTCOME_DUPLICATE) << clicks[i].event_id;
    } else {
      ++newly_charged;
      EXPECT_EQ(got.outcome(), gavel::v1::EVENT_OUTCOME_CHARGED)
          << clicks[i].event_id << ": " << got.detail();
    }
  }
  std::vector<SentEvent> renamed = clicks;
  for (SentEvent& e : renamed) e.event_id += "-again";
  const std::vector<gavel::v1::EventResult> new_ids = SendAll(cluster, renamed);
  ASSERT_EQ(new_ids.size(), renamed.size());
  for (size_t i = 0; i < renamed.size(); ++i) {
    EXPECT_EQ(new_ids[i].outcome(), gavel::v1::EVENT_OUTCOME_DUPLICATE) << renamed[i].event_id;
    EXPECT_EQ(new_ids[i].detail(), "token already used") << renamed[i].event_id;
  }
  const Ledger after = ReadLedger(db);
  EXPECT_TRUE(after.repeated_event_ids.empty()) << after.repeated_event_ids[0];
  int charged_rows = 0;
  for (const auto& [id, row] : after.by_event_id) charged_rows += row.outcome == kOutcomeCharged;
  EXPECT_EQ(charged_rows, static_cast<int>(clicks.size())) << "charged rows but clicks sent";
  for (const SentEvent& e : clicks) {
    auto row = after.by_event_id.find(e.event_id);
    ASSERT_NE(row, after.by_event_id.end()) << e.event_id;
    EXPECT_EQ(row->second.outcome, kOutcomeCharged) << e.event_id;
    EXPECT_EQ(row->second.charged_micros, e.cpc_micros) << e.event_id;
  }
  std::printf("re-sent %zu clicks: %d had never been decided and were charged now, none twice\n",
              clicks.size(), newly_charged);
}

// Per campaign, from SQL: `query` returns (campaign_id, bigint, ...).
std::map<std::string, std::vector<int64_t>> PerCampaign(pg::Connection& db, const char* query) {
  std::map<std::string, std::vector<int64_t>> out;
  auto r = db.Exec(query);
  EXPECT_TRUE(r.ok()) << query << ": " << r.status();
  if (!r.ok()) return out;
  for (int i = 0; i < r->rows(); ++i) {
    std::vector<int64_t>& values = out[std::string(r->GetString(i, 0))];
    for (int c = 1; c < r->columns(); ++c) values.push_back(*r->GetInt64(i, c));
  }
  return out;
}

// No token is charged twice, and each campaign's spend, in every place it is kept, is the sum of
// its charged rows.
void ExpectSpendIsTheSumOfChargedRows(const ReplicaCluster& cluster, pg::Connection& db) {
  auto twice = db.Exec(
      "SELECT token_id FROM events WHERE outcome = 1 GROUP BY token_id HAVING count(*) > 1");
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(twice->rows(), 0) << "tokens charged twice";
  const auto charged = PerCampaign(
      db,
      "SELECT campaign_id, sum(charged_micros)::bigint, count(*) FROM events WHERE outcome = 1 "
      "GROUP BY campaign_id");
  const auto spend = PerCampaign(
      db, "SELECT campaign_id, sum(spend_micros)::bigint FROM campaign_spend GROUP BY campaign_id");
  const auto stats = PerCampaign(
      db,
      "SELECT campaign_id, sum(spend_micros)::bigint, sum(clicks)::bigint FROM campaign_stats "
      "WHERE clicks > 0 OR spend_micros > 0 GROUP BY campaign_id");
  ASSERT_FALSE(charged.empty());
  EXPECT_EQ(spend.size(), charged.size());
  EXPECT_EQ(stats.size(), charged.size());
  for (const auto& [campaign, c] : charged) {
    SCOPED_TRACE(campaign);
    const int64_t sum = c[0], clicks = c[1];
    auto s = spend.find(campaign);
    ASSERT_NE(s, spend.end());
    EXPECT_EQ(s->second[0], sum) << "campaign_spend";
    auto t = stats.find(campaign);
    ASSERT_NE(t, stats.end());
    EXPECT_EQ(t->second[0], sum) << "campaign_stats spend";
    EXPECT_EQ(t->second[1], clicks) << "campaign_stats clicks";
    for (int r = 0; r < cluster.size(); ++r) {
      gavel::v1::GetCampaignStatsRequest req;
      req.set_campaign_id(campaign);
      gavel::v1::GetCampaignStatsResponse resp;
      auto ctx = ReplicaContext();
      grpc::Status st = gavel::v1::CampaignService::NewStub(cluster.channel(r))
                            ->GetCampaignStats(ctx.get(), req, &resp);
      ASSERT_TRUE(st.ok()) << st.error_message();
      EXPECT_EQ(resp.total().spend_micros(), sum) << "GetCampaignStats on replica " << r;
      EXPECT_EQ(resp.total().clicks(), clicks) << "GetCampaignStats on replica " << r;
    }
  }
}

std::unique_ptr<pg::Connection> Connect(const PgServer& pg) {
  auto db = pg::Connection::Open(pg.conninfo());
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

TEST(ReplicaFaults, OneReplicaKilled20TimesUnderMixedLoadChargesEveryAcknowledgedClickOnce) {
  constexpr int kKills = 20;
  constexpr int kVictim = 0;
  auto pg = PgServer::Create();
  ASSERT_TRUE(pg.ok()) << pg.status();
  auto cluster = ReplicaCluster::Start((*pg)->conninfo(), {.catalog = RichCatalog()});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  MixedTraffic traffic(cluster->get());
  traffic.Start(kClients);
  std::mt19937_64 gen(12);
  absl::Duration restarting;
  for (int k = 0; k < kKills; ++k) {
    // Load for a few hundred ms, in which the victim acknowledges a few batches, then kill -9 it
    // (whatever it has in flight) and start it again.
    ASSERT_TRUE(traffic.WaitForAcked(kVictim, traffic.acked(kVictim) + 3, absl::Seconds(30)))
        << "the victim stopped acknowledging after " << k << " kills:\n"
        << (*cluster)->Output(kVictim);
    absl::SleepFor(absl::Milliseconds(absl::Uniform(gen, 50, 300)));
    (*cluster)->Kill(kVictim);
    const absl::Time down = absl::Now();
    absl::Status restarted = (*cluster)->Restart(kVictim);
    ASSERT_TRUE(restarted.ok()) << restarted;
    restarting += absl::Now() - down;
  }
  ASSERT_TRUE(traffic.WaitForAcked(kVictim, traffic.acked(kVictim) + 3, absl::Seconds(30)));
  traffic.Stop();

  const std::vector<Call> calls = traffic.calls();
  std::unique_ptr<pg::Connection> db = Connect(**pg);
  ASSERT_NE(db, nullptr);
  const Ledger ledger = ReadLedger(*db);
  EXPECT_TRUE(ledger.repeated_event_ids.empty()) << ledger.repeated_event_ids[0];
  const CallCounts counts = ExpectAcknowledgedOutcomesAreInTheDatabase(calls, ledger);
  int victim_unacked = 0, others_unacked = 0;
  for (const Call& c : calls) {
    if (c.code == grpc::StatusCode::OK) continue;
    (c.replica == kVictim ? victim_unacked : others_unacked) += 1;
  }
  std::printf(
      "%d kills (restarts took %s on average); %d auctions, %zu event calls: %d acknowledged "
      "(%d charged clicks), %d not (%d of them on the victim); %d batches committed without an "
      "answer; failed auctions %zu\n",
      kKills, absl::FormatDuration(restarting / kKills).c_str(), traffic.auctions(), calls.size(),
      counts.acked, counts.acked_charges, counts.unacked, victim_unacked,
      counts.committed_unanswered, traffic.failed_auctions().size());
  EXPECT_GT(counts.acked_charges, 0);
  // Only the victim's calls fail: the others stayed up on a healthy database.
  EXPECT_EQ(others_unacked, 0);
  for (const FailedAuction& f : traffic.failed_auctions()) {
    EXPECT_EQ(f.replica, kVictim) << f.error;
  }

  ExpectResentClicksAreNeverChargedAgain(**cluster, calls, *db);
  ExpectSpendIsTheSumOfChargedRows(**cluster, *db);
}

TEST(ReplicaFaults, PostgresCrashUnderLoadLosesNoAcknowledgedChargeAndRecoversByItself) {
  constexpr int kCrashes = 2;
  constexpr absl::Duration kOutage = absl::Milliseconds(1500);
  // After PostgreSQL accepts connections again, every replica acknowledges events within this.
  constexpr absl::Duration kRecoveryBound = absl::Seconds(5);
  // Crash recovery first makes the whole data directory durable: one syncfs() of its file system
  // rather than an fsync() per file, which takes seconds on a loaded machine (the same guarantee).
  auto pg = PgServer::Create({.settings = {{"recovery_init_sync_method", "syncfs"}}});
  ASSERT_TRUE(pg.ok()) << pg.status();
  auto cluster = ReplicaCluster::Start((*pg)->conninfo(), {.catalog = RichCatalog()});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  MixedTraffic traffic(cluster->get());
  traffic.Start(kClients);
  struct Outage {
    absl::Time crashed, restarted, recovered;
  };
  std::vector<Outage> outages;
  absl::Duration slowest_start, slowest_recovery;  // of PostgreSQL; of the replicas after it
  for (int k = 0; k < kCrashes; ++k) {
    for (int r = 0; r < (*cluster)->size(); ++r) {
      ASSERT_TRUE(traffic.WaitForAcked(r, traffic.acked(r) + 5, absl::Seconds(30)))
          << "replica " << r << " is not acknowledging before crash " << k;
    }
    Outage o;
    o.crashed = absl::Now();
    ASSERT_TRUE((*pg)->Crash().ok());
    absl::SleepFor(kOutage);  // load against a dead database
    const absl::Time starting = absl::Now();
    absl::Status started = (*pg)->Start();
    ASSERT_TRUE(started.ok()) << started << (*pg)->LogTail();
    o.restarted = o.recovered = absl::Now();
    slowest_start = std::max(slowest_start, o.restarted - starting);
    for (int r = 0; r < (*cluster)->size(); ++r) {
      std::optional<absl::Time> acked =
          traffic.WaitForAckOfCallSentAfter(r, o.restarted, absl::Seconds(30));
      ASSERT_TRUE(acked.has_value()) << "replica " << r << " did not recover:\n"
                                     << (*cluster)->Output(r);
      o.recovered = std::max(o.recovered, *acked);
    }
    slowest_recovery = std::max(slowest_recovery, o.recovered - o.restarted);
    EXPECT_LE(o.recovered - o.restarted, kRecoveryBound) << "crash " << k;
    outages.push_back(o);
  }
  for (int r = 0; r < (*cluster)->size(); ++r) {
    ASSERT_TRUE(traffic.WaitForAcked(r, traffic.acked(r) + 5, absl::Seconds(30)));
  }
  traffic.Stop();

  const std::vector<Call> calls = traffic.calls();
  // A call fails only while the database is away, and then with UNAVAILABLE: nothing in the batch
  // was acknowledged, so retrying it is safe (docs/billing.md, "What is durable when").
  int failed_in_outage = 0;
  for (const Call& c : calls) {
    if (c.code == grpc::StatusCode::OK) continue;
    bool overlaps = false;
    for (const Outage& o : outages) overlaps |= c.answered >= o.crashed && c.sent <= o.recovered;
    EXPECT_TRUE(overlaps) << "a call failed with the database up: " << c.error;
    EXPECT_EQ(c.code, grpc::StatusCode::UNAVAILABLE) << c.error;
    // The server's answer (not a transport failure), saying the retry is safe.
    EXPECT_TRUE(absl::StartsWith(c.error,
                                 "the event store (PostgreSQL) could not record the batch; "
                                 "nothing in it was acknowledged, so retrying it is safe"))
        << c.error;
    failed_in_outage += overlaps ? 1 : 0;
  }
  EXPECT_GT(failed_in_outage, 0) << "no client saw the outage";
  // Auctions never wait on the database: they keep serving from the snapshot and spend view.
  for (const FailedAuction& f : traffic.failed_auctions()) ADD_FAILURE() << f.error;

  std::unique_ptr<pg::Connection> db = Connect(**pg);
  ASSERT_NE(db, nullptr);
  const Ledger ledger = ReadLedger(*db);
  EXPECT_TRUE(ledger.repeated_event_ids.empty()) << ledger.repeated_event_ids[0];
  const CallCounts counts = ExpectAcknowledgedOutcomesAreInTheDatabase(calls, ledger);
  std::printf(
      "%d crashes, each %s down and up to %s in crash recovery; every replica acknowledged "
      "events again at most %s after; %d auctions, %zu event calls: "
      "%d acknowledged (%d charged clicks), %d refused (UNAVAILABLE); %d batches committed "
      "without an answer\n",
      kCrashes, absl::FormatDuration(kOutage).c_str(), absl::FormatDuration(slowest_start).c_str(),
      absl::FormatDuration(slowest_recovery).c_str(), traffic.auctions(), calls.size(),
      counts.acked, counts.acked_charges, counts.unacked, counts.committed_unanswered);
  EXPECT_GT(counts.acked_charges, 0);

  ExpectResentClicksAreNeverChargedAgain(**cluster, calls, *db);
  ExpectSpendIsTheSumOfChargedRows(**cluster, *db);
}

}  // namespace
}  // namespace gavel
