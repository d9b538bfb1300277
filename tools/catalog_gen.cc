// Writes a synthetic catalog (targeting/synthetic.h) as a gavel.v1.Catalog, the format of
// data/demo_catalog.json and the server's --catalog flag: protobuf JSON, or protobuf binary when
// --out ends in .binpb or .pb (store/catalog_file.h). With --from, converts an existing catalog
// file between the two instead of generating one.
//
//   bazel run -c opt //tools:catalog_gen -- --ads=100000 --seed=7 --out=/tmp/catalog.json
//   bazel run -c opt //tools:catalog_gen -- --from=/tmp/catalog.json --out=/tmp/catalog.binpb
//
// The same --ads, --seed and --budget_scale always write the same bytes.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/flags_help.h"
#include "convert/catalog_convert.h"
#include "google/protobuf/util/json_util.h"
#include "store/catalog_file.h"
#include "targeting/synthetic.h"

ABSL_FLAG(int, ads, 10'000, "number of product ads (10k to 1M)");
ABSL_FLAG(uint64_t, seed, 1, "random seed");
ABSL_FLAG(std::string, out, "", "output file; empty = stdout");
ABSL_FLAG(bool, pretty, false, "indent the JSON");
ABSL_FLAG(int, budget_scale, 1,
          "multiply every campaign's daily budget by this (1 to 1000): a long run at a steady "
          "click rate (bench/soak.sh) keeps its campaigns in the auctions instead of spending "
          "them out, which would shrink the traffic as it goes");
ABSL_FLAG(std::string, from, "",
          "convert this catalog file (JSON, or binary if it ends in .binpb/.pb) to --out's format "
          "instead of generating one");

namespace {

int Convert(const std::string& from, const std::string& to) {
  if (to.empty()) {
    std::cerr << "catalog_gen: --from needs --out\n";
    return 2;
  }
  absl::StatusOr<gavel::v1::Catalog> catalog = gavel::store::ReadCatalogFile(from);
  if (!catalog.ok()) {
    std::cerr << "catalog_gen: " << catalog.status().message() << "\n";
    return 1;
  }
  if (absl::Status st = gavel::store::WriteCatalogFile(*catalog, to); !st.ok()) {
    std::cerr << "catalog_gen: " << st.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "catalog_gen --ads=N [--seed=S] [--budget_scale=K] [--out=FILE.json|FILE.binpb] | "
      "--from=FILE --out=FILE");
  gavel::ListOwnFlagsInHelp();
  absl::ParseCommandLine(argc, argv);
  if (!absl::GetFlag(FLAGS_from).empty()) {
    return Convert(absl::GetFlag(FLAGS_from), absl::GetFlag(FLAGS_out));
  }
  const int budget_scale = absl::GetFlag(FLAGS_budget_scale);
  if (budget_scale < 1 || budget_scale > 1000) {
    std::cerr << "catalog_gen: --budget_scale must be in [1, 1000], got " << budget_scale << "\n";
    return 2;
  }
  std::mt19937_64 rng(absl::GetFlag(FLAGS_seed));
  gavel::catalog::Catalog catalog =
      gavel::targeting::GenerateCatalog({.num_ads = absl::GetFlag(FLAGS_ads)}, rng);
  for (gavel::catalog::Campaign& c : catalog.campaigns) c.daily_budget_micros *= budget_scale;
  // Validate before writing: a generator bug must not produce a file the server rejects.
  auto snapshot = gavel::targeting::CatalogSnapshot::Build(catalog, 1);
  if (!snapshot.ok()) {
    std::cerr << "catalog_gen: generated catalog is invalid: " << snapshot.status() << "\n";
    return 1;
  }
  const gavel::v1::Catalog proto = gavel::convert::CatalogModelToProto(catalog);
  const std::string path = absl::GetFlag(FLAGS_out);
  if (gavel::store::IsBinaryCatalogPath(path)) {
    if (absl::Status st = gavel::store::WriteCatalogFile(proto, path); !st.ok()) {
      std::cerr << "catalog_gen: " << st.message() << "\n";
      return 1;
    }
    return 0;
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = absl::GetFlag(FLAGS_pretty);
  if (auto st = google::protobuf::util::MessageToJsonString(proto, &json, options); !st.ok()) {
    std::cerr << "catalog_gen: " << st << "\n";
    return 1;
  }
  if (path.empty()) {
    std::cout << json << "\n";
  } else {
    std::ofstream out(path);
    out << json << "\n";
    if (!out) {
      std::cerr << "catalog_gen: cannot write " << path << "\n";
      return 1;
    }
  }
  return 0;
}
