// Billing benchmarks: token signing and verification; the serving gate (EligibleToServe) by
// campaign id and through resolved handles; and durable click ingestion (real ledger file, real
// fdatasync) from many concurrent clients, next to a baseline that writes and fsyncs the same bytes
// sequentially with the same batch size. Run: bazel run -c opt //bench:billing_bench
#include <fcntl.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"
#include "benchmark/benchmark.h"
#include "billing/billing.h"
#include "billing/hmac.h"
#include "billing/records.h"

namespace gavel::billing {
namespace {

constexpr int kClicksPerRequest = 100;

using bench::BenchDir;

WinnerInfo Winner(int i) {
  return {.auction_id = absl::StrCat("auction-", i),
          .slot = 1,
          .ad_id = absl::StrCat("ad-", i),
          .ad_group_id = "ag-1",
          .campaign_id = absl::StrCat("camp-", i % 50),
          .advertiser_id = "adv-1",
          .product_id = "sku-1234567",
          .price_micros = 350'000,
          .placement = 1,
          .user_id = absl::StrCat("user-", i)};
}

void BM_TokenIssue(benchmark::State& state) {
  SimulatedClock clock(absl::FromUnixSeconds(1'780'000'000));
  TokenIssuer issuer(Keyring::InsecureDevDefault(), &clock);
  const WinnerInfo w = Winner(7);
  for (auto _ : state) benchmark::DoNotOptimize(issuer.Issue(w));
  state.SetItemsProcessed(state.iterations() * 2);  // a click and an impression token
}
BENCHMARK(BM_TokenIssue);

// The same winner with the report dimensions a search auction's tokens carry (issue 17 item 3):
// a target id and a 19-byte search term. Against BM_TokenIssue (both fields empty) it is the cost
// of carrying them; the token sizes are reported as counters.
void BM_TokenIssueWithDimensions(benchmark::State& state) {
  SimulatedClock clock(absl::FromUnixSeconds(1'780'000'000));
  TokenIssuer issuer(Keyring::InsecureDevDefault(), &clock);
  WinnerInfo w = Winner(7);
  w.target_id = "kw-123456";
  w.search_term = "wireless headphones";
  for (auto _ : state) benchmark::DoNotOptimize(issuer.Issue(w));
  state.SetItemsProcessed(state.iterations() * 2);
  state.counters["click_token_bytes"] = static_cast<double>(issuer.Issue(w)->click_token.size());
  state.counters["bare_token_bytes"] =
      static_cast<double>(issuer.Issue(Winner(7))->click_token.size());
}
BENCHMARK(BM_TokenIssueWithDimensions);

// One MAC over a token-sized payload (130 bytes): the precomputed-key HmacSha256 the issuer and
// verifier use, against OpenSSL 3's one-shot HMAC() (the baseline, and what they used before).
const std::string kMacKey = "gavel-insecure-development-key-do-not-use";
const std::string kMacPayload(130, 'p');

void BM_HmacPrecomputedKey(benchmark::State& state) {
  const HmacSha256 mac(kMacKey);
  unsigned char out[HmacSha256::kBytes];
  for (auto _ : state) {
    mac.Sign(kMacPayload, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HmacPrecomputedKey);

void BM_HmacOneShotBaseline(benchmark::State& state) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    HMAC(EVP_sha256(), kMacKey.data(), static_cast<int>(kMacKey.size()),
         reinterpret_cast<const unsigned char*>(kMacPayload.data()), kMacPayload.size(), out, &len);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HmacOneShotBaseline);

void BM_TokenVerify(benchmark::State& state) {
  SimulatedClock clock(absl::FromUnixSeconds(1'780'000'000));
  TokenIssuer issuer(Keyring::InsecureDevDefault(), &clock);
  TokenVerifier verifier(Keyring::InsecureDevDefault());
  const std::string token = issuer.Issue(Winner(7))->click_token;
  for (auto _ : state)
    benchmark::DoNotOptimize(verifier.Verify(token, TokenType::kClick, clock.Now()));
  state.SetItemsProcessed(state.iterations());
  state.counters["token_bytes"] = token.size();
}
BENCHMARK(BM_TokenVerify);

// The serving gate over a catalog-sized set of campaigns, built once and shared by every thread
// and both paths: 50,000 paced campaigns in four time zones, budgets that never run out (so every
// check goes through budget and pacing), a clock that stays within one local day.
constexpr int kGateCampaigns = 50'000;

struct GateRig {
  SimulatedClock clock{absl::FromUnixSeconds(1'780'000'000)};
  std::unique_ptr<Billing> billing;
  std::vector<std::string> ids;
  std::vector<CampaignHandle> handles;
  std::vector<int32_t> order;  // the campaigns auctions ask about, in random order
};

GateRig& Gate() {
  static GateRig* rig = [] {
    auto* r = new GateRig;
    BillingConfig config;
    config.ledger.dir = BenchDir("gate");
    config.keyring = Keyring::InsecureDevDefault();
    r->billing = std::move(*Billing::Open(config, &r->clock));
    const char* zones[] = {"UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata"};
    std::vector<CampaignBudget> budgets;
    for (int c = 0; c < kGateCampaigns; ++c) {
      CampaignBudget b{.campaign_id = absl::StrCat("cmp-", c),
                       .daily_budget_micros = int64_t{1} << 50};
      absl::LoadTimeZone(zones[c % 4], &b.time_zone);
      budgets.push_back(b);
      r->ids.push_back(b.campaign_id);
    }
    (void)r->billing->UpsertCampaigns(budgets);
    for (const std::string& id : r->ids) r->handles.push_back(r->billing->Resolve(id));
    std::mt19937_64 gen(1);
    r->order.resize(1 << 20);
    for (int32_t& c : r->order)
      c = std::uniform_int_distribution<int32_t>(0, kGateCampaigns - 1)(gen);
    // Warm up: each campaign's first pacing update, the day caches.
    for (int c = 0; c < kGateCampaigns; ++c) {
      r->billing->EligibleToServe(r->ids[c], gen, 1'000'000);
      r->billing->EligibleToServe(r->handles[c], gen, 1'000'000);
    }
    return r;
  }();
  return *rig;
}

// Billing::EligibleToServe(campaign_id): what every auction did per campaign before handles.
void BM_GateById(benchmark::State& state) {
  GateRig& rig = Gate();
  std::mt19937_64 gen(state.thread_index());
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  int64_t eligible = 0;
  for (auto _ : state) {
    const int32_t c = rig.order[i++ & (rig.order.size() - 1)];
    eligible += rig.billing->EligibleToServe(rig.ids[c], gen, 1'000'000) == Eligibility::kEligible;
  }
  benchmark::DoNotOptimize(eligible);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GateById)->Threads(1)->Threads(2)->UseRealTime();

// Billing::EligibleToServe(CampaignHandle): the same checks through handles resolved once.
void BM_GateByHandle(benchmark::State& state) {
  GateRig& rig = Gate();
  std::mt19937_64 gen(state.thread_index());
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  int64_t eligible = 0;
  for (auto _ : state) {
    const int32_t c = rig.order[i++ & (rig.order.size() - 1)];
    eligible +=
        rig.billing->EligibleToServe(rig.handles[c], gen, 1'000'000) == Eligibility::kEligible;
  }
  benchmark::DoNotOptimize(eligible);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GateByHandle)->Threads(1)->Threads(2)->UseRealTime();

// Shared by the threads of one ingestion run.
struct IngestRig {
  SimulatedClock clock{absl::FromUnixSeconds(1'780'000'000)};
  std::atomic<int64_t> fsyncs{0};
  std::unique_ptr<Billing> billing;
  std::atomic<int64_t> clicks{0};
};
std::atomic<bool> rig_ready{false};
IngestRig* rig = nullptr;
std::atomic<double> records_per_fsync{kClicksPerRequest};
std::atomic<size_t> record_bytes{0};

void BM_DurableClickIngest(benchmark::State& state) {
  if (state.thread_index() == 0) {
    rig = new IngestRig;
    BillingConfig config;
    config.ledger.dir = BenchDir("ingest");
    config.keyring = Keyring::InsecureDevDefault();
    config.ledger.snapshot_every_records = 0;
    config.ledger.fs = LedgerFsWithSync([](int fd) {
      rig->fsyncs.fetch_add(1);
      return fdatasync(fd);
    });
    rig->billing = std::move(*Billing::Open(config, &rig->clock));
    for (int c = 0; c < 50; ++c) {
      (void)rig->billing->UpsertCampaign({.campaign_id = absl::StrCat("camp-", c),
                                          .daily_budget_micros = int64_t{1} << 50,
                                          .pacing = false});
    }
    rig_ready = true;
  }
  // Tokens are issued before the timed loop (issuing is the auction's cost, not ingestion's), each
  // thread its own share; a thread that runs out reuses its tokens, which then count as
  // duplicates, not as charged clicks.
  const int pool = 64'000 / state.threads() + 10'000;
  std::vector<std::string> tokens;
  tokens.reserve(pool);
  const int base = state.thread_index() * 1'000'000 + 1;
  // Wait for thread 0's setup: the loop barrier comes later, so spin on the rig pointer.
  while (!rig_ready.load()) std::this_thread::yield();
  for (int i = 0; i < pool; ++i) {
    tokens.push_back(rig->billing->issuer().Issue(Winner(base + i))->click_token);
  }
  std::vector<Event> batch(kClicksPerRequest);
  int64_t charged = 0;
  int64_t next = 0;
  for (auto _ : state) {
    for (int i = 0; i < kClicksPerRequest; ++i, ++next) {
      batch[i] = {absl::StrCat("ev-", base, "-", next), TokenType::kClick, tokens[next % pool], ""};
    }
    auto results = rig->billing->Ingest(batch);
    if (!results.ok()) {
      state.SkipWithError(std::string(results.status().message()).c_str());
      break;
    }
    for (const EventResult& r : *results) charged += r.outcome == Outcome::kCharged ? 1 : 0;
    // Counted inside the loop: after it, thread 0 may already be tearing the rig down.
    rig->clicks.fetch_add(kClicksPerRequest);
  }
  state.SetItemsProcessed(charged);
  if (state.thread_index() == 0) {
    // Thread 0 leaves last only after the loop's end barrier; the others have finished too.
    const int64_t clicks = rig->clicks.load();
    const double per_fsync = static_cast<double>(clicks) / std::max<int64_t>(rig->fsyncs.load(), 1);
    state.counters["clicks_per_fsync"] = per_fsync;
    records_per_fsync = per_fsync;
    EventRecord sample;
    sample.client_event_id = "ev-123456";
    sample.campaign_id = "camp-12";
    sample.ad_id = "ad-123456";
    sample.token_id = std::string(16, 'x');
    sample.outcome = Outcome::kCharged;
    sample.charged_micros = sample.price_micros = 350'000;
    record_bytes = EncodeEventRecord(sample).size() + 16;  // + length, crc and lsn
    rig_ready = false;
    rig->billing.reset();
    delete rig;
    rig = nullptr;
  }
}
// Timed: verify + decide + durable append, for requests of 100 clicks from N client threads.
BENCHMARK(BM_DurableClickIngest)->Threads(1)->Threads(4)->Threads(16)->UseRealTime();

// The floor group commit competes with: one thread writing the same number of bytes per fsync as
// the ingestion run above achieved, then fdatasync, in a loop.
void BM_SequentialWriteFsyncBaseline(benchmark::State& state) {
  const std::string dir = BenchDir("baseline");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/baseline.log";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  const int64_t per_batch = std::max<int64_t>(1, static_cast<int64_t>(records_per_fsync.load()));
  const std::string bytes(per_batch * std::max<size_t>(record_bytes.load(), 64), 'r');
  for (auto _ : state) {
    if (write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError("write/fdatasync failed");
      break;
    }
  }
  close(fd);
  state.SetItemsProcessed(state.iterations() * per_batch);
  state.counters["records_per_fsync"] = per_batch;
  state.counters["bytes_per_fsync"] = bytes.size();
}
BENCHMARK(BM_SequentialWriteFsyncBaseline)->UseRealTime();

}  // namespace
}  // namespace gavel::billing
