#include "common/client_key.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace gavel {

absl::StatusOr<std::string> ReadClientKey(const std::string& file) {
  if (file.empty()) {
    const char* env = std::getenv("GAVEL_CLIENT_KEY");
    return env == nullptr ? std::string() : std::string(absl::StripAsciiWhitespace(env));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("--client_key_file ", file, ": cannot open"));
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

void AddClientKey(const std::string& key, grpc::ClientContext* ctx) {
  if (!key.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", key));
}

}  // namespace gavel
