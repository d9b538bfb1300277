#include "server/catalog_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace gavel::server {

absl::StatusOr<gavel::v1::Catalog> ParseCatalogJson(const std::string& json,
                                                    const std::string& source) {
  gavel::v1::Catalog catalog;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // A misspelt field is an error, not silently dropped.
  auto status = google::protobuf::util::JsonStringToMessage(json, &catalog, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": ", absl::string_view(status.message().data(), status.message().size())));
  }
  return catalog;
}

absl::StatusOr<gavel::v1::Catalog> ReadCatalogFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open catalog file"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseCatalogJson(buffer.str(), path);
}

}  // namespace gavel::server
