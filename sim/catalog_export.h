// The scenario's marketplace as a gavel.v1.Catalog, so a real gavel_server can serve exactly the
// catalog (bids, budgets, pacing) and auction rules the in-process simulator runs.
//
//   absl::Status st = WriteCatalogJson(scenario, "/tmp/sim_catalog.json");
//   // gavel_server --catalog=/tmp/sim_catalog.json ...
//
// Thread-safe (pure apart from the file write).
#ifndef GAVEL_SIM_CATALOG_EXPORT_H_
#define GAVEL_SIM_CATALOG_EXPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "gavel/v1/types.pb.h"
#include "sim/market.h"
#include "sim/scenario.pb.h"

namespace gavel::sim {

// convert/catalog_convert's CatalogModelToProto of the market's catalog, with auction_rules set
// to the scenario's (and min_relevance to the catalog's).
gavel::v1::Catalog MarketToProto(const Scenario& s, const Market& market);

// BuildMarket + MarketToProto, written as protobuf JSON (the server's --catalog format).
// INTERNAL naming the file on a write error.
absl::Status WriteCatalogJson(const Scenario& s, const std::string& path);

}  // namespace gavel::sim

#endif  // GAVEL_SIM_CATALOG_EXPORT_H_
