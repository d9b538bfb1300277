// Reads a catalog file: a gavel.v1.Catalog in protobuf's canonical JSON mapping (the schema of
// proto/gavel/v1/types.proto; data/demo_catalog.json is an example).
//
//   absl::StatusOr<gavel::v1::Catalog> catalog = ReadCatalogFile("data/demo_catalog.json");
//
// Errors name the file and what protobuf's parser reports: the field path for a bad value
// ("data/x.json: (campaigns[2].budget_policy): invalid value ...") or the text around a syntax
// error. NOT_FOUND if the file cannot be opened. Thread-safe.
#ifndef GAVEL_STORE_CATALOG_FILE_H_
#define GAVEL_STORE_CATALOG_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "gavel/v1/types.pb.h"

namespace gavel::store {

absl::StatusOr<gavel::v1::Catalog> ReadCatalogFile(const std::string& path);

// Writes `catalog` as JSON to `path` durably: a temporary file beside it, fsync, rename over
// `path`, fsync of the directory. A crash leaves the old file or the new one, never a mix.
// INTERNAL naming the path and the failing step.
absl::Status WriteCatalogFile(const gavel::v1::Catalog& catalog, const std::string& path);

// Parses catalog JSON; `source` names it in errors.
absl::StatusOr<gavel::v1::Catalog> ParseCatalogJson(const std::string& json,
                                                    const std::string& source);

}  // namespace gavel::store

#endif  // GAVEL_STORE_CATALOG_FILE_H_
