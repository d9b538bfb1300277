// Sales benchmarks: durable purchase ingestion on the embedded store (real ledger file, real
// fdatasync), and a 30-day sales report for a campaign with 1M charged clicks of 200k shoppers
// and 200k purchase lines (and with 1,000 clicks, the smoke test's size), on the embedded store;
// and over PostgreSQL, purchase ingestion and the report with 100k and 1M clicks
// (bench/run_sales_bench.sh starts the database).
// Run: bazel run -c opt --config=opt //bench:sales_bench
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "billing/billing.h"
#include "billing/postgres_store.h"
#include "pg/connection.h"

namespace gavel::billing {
namespace {

using bench::BenchDir;

const absl::Time kT0 = absl::FromUnixSeconds(1'780'000'000);

std::unique_ptr<Billing> OpenBilling(const std::string& name, const Clock* clock) {
  BillingConfig config;
  config.ledger.dir = BenchDir(name);
  config.keyring = Keyring::InsecureDevDefault();
  config.ledger.snapshot_every_records = 0;
  std::unique_ptr<Billing> b = std::move(*Billing::Open(config, clock));
  (void)b->UpsertCampaign(
      {.campaign_id = "c1", .daily_budget_micros = int64_t{1} << 50, .pacing = false});
  return b;
}

// A request at the limit: 100 purchases of 10 lines (1,000 line items), every order new.
std::vector<Purchase> Request(int64_t first_order, absl::Time at) {
  std::vector<Purchase> out;
  for (int p = 0; p < kMaxPurchasesPerRequest; ++p) {
    Purchase& purchase = out.emplace_back();
    purchase.order_id = absl::StrCat("order-", first_order + p);
    purchase.user_id = absl::StrCat("user-", (first_order + p) % 200'000);
    purchase.time = at;
    for (int l = 1; l <= 10; ++l) {
      purchase.line_items.push_back({.line = l,
                                     .product_id = absl::StrCat("sku-", l),
                                     .quantity = 1,
                                     .price_micros = 19'990'000,
                                     .currency = "USD"});
    }
  }
  return out;
}

// Timed: one IngestPurchases per iteration, each a new request of Request's shape.
void IngestRequests(benchmark::State& state, Billing* billing) {
  int64_t order = 0, lines = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Purchase> request = Request(order, kT0);
    order += kMaxPurchasesPerRequest;
    state.ResumeTiming();
    auto outcomes = billing->IngestPurchases(request);
    if (!outcomes.ok()) {
      state.SkipWithError(std::string(outcomes.status().message()).c_str());
      break;
    }
    lines += static_cast<int64_t>(outcomes->size());
  }
  state.SetItemsProcessed(lines);
}

// Timed: validate + hash the shoppers + dedupe + durable append (one fsync per request).
void BM_DurablePurchaseIngest(benchmark::State& state) {
  SimulatedClock clock(kT0);
  std::unique_ptr<Billing> billing = OpenBilling("purchases", &clock);
  IngestRequests(state, billing.get());
}
BENCHMARK(BM_DurablePurchaseIngest)->UseRealTime();

// Fills `billing` with state.range(0) charged clicks of campaign c1 over 30 days (every one of a
// known shopper, so every one goes through attribution) from up to 200k shoppers, each of whom
// bought once (one line) within the window of one of their clicks.
void FillReportHistory(int clicks, Billing* billing, SimulatedClock* clock) {
  const int kUsers = std::min(200'000, clicks / 5), kBatch = 1'000;
  const absl::Duration step = absl::Hours(24 * 30) / clicks;
  for (int i = 0; i < clicks; i += kBatch) {
    clock->Set(kT0 + step * i);
    std::vector<Event> batch;
    for (int j = i; j < i + kBatch; ++j) {
      WinnerInfo w{.auction_id = absl::StrCat("a", j),
                   .ad_id = absl::StrCat("ad-", j % 997),
                   .ad_group_id = "g1",
                   .campaign_id = "c1",
                   .advertiser_id = "adv1",
                   .product_id = absl::StrCat("sku-", j % 10 + 1),
                   .price_micros = 500'000,
                   .user_id = absl::StrCat("user-", j % kUsers)};
      batch.push_back(
          {absl::StrCat("e", j), TokenType::kClick, billing->issuer().Issue(w)->click_token, ""});
    }
    (void)billing->Ingest(batch);
  }
  for (int i = 0; i + kMaxPurchasesPerRequest <= kUsers; i += kMaxPurchasesPerRequest) {
    std::vector<Purchase> request = Request(i, kT0 + step * (i * 5 + 1));
    for (Purchase& p : request) p.line_items.resize(1);
    clock->Set(kT0 + step * clicks);
    (void)billing->IngestPurchases(request);
  }
}

// Timed: one 30-day, 7-day-window report of c1 (Billing::Sales).
void RunReports(benchmark::State& state, const Billing& billing,
                Dimension dimension = Dimension::kCampaign) {
  const absl::CivilDay from = absl::CivilDay(1970, 1, 1) + DayIndex(kT0, absl::UTCTimeZone());
  int64_t orders = 0;
  for (auto _ : state) {
    auto report = billing.Sales(
        "c1", from, from + 29, 7, [](absl::string_view, absl::string_view) { return true; },
        dimension);
    if (!report.ok()) {
      state.SkipWithError(std::string(report.status().message()).c_str());
      break;
    }
    orders = report->total.sales.orders;
  }
  state.counters["orders"] = static_cast<double>(orders);
  state.counters["clicks"] =
      static_cast<double>(billing.Stats("c1", from, from + 30)->total.counters.clicks);
}

// The embedded store.
void BM_SalesReport30Days(benchmark::State& state) {
  SimulatedClock clock(kT0);
  std::unique_ptr<Billing> billing = OpenBilling("report", &clock);
  FillReportHistory(static_cast<int>(state.range(0)), billing.get(), &clock);
  RunReports(state, *billing);
}

// The same history broken down by ad group (one key, every click in it): the cost a
// dimension adds to the campaign report.
void BM_SalesReport30DaysByAdGroup(benchmark::State& state) {
  SimulatedClock clock(kT0);
  std::unique_ptr<Billing> billing = OpenBilling("report_dims", &clock);
  FillReportHistory(static_cast<int>(state.range(0)), billing.get(), &clock);
  RunReports(state, *billing, Dimension::kAdGroup);
}
BENCHMARK(BM_SalesReport30DaysByAdGroup)
    ->ArgName("clicks")
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

BENCHMARK(BM_SalesReport30Days)
    ->ArgName("clicks")
    ->Arg(1'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

// A Billing over PostgreSQL at GAVEL_BENCH_PG (a connection string; bench/run_sales_bench.sh
// starts a throwaway cluster), or null after SkipWithError.
std::unique_ptr<Billing> OpenPostgresBilling(benchmark::State& state, SimulatedClock* clock) {
  const char* conninfo = std::getenv("GAVEL_BENCH_PG");
  if (conninfo == nullptr) {
    state.SkipWithError("set GAVEL_BENCH_PG (bench/run_sales_bench.sh does)");
    return nullptr;
  }
  BillingConfig config;
  config.keyring = Keyring::InsecureDevDefault();
  config.event_store =
      [c = std::string(conninfo)](
          const EventContext& context) -> absl::StatusOr<std::unique_ptr<EventStore>> {
    auto s = PostgresEventStore::Open({.conninfo = c}, context);
    if (!s.ok()) return s.status();
    return std::unique_ptr<EventStore>(*std::move(s));
  };
  auto billing = Billing::Open(config, clock);
  if (!billing.ok()) {
    state.SkipWithError(std::string(billing.status().message()).c_str());
    return nullptr;
  }
  return *std::move(billing);
}

// BM_DurablePurchaseIngest over PostgreSQL, one replica: each request is one transaction that
// locks its 100 shoppers, reads their clicks of 30 days (none here: the cost of the lines
// themselves) and inserts 1,000 lines with their candidates.
void BM_PostgresPurchaseIngest(benchmark::State& state) {
  SimulatedClock clock(kT0);
  std::unique_ptr<Billing> billing = OpenPostgresBilling(state, &clock);
  if (billing == nullptr) {
    for (auto _ : state) {
    }
    return;
  }
  if (auto conn = pg::Connection::Open(std::getenv("GAVEL_BENCH_PG")); conn.ok()) {
    (void)(*conn)->Exec("TRUNCATE purchase_lines, campaign_lines, shopper_clicks");
  }
  IngestRequests(state, billing.get());
}
BENCHMARK(BM_PostgresPurchaseIngest)->UseRealTime()->MinTime(2.0);

// BM_SalesReport30Days over PostgreSQL. One replica; the tables are emptied first.
// state.range(1): the report's dimension (0: the campaign's report).
void BM_PostgresSalesReport30Days(benchmark::State& state) {
  SimulatedClock clock(kT0);
  std::unique_ptr<Billing> billing = OpenPostgresBilling(state, &clock);
  if (billing == nullptr) {
    for (auto _ : state) {
    }
    return;
  }
  const char* conninfo = std::getenv("GAVEL_BENCH_PG");
  (void)billing->UpsertCampaign(
      {.campaign_id = "c1", .daily_budget_micros = int64_t{1} << 50, .pacing = false});
  // GAVEL_BENCH_PG_KEEP=1 reuses a history of the same size left by an earlier run (for
  // profiling the report alone).
  const char* keep = std::getenv("GAVEL_BENCH_PG_KEEP");
  bool filled = false;
  if (auto conn = pg::Connection::Open(conninfo); conn.ok()) {
    if (keep != nullptr && std::string(keep) == "1") {
      auto n = (*conn)->Exec("SELECT count(*) FROM events");
      filled = n.ok() && n->rows() == 1 && *n->GetInt64(0, 0) == state.range(0);
    }
    if (!filled) {
      (void)(*conn)->Exec(
          "TRUNCATE event_ids, used_tokens, shopper_clicks, repeat_clicks, budget_locks, "
          "campaign_spend, campaign_stats, events, purchase_lines, dimension_stats, "
          "search_term_days, campaign_lines");
    }
  }
  if (!filled) {
    FillReportHistory(static_cast<int>(state.range(0)), billing.get(), &clock);
    if (auto conn = pg::Connection::Open(conninfo); conn.ok()) (void)(*conn)->Exec("ANALYZE");
  }
  RunReports(state, *billing, static_cast<Dimension>(state.range(1)));
}
BENCHMARK(BM_PostgresSalesReport30Days)
    ->ArgNames({"pg_clicks", "dimension"})
    ->Args({100'000, 0})
    ->Args({1'000'000, 0})
    ->Args({1'000'000, static_cast<int>(Dimension::kAdGroup)})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

}  // namespace
}  // namespace gavel::billing
