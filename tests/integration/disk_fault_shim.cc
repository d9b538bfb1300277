// A failing disk for a real gavel_server, loaded with LD_PRELOAD by disk_fault_test: once the file
// named by $GAVEL_FAULT_TRIGGER exists, every write() (GAVEL_FAULT=write, fails with ENOSPC) or
// fdatasync() (GAVEL_FAULT=fdatasync, fails with EIO) on a ledger segment (a path containing
// "/wal-") fails. Everything else passes through to libc.
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool FaultOn(const char* call, int fd) {
  const char* which = std::getenv("GAVEL_FAULT");
  const char* trigger = std::getenv("GAVEL_FAULT_TRIGGER");
  if (which == nullptr || trigger == nullptr || std::strcmp(which, call) != 0) return false;
  if (access(trigger, F_OK) != 0) return false;
  char link[64];
  char path[4096];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof(path) - 1);
  if (n <= 0) return false;
  path[n] = '\0';
  return std::strstr(path, "/wal-") != nullptr;
}

}  // namespace

extern "C" ssize_t write(int fd, const void* buf, size_t count) {
  using WriteFn = ssize_t (*)(int, const void*, size_t);
  static const WriteFn real = reinterpret_cast<WriteFn>(dlsym(RTLD_NEXT, "write"));
  const int saved = errno;
  if (FaultOn("write", fd)) {
    errno = ENOSPC;
    return -1;
  }
  errno = saved;
  return real(fd, buf, count);
}

extern "C" int fdatasync(int fd) {
  using SyncFn = int (*)(int);
  static const SyncFn real = reinterpret_cast<SyncFn>(dlsym(RTLD_NEXT, "fdatasync"));
  const int saved = errno;
  if (FaultOn("fdatasync", fd)) {
    errno = EIO;
    return -1;
  }
  errno = saved;
  return real(fd);
}
