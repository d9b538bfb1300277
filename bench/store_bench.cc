// Durable charged clicks per second through the event stores: the embedded ledger (the baseline,
// in the same run) and PostgreSQL shared by 1 or 3 replicas (Billing instances in this process,
// each with its own connection pool and spend listener, as separate gavel_server processes would
// have). Tokens are signed before the timed loop; a timed iteration is one request of 100 clicks by
// 100 different shoppers, verified, decided and committed.
//
//   bench/run_store_bench.sh      starts a throwaway PostgreSQL and runs this with GAVEL_BENCH_PG
//
// The PostgreSQL rows need GAVEL_BENCH_PG (a libpq connection string); without it they are skipped
// with a message saying so. The database's tables are emptied before each row.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "billing/billing.h"
#include "billing/postgres_store.h"
#include "pg/connection.h"

namespace gavel::billing {
namespace {

constexpr int kClicksPerRequest = 100;
constexpr int kCampaigns = 50;

WinnerInfo Winner(int i) {
  return {.auction_id = absl::StrCat("auction-", i),
          .slot = 1,
          .ad_id = absl::StrCat("ad-", i),
          .ad_group_id = "ag-1",
          .campaign_id = absl::StrCat("camp-", i % kCampaigns),
          .advertiser_id = "adv-1",
          .product_id = "sku-1234567",
          .price_micros = 350'000,
          .placement = 1,
          .user_id = absl::StrCat("user-", i)};
}

struct Rig {
  SimulatedClock clock{absl::FromUnixSeconds(1'780'000'000)};
  std::vector<std::unique_ptr<Billing>> replicas;
};
std::atomic<bool> ready{false};
Rig* rig = nullptr;

// Billing over the store for `replicas` (0: the embedded ledger); empty store first.
absl::Status OpenRig(int replicas) {
  rig = new Rig;
  BillingConfig config;
  config.keyring = Keyring::InsecureDevDefault();
  if (replicas == 0) {
    config.ledger = {.dir = bench::BenchDir("store_embedded"), .snapshot_every_records = 0};
    auto b = Billing::Open(config, &rig->clock);
    if (!b.ok()) return b.status();
    rig->replicas.push_back(*std::move(b));
  } else {
    const char* conninfo = std::getenv("GAVEL_BENCH_PG");
    if (conninfo == nullptr) {
      return absl::FailedPreconditionError(
          "set GAVEL_BENCH_PG to a PostgreSQL connection string (bench/run_store_bench.sh does)");
    }
    auto conn = pg::Connection::Open(conninfo);
    if (!conn.ok()) return conn.status();
    // Created by the first Open below if missing; emptied here if there from an earlier row.
    (void)(*conn)->Exec(
        "TRUNCATE event_ids, used_tokens, shopper_clicks, repeat_clicks, budget_locks, "
        "campaign_spend, campaign_stats, events");
    config.event_store =
        [c = std::string(conninfo)](
            const EventContext& context) -> absl::StatusOr<std::unique_ptr<EventStore>> {
      auto s = PostgresEventStore::Open({.conninfo = c}, context);
      if (!s.ok()) return s.status();
      return std::unique_ptr<EventStore>(*std::move(s));
    };
    for (int r = 0; r < replicas; ++r) {
      auto b = Billing::Open(config, &rig->clock);
      if (!b.ok()) return b.status();
      rig->replicas.push_back(*std::move(b));
    }
  }
  for (auto& b : rig->replicas) {
    for (int c = 0; c < kCampaigns; ++c) {
      (void)b->UpsertCampaign({.campaign_id = absl::StrCat("camp-", c),
                               .daily_budget_micros = int64_t{1} << 50,
                               .pacing = false});
    }
  }
  return absl::OkStatus();
}

void BM_ChargedClicks(benchmark::State& state) {
  const int replicas = static_cast<int>(state.range(0));
  if (state.thread_index() == 0) {
    absl::Status st = OpenRig(replicas);
    if (!st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      delete rig;
      rig = nullptr;
    }
    ready = true;
  }
  while (!ready.load()) std::this_thread::yield();
  if (rig == nullptr) {
    if (state.thread_index() != 0) state.SkipWithError("setup failed");
    for (auto _ : state) {
    }
    return;
  }
  Billing& billing = *rig->replicas[state.thread_index() % rig->replicas.size()];
  const int pool = 120'000 / state.threads() + 5'000;
  const int base = state.thread_index() * 1'000'000 + 1;
  std::vector<std::string> tokens;
  tokens.reserve(pool);
  for (int i = 0; i < pool; ++i)
    tokens.push_back(billing.issuer().Issue(Winner(base + i))->click_token);
  std::vector<Event> batch(kClicksPerRequest);
  int64_t charged = 0, next = 0;
  for (auto _ : state) {
    for (int i = 0; i < kClicksPerRequest; ++i, ++next) {
      batch[i] = {absl::StrCat("ev-", base, "-", next), TokenType::kClick, tokens[next % pool], ""};
    }
    auto results = billing.Ingest(batch);
    if (!results.ok()) {
      state.SkipWithError(std::string(results.status().message()).c_str());
      break;
    }
    for (const EventResult& r : *results) charged += r.outcome == Outcome::kCharged ? 1 : 0;
  }
  state.SetItemsProcessed(charged);
  if (state.thread_index() == 0) {
    ready = false;
    delete rig;
    rig = nullptr;
  }
}
// Arg: 0 = embedded ledger, 1 or 3 = PostgreSQL replicas. 16 client threads: requests overlap as
// they do from many ad-serving clients.
BENCHMARK(BM_ChargedClicks)->Arg(0)->Arg(1)->Arg(3)->Threads(16)->UseRealTime()->MinTime(3.0);

}  // namespace
}  // namespace gavel::billing

BENCHMARK_MAIN();
