// Authentication of AuctionService and EventService callers: the key in the `authorization`
// metadata entry (`Bearer <key>`), looked up in the clients file (auth/clients.h).
//
//   CallerAuth auth(*auth::Clients::Load(path));      // or CallerAuth::Insecure()
//   absl::StatusOr<Caller> caller = auth.Authenticate(ctx->client_metadata());
//   if (caller.ok()) st = auth::CheckAuction(*caller->client, request);
//
// UNAUTHENTICATED when the key is missing or unknown (gRPC: no valid credentials); the grants
// check then answers PERMISSION_DENIED for a known client that is not allowed. Messages never
// contain the presented key. Replace swaps in a re-read file (SIGUSR1, SIGHUP) while calls run; a
// call keeps the file it authenticated with alive through its Caller. Thread-safe.
#ifndef GAVEL_SERVER_CALLER_AUTH_H_
#define GAVEL_SERVER_CALLER_AUTH_H_

#include <atomic>
#include <map>
#include <memory>

#include "absl/status/statusor.h"
#include "auth/clients.h"
#include "grpcpp/support/string_ref.h"

namespace gavel::server {

inline constexpr char kAuthorizationHeader[] = "authorization";

using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;

// The key of a call's `authorization: Bearer <key>` entry; empty when there is none.
absl::string_view BearerKey(const Metadata& metadata);

// An authenticated caller: its client, valid while `clients` is held.
struct Caller {
  std::shared_ptr<const auth::Clients> clients;  // null in insecure mode
  const auth::Client* client = nullptr;
};

class CallerAuth {
 public:
  // Every caller is auth::Client::Unrestricted() (--insecure_no_client_auth).
  static std::unique_ptr<CallerAuth> Insecure();
  explicit CallerAuth(std::shared_ptr<const auth::Clients> clients)
      : clients_(std::move(clients)) {}

  absl::StatusOr<Caller> Authenticate(const Metadata& metadata) const;
  // The clients file in force; null in insecure mode.
  std::shared_ptr<const auth::Clients> clients() const { return std::atomic_load(&clients_); }
  // Serves `clients` from the next call on (a re-read file).
  void Replace(std::shared_ptr<const auth::Clients> clients) {
    std::atomic_store(&clients_, std::move(clients));
  }
  bool insecure() const { return clients() == nullptr; }

 private:
  std::shared_ptr<const auth::Clients> clients_;  // read and written with std::atomic_load/store
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_CALLER_AUTH_H_
