// What authenticating a caller adds to an auction: the SHA-256 of the presented key and one hash
// table probe (auth/clients.h), for a known key and an unknown one, over clients files of 10 and
// 10,000 keys, and the grants check of a request with caller candidates.
//
//   bazel run -c opt //bench:auth_bench
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "auth/clients.h"
#include "benchmark/benchmark.h"

namespace gavel::auth {
namespace {

std::string Key(int i) { return absl::StrCat("key-", i, "-0123456789abcdefghij"); }

// `n` clients with one key each; client i may bring candidates for advertisers adv-0..adv-9.
std::shared_ptr<const Clients> MakeClients(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&text, "client c", i,
                    " candidates=yes advertisers=adv-0,adv-1,adv-2,adv-3,adv-4,adv-5,adv-6,"
                    "adv-7,adv-8,adv-9\nkey c",
                    i, " sha256:", absl::BytesToHexString(KeyDigest(Key(i))), "\n");
  }
  return *Clients::Parse(text, "bench");
}

void BM_FindClientKnownKey(benchmark::State& state) {
  const std::shared_ptr<const Clients> clients = MakeClients(static_cast<int>(state.range(0)));
  const std::string key = Key(static_cast<int>(state.range(0)) / 2);
  for (auto _ : state) benchmark::DoNotOptimize(clients->FindClient(key));
}
BENCHMARK(BM_FindClientKnownKey)->Arg(10)->Arg(10'000);

void BM_FindClientUnknownKey(benchmark::State& state) {
  const std::shared_ptr<const Clients> clients = MakeClients(static_cast<int>(state.range(0)));
  const std::string key = "not-a-known-key-0123456789abcdef";
  for (auto _ : state) benchmark::DoNotOptimize(clients->FindClient(key));
}
BENCHMARK(BM_FindClientUnknownKey)->Arg(10)->Arg(10'000);

// The grants check of an auction with `range(0)` caller candidates of granted advertisers.
void BM_CheckAuction(benchmark::State& state) {
  const std::shared_ptr<const Clients> clients = MakeClients(1);
  const Client& client = *clients->FindClient(Key(0));
  engine::AuctionRequest request;
  request.targeting.placement = catalog::Placement::kTopOfSearch;
  for (int i = 0; i < state.range(0); ++i) {
    request.external.push_back(
        {.candidate_id = absl::StrCat("c", i), .advertiser_id = absl::StrCat("adv-", i % 10)});
  }
  for (auto _ : state) benchmark::DoNotOptimize(CheckAuction(client, request));
}
BENCHMARK(BM_CheckAuction)->Arg(0)->Arg(10);

}  // namespace
}  // namespace gavel::auth
