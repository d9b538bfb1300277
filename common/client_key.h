// The client key Gavel's own clients (gavel_cli, gavel_loadgen, gavel_sim --target) send to
// AuctionService and EventService: read from a file (--client_key_file) or, without one, from the
// GAVEL_CLIENT_KEY environment variable, and sent as `authorization: Bearer <key>` (docs/api.md,
// "Callers and grants"). A key is never taken from the command line, where `ps` would show it.
//
//   absl::StatusOr<std::string> key = ReadClientKey(absl::GetFlag(FLAGS_client_key_file));
//   grpc::ClientContext ctx;
//   AddClientKey(*key, &ctx);
#ifndef GAVEL_COMMON_CLIENT_KEY_H_
#define GAVEL_COMMON_CLIENT_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/client_context.h"

namespace gavel {

// The key in `file` (surrounding whitespace removed), or $GAVEL_CLIENT_KEY when `file` is empty,
// or "" when neither is set (a server run with --insecure_no_client_auth needs none). NOT_FOUND
// naming the file when it cannot be read.
absl::StatusOr<std::string> ReadClientKey(const std::string& file);

// Adds `authorization: Bearer <key>` to `ctx`; nothing when `key` is empty.
void AddClientKey(const std::string& key, grpc::ClientContext* ctx);

}  // namespace gavel

#endif  // GAVEL_COMMON_CLIENT_KEY_H_
