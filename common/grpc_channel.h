// A client channel to one Gavel server, or spread over several replicas of it, from the address
// flag of gavel_cli (--server), gavel_loadgen (--target) and gavel_sim (--target).
//
//   absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = gavel::CreateClientChannel(
//       "10.0.0.1:50051,10.0.0.2:50051", grpc::InsecureChannelCredentials());
//
// One address: the channel gRPC would make of it anyway (its DNS resolution, pick_first), so a
// single server behaves as it always has. Several, comma-separated host:port: each host is
// resolved once, now (IPv4 preferred, so "localhost" means 127.0.0.1), and the channel's target
// lists every address ("ipv4:10.0.0.1:50051,10.0.0.2:50051"; "ipv6:[...]:port,..." if one has
// only IPv6) with gRPC's round_robin policy: a connection to each replica, calls spread over the
// ones that are up, a replica that goes down skipped until it is back. The addresses are not
// resolved again, so a replica that moves needs a new channel. The :authority header, and the name
// TLS checks the certificate against, is the first address as given.
//
// Thread-safe (no state).
#ifndef GAVEL_COMMON_GRPC_CHANNEL_H_
#define GAVEL_COMMON_GRPC_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"

namespace gavel {

// The gRPC target for `addresses`: a single address unchanged, several as "ipv4:..." or
// "ipv6:..." (see above). Errors, naming the address: kInvalidArgument for an empty entry, a
// missing or bad port (1-65535), an unbracketed IPv6 address or a host that does not resolve;
// kUnavailable if name resolution failed for now (EAI_AGAIN).
absl::StatusOr<std::string> ClientChannelTarget(absl::string_view addresses);

// A channel to `addresses` with `credentials` and `args`; for several addresses, `args` gains the
// round_robin policy and the default authority. Errors as ClientChannelTarget.
absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateClientChannel(
    absl::string_view addresses, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    grpc::ChannelArguments args = grpc::ChannelArguments());

}  // namespace gavel

#endif  // GAVEL_COMMON_GRPC_CHANNEL_H_
