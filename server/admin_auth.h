// Admin authentication: CampaignService calls must carry an admin key in the metadata entry
// `x-gavel-api-key`: the operator's (--admin_api_key_file), which sees and edits everything, or an
// advertiser's (an `admin` line of the clients file), which sees and edits only that advertiser
// (campaign_service.h says exactly what).
//
//   AdminAuth auth("s3cret", &caller_auth);
//   absl::StatusOr<AdminCaller> who = auth.Check(context->client_metadata());
//
// Check returns UNAUTHENTICATED when the key is missing or is neither kind (or no key of either
// kind is configured, which disables the admin API). The operator key is compared in constant
// time; advertiser keys are found by digest (auth/clients.h). Does not own `callers`. Immutable
// after construction; thread-safe.
#ifndef GAVEL_SERVER_ADMIN_AUTH_H_
#define GAVEL_SERVER_ADMIN_AUTH_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/support/string_ref.h"
#include "server/caller_auth.h"

namespace gavel::server {

inline constexpr char kApiKeyHeader[] = "x-gavel-api-key";

// Who an admin call is.
struct AdminCaller {
  std::string advertiser;  // empty: the operator
  bool is_operator() const { return advertiser.empty(); }
};

class AdminAuth {
 public:
  // `callers` (may be null) holds the clients file with the advertisers' admin keys.
  explicit AdminAuth(std::string api_key, const CallerAuth* callers = nullptr)
      : api_key_(std::move(api_key)), callers_(callers) {}

  absl::StatusOr<AdminCaller> Check(const Metadata& metadata) const;

 private:
  const std::string api_key_;
  const CallerAuth* const callers_;
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_ADMIN_AUTH_H_
