#include "sim/catalog_export.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "convert/catalog_convert.h"
#include "google/protobuf/util/json_util.h"

namespace gavel::sim {

gavel::v1::Catalog MarketToProto(const Scenario& s, const Market& market) {
  gavel::v1::Catalog proto = convert::CatalogModelToProto(market.catalog);
  *proto.mutable_auction_rules() = s.auction();
  proto.mutable_auction_rules()->set_min_relevance(market.catalog.rules.min_relevance);
  return proto;
}

absl::Status WriteCatalogJson(const Scenario& s, const std::string& path) {
  const gavel::v1::Catalog proto = MarketToProto(s, BuildMarket(s));
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  auto st = google::protobuf::util::MessageToJsonString(proto, &json, options);
  if (!st.ok()) {
    return absl::InternalError(absl::StrCat(
        "catalog to JSON: ", absl::string_view(st.message().data(), st.message().size())));
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << json;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace gavel::sim
