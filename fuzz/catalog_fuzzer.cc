// Catalog file loading (store/catalog_file.h) and snapshot building (convert/catalog_convert.h
// CatalogFromProto) on arbitrary bytes. The first byte picks the encoding: even = JSON text,
// odd = protobuf binary, read back from a *.binpb file as the server reads one. A catalog that
// builds must convert back to a proto that builds again.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "convert/catalog_convert.h"
#include "fuzz/fuzz_input.h"
#include "gavel/v1/types.pb.h"
#include "store/catalog_file.h"

namespace {

absl::StatusOr<gavel::v1::Catalog> ReadBinary(absl::string_view bytes) {
  static const std::string* path = [] {
    const char* dir = std::getenv("TMPDIR");
    auto* p = new std::string(std::string(dir != nullptr ? dir : "/tmp") + "/catalog_fuzzer_" +
                              std::to_string(getpid()) + ".binpb");
    return p;
  }();
  const int fd = open(path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    std::abort();
  }
  close(fd);
  auto catalog = gavel::store::ReadCatalogFile(*path);
  unlink(path->c_str());
  return catalog;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gavel::fuzz::Input in(data, size);
  const bool binary = in.Byte() % 2 == 1;
  const absl::string_view bytes = in.Rest();
  absl::StatusOr<gavel::v1::Catalog> catalog =
      binary ? ReadBinary(bytes) : gavel::store::ParseCatalogJson(std::string(bytes), "fuzz.json");
  if (!catalog.ok()) return 0;
  auto snapshot = gavel::convert::CatalogFromProto(*catalog, 1);
  if (!snapshot.ok()) return 0;
  auto again = gavel::convert::CatalogFromProto(gavel::convert::CatalogToProto(**snapshot), 2);
  if (!again.ok()) {
    std::fprintf(stderr, "round trip failed: %s\n", again.status().ToString().c_str());
    std::abort();
  }
  return 0;
}
