// Writes a synthetic catalog (targeting/synthetic.h) as a gavel.v1.Catalog in protobuf's JSON
// mapping, the format of data/demo_catalog.json and the server's --catalog flag.
//
//   bazel run -c opt //tools:catalog_gen -- --ads=100000 --seed=7 --out=/tmp/catalog.json
//
// The same --ads and --seed always write the same bytes.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "convert/catalog_convert.h"
#include "google/protobuf/util/json_util.h"
#include "targeting/synthetic.h"

ABSL_FLAG(int, ads, 10'000, "number of product ads (10k to 1M)");
ABSL_FLAG(uint64_t, seed, 1, "random seed");
ABSL_FLAG(std::string, out, "", "output file; empty = stdout");
ABSL_FLAG(bool, pretty, false, "indent the JSON");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::mt19937_64 rng(absl::GetFlag(FLAGS_seed));
  gavel::catalog::Catalog catalog =
      gavel::targeting::GenerateCatalog({.num_ads = absl::GetFlag(FLAGS_ads)}, rng);
  // Validate before writing: a generator bug must not produce a file the server rejects.
  auto snapshot = gavel::targeting::CatalogSnapshot::Build(catalog, 1);
  if (!snapshot.ok()) {
    std::cerr << "catalog_gen: generated catalog is invalid: " << snapshot.status() << "\n";
    return 1;
  }
  const gavel::v1::Catalog proto = gavel::convert::CatalogModelToProto(catalog);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = absl::GetFlag(FLAGS_pretty);
  if (auto st = google::protobuf::util::MessageToJsonString(proto, &json, options); !st.ok()) {
    std::cerr << "catalog_gen: " << st << "\n";
    return 1;
  }
  const std::string path = absl::GetFlag(FLAGS_out);
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
