// gavel::CreateClientChannel: one address is passed through as before; several become one
// round_robin channel over every address, and calls reach each replica.
#include "common/grpc_channel.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace gavel {
namespace {

using ::testing::HasSubstr;

TEST(ClientChannelTarget, OneAddressIsUnchanged) {
  for (const char* address : {"127.0.0.1:50051", "localhost:50051", "dns:///gavel:443",
                              "unix:/tmp/gavel.sock", "[::1]:50051"}) {
    absl::StatusOr<std::string> target = ClientChannelTarget(address);
    ASSERT_TRUE(target.ok()) << target.status();
    EXPECT_EQ(*target, address);
  }
}

TEST(ClientChannelTarget, SeveralAddressesAreResolvedIntoOneIpv4Target) {
  absl::StatusOr<std::string> target =
      ClientChannelTarget("127.0.0.1:50051, localhost:50052,127.0.0.2:50053");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(*target, "ipv4:127.0.0.1:50051,127.0.0.1:50052,127.0.0.2:50053");
}

TEST(ClientChannelTarget, AnIpv6AddressMakesAnIpv6TargetWithMappedIpv4) {
  absl::StatusOr<std::string> target = ClientChannelTarget("[::1]:50051,127.0.0.1:50052");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(*target, "ipv6:[::1]:50051,[::ffff:127.0.0.1]:50052");
}

TEST(ClientChannelTarget, BadAddressesAreInvalidArgumentNamingTheAddress) {
  struct Case {
    std::string addresses;
    std::string message;
  };
  for (const Case& c : {
           Case{"127.0.0.1:50051,", "empty address"},
           Case{"127.0.0.1:50051,127.0.0.1", "\"127.0.0.1\" has no port"},
           Case{"127.0.0.1:50051,127.0.0.1:0", "port in [1, 65535]"},
           Case{"127.0.0.1:50051,127.0.0.1:65536", "port in [1, 65535]"},
           Case{"127.0.0.1:50051,:50052", "\":50052\""},
           Case{"127.0.0.1:50051,::1:50052", "write an IPv6 address in brackets, [::1]:50052"},
           Case{"127.0.0.1:50051,[::1:50052", "has no ']'"},
       }) {
    absl::StatusOr<std::string> target = ClientChannelTarget(c.addresses);
    EXPECT_EQ(target.status().code(), absl::StatusCode::kInvalidArgument) << c.addresses;
    EXPECT_THAT(target.status().message(), HasSubstr(c.message)) << c.addresses;
  }
  // .invalid never resolves (RFC 2606); without a resolver the error may be kUnavailable.
  absl::StatusOr<std::string> unknown = ClientChannelTarget("gavel.invalid:1,127.0.0.1:2");
  EXPECT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("cannot resolve host \"gavel.invalid\""));
}

// Counts the auctions it answers.
class CountingAuctions final : public gavel::v1::AuctionService::Service {
 public:
  grpc::Status RunAuction(grpc::ServerContext*, const gavel::v1::RunAuctionRequest*,
                          gavel::v1::RunAuctionResponse*) override {
    calls.fetch_add(1);
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0};
};

TEST(CreateClientChannel, SpreadsCallsOverEveryReplica) {
  constexpr int kReplicas = 3;
  std::vector<std::unique_ptr<CountingAuctions>> services;
  std::vector<std::unique_ptr<grpc::Server>> servers;
  std::vector<std::string> addresses;
  for (int i = 0; i < kReplicas; ++i) {
    services.push_back(std::make_unique<CountingAuctions>());
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(services.back().get());
    servers.push_back(builder.BuildAndStart());
    ASSERT_NE(servers.back(), nullptr);
    // "localhost" for one of them: names resolve too.
    addresses.push_back(absl::StrCat(i == 0 ? "localhost" : "127.0.0.1", ":", port));
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateClientChannel(absl::StrJoin(addresses, ","), grpc::InsecureChannelCredentials());
  ASSERT_TRUE(channel.ok()) << channel.status();
  auto stub = gavel::v1::AuctionService::NewStub(*channel);
  // Round robin alternates among the replicas that are connected; all are, once the first calls
  // have waited for them.
  constexpr int kCalls = 60;
  for (int i = 0; i < kCalls; ++i) {
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    gavel::v1::RunAuctionResponse response;
    ASSERT_TRUE(stub->RunAuction(&ctx, gavel::v1::RunAuctionRequest(), &response).ok());
  }
  int total = 0;
  for (const auto& service : services) {
    EXPECT_GT(service->calls.load(), 0);
    total += service->calls.load();
  }
  EXPECT_EQ(total, kCalls);
  for (auto& server : servers) server->Shutdown();
}

// The channel's load-balancing policy, once its resolver has returned (at once for IP literals).
std::string PolicyOf(grpc::Channel& channel) {
  channel.GetState(/*try_to_connect=*/true);
  for (int i = 0; i < 100 && channel.GetLoadBalancingPolicyName().empty(); ++i) {
    channel.WaitForStateChange(channel.GetState(false),
                               std::chrono::system_clock::now() + std::chrono::milliseconds(50));
  }
  return channel.GetLoadBalancingPolicyName();
}

TEST(CreateClientChannel, OneAddressKeepsGrpcsDefaultPolicy) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateClientChannel("127.0.0.1:1", grpc::InsecureChannelCredentials());
  ASSERT_TRUE(channel.ok()) << channel.status();
  EXPECT_EQ(PolicyOf(**channel), "pick_first");
}

TEST(CreateClientChannel, SeveralAddressesUseRoundRobin) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateClientChannel("127.0.0.1:1,127.0.0.1:2", grpc::InsecureChannelCredentials());
  ASSERT_TRUE(channel.ok()) << channel.status();
  EXPECT_EQ(PolicyOf(**channel), "round_robin");
}

}  // namespace
}  // namespace gavel
