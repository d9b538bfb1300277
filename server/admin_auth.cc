#include "server/admin_auth.h"

#include <openssl/crypto.h>

namespace gavel::server {

absl::Status AdminAuth::Check(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) const {
  if (api_key_.empty()) {
    return absl::UnauthenticatedError(
        "the admin API is disabled: start gavel_server with --admin_api_key_file");
  }
  auto it = metadata.find(kApiKeyHeader);
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing admin API key: send it in the x-gavel-api-key metadata entry");
  }
  const grpc::string_ref& presented = it->second;
  if (presented.size() != api_key_.size() ||
      CRYPTO_memcmp(presented.data(), api_key_.data(), api_key_.size()) != 0) {
    return absl::PermissionDeniedError("wrong admin API key");
  }
  return absl::OkStatus();
}

}  // namespace gavel::server
