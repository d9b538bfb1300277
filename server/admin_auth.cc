#include "server/admin_auth.h"

#include <openssl/crypto.h>

namespace gavel::server {

absl::StatusOr<AdminCaller> AdminAuth::Check(const Metadata& metadata) const {
  std::shared_ptr<const auth::Clients> clients =
      callers_ == nullptr ? nullptr : callers_->clients();
  if (api_key_.empty() && clients == nullptr) {
    return absl::UnauthenticatedError(
        "the admin API is disabled: start gavel_server with --admin_api_key_file");
  }
  auto it = metadata.find(kApiKeyHeader);
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing admin API key: send it in the x-gavel-api-key metadata entry");
  }
  const grpc::string_ref& presented = it->second;
  if (!api_key_.empty() && presented.size() == api_key_.size() &&
      CRYPTO_memcmp(presented.data(), api_key_.data(), api_key_.size()) == 0) {
    return AdminCaller{};
  }
  if (clients != nullptr) {
    const std::string* advertiser =
        clients->FindAdvertiserAdmin(absl::string_view(presented.data(), presented.size()));
    if (advertiser != nullptr) return AdminCaller{.advertiser = *advertiser};
  }
  return absl::UnauthenticatedError("wrong admin API key");
}

}  // namespace gavel::server
