// Conversion between the wire/file catalog (gavel.v1.Catalog) and targeting's catalog model. The
// only place that knows both; targeting/ never sees a proto.
//
//   gavel::v1::Catalog proto = ...;  // e.g. parsed from data/demo_catalog.json
//   absl::StatusOr<std::shared_ptr<const targeting::CatalogSnapshot>> s = CatalogFromProto(proto,
//   1); gavel::v1::Catalog back = CatalogToProto(**s);  // round trip
//
// Of AuctionRules only min_relevance belongs to targeting (ServingRules); the auction's rules are
// converted by convert/rules_convert.h, and CatalogToProto fills auction_rules.min_relevance only.
//
// Thread safety: pure functions.
#ifndef GAVEL_CONVERT_CATALOG_CONVERT_H_
#define GAVEL_CONVERT_CATALOG_CONVERT_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "gavel/v1/types.pb.h"
#include "targeting/snapshot.h"

namespace gavel::convert {

// Converts then builds. INVALID_ARGUMENT naming the entity and field, for conversion errors
// ("campaigns[c-1].start_date must be YYYY-MM-DD, got \"2026-13-01\"", unknown time zone, unset
// enum without a default, target without a kind) and for every CatalogSnapshot::Build error.
// `model` null = the built-in CTR model.
absl::StatusOr<std::shared_ptr<const targeting::CatalogSnapshot>> CatalogFromProto(
    const gavel::v1::Catalog& proto, int64_t version,
    std::shared_ptr<const targeting::CtrModel> model = nullptr);

// The conversion alone (no validation beyond what conversion needs), for callers that edit the
// model before building. Errors as above.
absl::StatusOr<catalog::Catalog> CatalogModelFromProto(const gavel::v1::Catalog& proto);

// Back to the proto. Unset optional values come back as their defaults made explicit (state
// ENABLED, budget policy HARD, strategy FIXED, time zone name, pacing).
gavel::v1::Catalog CatalogModelToProto(const catalog::Catalog& catalog);
gavel::v1::Catalog CatalogToProto(const targeting::CatalogSnapshot& snapshot);

}  // namespace gavel::convert

#endif  // GAVEL_CONVERT_CATALOG_CONVERT_H_
