// The one mapping from absl::Status (what the core returns) to grpc::Status (what clients see).
// Codes map one to one; the message is passed through unchanged.
#ifndef GAVEL_SERVER_STATUS_H_
#define GAVEL_SERVER_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace gavel::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace gavel::server

#endif  // GAVEL_SERVER_STATUS_H_
