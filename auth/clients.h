// Who may call Gavel and what each caller may do: the clients file (--clients_file), parsed, and
// the grants check for one auction. Keys are kept only as SHA-256 digests, so neither the file
// nor the server's memory holds a usable key.
//
//   absl::StatusOr<std::shared_ptr<const Clients>> clients = Clients::Load("/etc/gavel/clients");
//   const Client* client = (*clients)->FindClient(presented_key);      // null: unknown key
//   absl::Status st = CheckAuction(*client, auction_request);          // PERMISSION_DENIED or OK
//
// The file format is in docs/api.md ("The clients file"): one statement per line,
//   client NAME [placements=LIST|*] [candidates=yes|no] [advertisers=LIST|*]
//   key NAME sha256:HEX          (several per client while a key is rotated)
//   admin ADVERTISER_ID sha256:HEX
// Keys are random strings of 16 to 256 bytes; the file holds the hex SHA-256 of each. Plain
// SHA-256 without a salt is enough because keys are random, not chosen passwords: there is
// nothing to guess from a digest.
//
// Lookups hash the presented key and find the digest in a hash table. Timing then depends only on
// the digest, which an attacker cannot steer towards a stored one, so no comparison leaks a key
// byte by byte. Immutable after Parse; thread-safe.
#ifndef GAVEL_AUTH_CLIENTS_H_
#define GAVEL_AUTH_CLIENTS_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "catalog/enums.h"
#include "engine/engine.h"

namespace gavel::auth {

// Presented keys outside these lengths are unknown without being hashed.
inline constexpr size_t kMinKeyBytes = 16;
inline constexpr size_t kMaxKeyBytes = 256;

// One calling client of AuctionService and EventService, and its grants.
struct Client {
  std::string name;
  // Which placements RunAuction may name (index = static_cast<int>(catalog::Placement)).
  std::array<bool, catalog::kNumPlacements> placements{};
  // Whether RunAuction may carry caller candidates, and of which advertisers.
  bool caller_candidates = false;
  bool all_advertisers = false;
  absl::flat_hash_set<std::string> advertisers;

  // Everything granted: what --insecure_no_client_auth gives every caller.
  static const Client& Unrestricted();
};

class Clients {
 public:
  // Parses the clients file's text; `file` names it in errors. INVALID_ARGUMENT as
  // "FILE:LINE: what is wrong" for the first bad line.
  static absl::StatusOr<std::shared_ptr<const Clients>> Parse(absl::string_view text,
                                                              absl::string_view file);
  // Reads and parses `path`. NOT_FOUND when it cannot be read; Parse's errors otherwise.
  static absl::StatusOr<std::shared_ptr<const Clients>> Load(const std::string& path);

  // The client whose key `key` is; null for an unknown key (or an advertiser admin key).
  const Client* FindClient(absl::string_view key) const;
  // The advertiser whose admin key `key` is; null for an unknown key (or a client key).
  const std::string* FindAdvertiserAdmin(absl::string_view key) const;

  size_t client_count() const { return clients_.size(); }
  size_t key_count() const { return keys_.size(); }

 private:
  struct Holder {
    const Client* client = nullptr;  // set for a client key
    std::string advertiser;          // set for an advertiser admin key
  };
  const Holder* Find(absl::string_view key) const;

  std::vector<std::unique_ptr<Client>> clients_;   // stable addresses for keys_
  absl::flat_hash_map<std::string, Holder> keys_;  // by the key's raw 32-byte SHA-256
};

// The raw 32-byte SHA-256 of `key` (what the clients file holds in hex).
std::string KeyDigest(absl::string_view key);

// Whether `client` may run `request`: its placement granted, and caller candidates only when
// granted, each of a granted advertiser. PERMISSION_DENIED naming the client and what it lacks
// (for a candidate, `candidates[i].advertiser_id`).
absl::Status CheckAuction(const Client& client, const engine::AuctionRequest& request);

}  // namespace gavel::auth

#endif  // GAVEL_AUTH_CLIENTS_H_
