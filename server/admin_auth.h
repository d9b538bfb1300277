// Admin authentication: CampaignService calls must carry the configured API key in the metadata
// entry `x-gavel-api-key`.
//
//   AdminAuth auth("s3cret");
//   absl::Status st = auth.Check(context->client_metadata());
//
// Check returns UNAUTHENTICATED when the key is missing (or no key is configured, which disables
// the admin API) and PERMISSION_DENIED when it is wrong. The comparison takes the same time
// wherever the keys differ. Immutable after construction; thread-safe.
#ifndef GAVEL_SERVER_ADMIN_AUTH_H_
#define GAVEL_SERVER_ADMIN_AUTH_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/string_ref.h"

namespace gavel::server {

inline constexpr char kApiKeyHeader[] = "x-gavel-api-key";

class AdminAuth {
 public:
  explicit AdminAuth(std::string api_key) : api_key_(std::move(api_key)) {}

  absl::Status Check(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const;

 private:
  const std::string api_key_;
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_ADMIN_AUTH_H_
