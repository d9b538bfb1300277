// The clients file parser (auth/clients.h) on arbitrary text: a file an operator edits by hand,
// read at start and on SIGUSR1. Parse either accepts the text or refuses it with
// INVALID_ARGUMENT "fuzz:LINE: ..."; an accepted file answers lookups of any presented key.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "auth/clients.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto clients = gavel::auth::Clients::Parse(text, "fuzz");
  if (!clients.ok()) {
    Check(clients.status().code() == absl::StatusCode::kInvalidArgument);
    Check(absl::StartsWith(clients.status().message(), "fuzz:"));
    return 0;
  }
  // Every line, and the whole text, presented as a key: a lookup never fails or crashes, and a
  // key is a client's or an advertiser admin's, never both.
  for (absl::string_view key : {text, text.substr(0, 32), text.substr(size / 2)}) {
    const bool client = (*clients)->FindClient(key) != nullptr;
    const bool admin = (*clients)->FindAdvertiserAdmin(key) != nullptr;
    Check(!(client && admin));
  }
  return 0;
}
