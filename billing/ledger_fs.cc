#include "billing/ledger_fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

namespace gavel::billing {

int LedgerFs::Open(const std::string& path, int flags, mode_t mode) {
  return ::open(path.c_str(), flags | O_CLOEXEC, mode);
}

ssize_t LedgerFs::Write(int fd, const void* data, size_t size) { return ::write(fd, data, size); }

int LedgerFs::Sync(int fd) { return ::fdatasync(fd); }

int LedgerFs::FullSync(int fd) { return ::fsync(fd); }

int LedgerFs::Truncate(int fd, off_t length) { return ::ftruncate(fd, length); }

int LedgerFs::Close(int fd) { return ::close(fd); }

int LedgerFs::Rename(const std::string& from, const std::string& to) {
  return std::rename(from.c_str(), to.c_str());
}

int LedgerFs::Unlink(const std::string& path) { return ::unlink(path.c_str()); }

int LedgerFs::SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return rc;
}

std::shared_ptr<LedgerFs> PosixLedgerFs() {
  static const auto* const fs = new std::shared_ptr<LedgerFs>(std::make_shared<LedgerFs>());
  return *fs;
}

namespace {

class SyncHookFs final : public LedgerFs {
 public:
  explicit SyncHookFs(std::function<int(int)> sync) : sync_(std::move(sync)) {}
  int Sync(int fd) override { return sync_(fd); }

 private:
  const std::function<int(int)> sync_;
};

}  // namespace

std::shared_ptr<LedgerFs> LedgerFsWithSync(std::function<int(int fd)> sync) {
  return std::make_shared<SyncHookFs>(std::move(sync));
}

}  // namespace gavel::billing
