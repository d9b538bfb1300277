// The simulator's second mode: the same scenario's traffic against a running gavel_server, over
// gRPC, as a real ad-serving client would drive it: RunAuction per search, the shopper model on
// the winners it returns, ReportEvents with the click tokens of the clicked ones.
//
//   // gavel_sim --scenario=S --write_catalog=/tmp/c.json; gavel_server --catalog=/tmp/c.json ...
//   absl::StatusOr<RunMetrics> m = SimulateRemote(scenario, {.target = "127.0.0.1:50051"});
//
// The server runs on its own (real) clock, so searches go out back to back and budgets, pacing
// and the invalid-click windows see real time; the diurnal curve only sets each search's
// local_hour. A repeat click re-sends the same search and clicks the same ad if it wins again.
// Values, conversions and surplus come from the scenario's market (BuildMarket), which must be the
// catalog the server loaded. Not deterministic (the server's clock and token ids); wall-clock
// fields are filled. Thread-safe: concurrent calls share nothing.
#ifndef GAVEL_SIM_REMOTE_H_
#define GAVEL_SIM_REMOTE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "sim/scenario.pb.h"
#include "sim/simulator.h"

namespace gavel::sim {

struct RemoteOptions {
  std::string target;   // host:port, or several comma-separated (round robin over replicas)
  int64_t queries = 0;  // searches to send; 0 = the scenario's queries_per_day
  std::function<void(double)> progress;
  // Sent with every call as `authorization: Bearer <key>` when not empty (docs/api.md, "Callers
  // and grants").
  std::string client_key;
};

// INVALID_ARGUMENT for a malformed `target`; UNAVAILABLE (or the RPC's status) if the server
// cannot be reached or fails a call;
// FAILED_PRECONDITION if a winner's ad is not in the scenario's catalog (the server serves
// another catalog).
absl::StatusOr<RunMetrics> SimulateRemote(const Scenario& scenario, const RemoteOptions& options);

}  // namespace gavel::sim

#endif  // GAVEL_SIM_REMOTE_H_
