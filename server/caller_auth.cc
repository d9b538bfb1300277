#include "server/caller_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace gavel::server {

absl::string_view BearerKey(const Metadata& metadata) {
  auto it = metadata.find(kAuthorizationHeader);
  if (it == metadata.end()) return {};
  absl::string_view value(it->second.data(), it->second.size());
  // RFC 6750: the scheme name is case-insensitive.
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) return {};
  return absl::StripAsciiWhitespace(value.substr(7));
}

std::unique_ptr<CallerAuth> CallerAuth::Insecure() { return std::make_unique<CallerAuth>(nullptr); }

absl::StatusOr<Caller> CallerAuth::Authenticate(const Metadata& metadata) const {
  Caller caller{.clients = clients()};
  if (caller.clients == nullptr) {
    caller.client = &auth::Client::Unrestricted();
    return caller;
  }
  const absl::string_view key = BearerKey(metadata);
  if (key.empty()) {
    return absl::UnauthenticatedError(
        "missing client key: send the metadata entry `authorization: Bearer <key>` "
        "(docs/api.md, \"Callers and grants\")");
  }
  caller.client = caller.clients->FindClient(key);
  if (caller.client == nullptr) return absl::UnauthenticatedError("unknown client key");
  return caller;
}

}  // namespace gavel::server
