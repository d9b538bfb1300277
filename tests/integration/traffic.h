// gavel_server with --metrics_listen on real ports, and the gRPC calls the metrics and page tests
// send it. Failures are reported with gtest's EXPECT_*, so call these from tests only.
//
//   Server s = StartServer("name");   // the demo catalog, a ledger under $TEST_TMPDIR/name
//   gavel::v1::RunAuctionResponse resp;
//   grpc::Status st = Auction(s, Search("wireless headphones", "shopper-1"), &resp);
#ifndef GAVEL_TESTS_INTEGRATION_TRAFFIC_H_
#define GAVEL_TESTS_INTEGRATION_TRAFFIC_H_

#include <memory>
#include <string>
#include <vector>

#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/integration/server_process.h"

namespace gavel::testing {

struct Server {
  std::unique_ptr<ServerProcess> process;  // null if the server did not start
  std::shared_ptr<grpc::Channel> channel;
  std::string metrics;  // HOST:PORT of the HTTP port
};

// Starts gavel_server on `catalog` (empty: the demo catalog) with --metrics_listen=127.0.0.1:0 and
// `extra` flags.
Server StartServer(const std::string& name, const std::string& catalog = "",
                   const std::vector<std::string>& extra = {});
// A top-of-search request for `query`, 2 slots, desktop, noon, by `user`.
gavel::v1::RunAuctionRequest Search(const std::string& query, const std::string& user);
grpc::Status Auction(const Server& s, const gavel::v1::RunAuctionRequest& r,
                     gavel::v1::RunAuctionResponse* out, int deadline_seconds = 10);
// Reports one event; the outcome (UNSPECIFIED if the call failed).
gavel::v1::EventOutcome Report(const Server& s, gavel::v1::EventType type, const std::string& id,
                               const std::string& token);

}  // namespace gavel::testing

#endif  // GAVEL_TESTS_INTEGRATION_TRAFFIC_H_
