#include "store/catalog_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace gavel::store {

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

bool IsBinaryCatalogPath(const std::string& path) {
  return absl::EndsWith(path, ".binpb") || absl::EndsWith(path, ".pb");
}

absl::StatusOr<gavel::v1::Catalog> ReadCatalogFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot open catalog file"));
  gavel::v1::Catalog catalog;
  if (IsBinaryCatalogPath(path)) {
    // Parsed straight from the file: a large catalog is never held twice.
    const bool parsed = catalog.ParseFromFileDescriptor(fd);
    ::close(fd);
    if (!parsed) {
      return absl::InvalidArgumentError(
          absl::StrCat(path,
                       ": not a binary gavel.v1.Catalog (a .binpb or .pb file must hold "
                       "protobuf binary; name a JSON catalog *.json)"));
    }
    return catalog;
  }
  struct stat st;
  std::string json;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) json.reserve(static_cast<size_t>(st.st_size));
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return absl::InternalError(absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
    }
    if (n == 0) break;
    json.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return ParseCatalogJson(json, path);
}

namespace {

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::Status WriteCatalogFile(const gavel::v1::Catalog& catalog, const std::string& path) {
  std::string bytes;  // protobuf binary or JSON text, by the file name
  if (IsBinaryCatalogPath(path)) {
    if (!catalog.SerializeToString(&bytes)) {
      return absl::InternalError(absl::StrCat("encoding catalog for ", path));
    }
  } else {
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    auto printed = google::protobuf::util::MessageToJsonString(catalog, &bytes, options);
    if (!printed.ok()) return absl::InternalError(absl::StrCat("printing catalog for ", path));
    bytes.push_back('\n');
  }
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", tmp);
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status st = Errno("cannot write", tmp);
      ::close(fd);
      return st;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    absl::Status st = Errno("cannot fsync", tmp);
    ::close(fd);
    return st;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename onto", path);
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Errno("cannot open directory", dir);
  const int rc = ::fsync(dir_fd);
  ::close(dir_fd);
  if (rc != 0) return Errno("cannot fsync directory", dir);
  return absl::OkStatus();
}

}  // namespace gavel::store
