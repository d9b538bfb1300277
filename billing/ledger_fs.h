// The file operations the billing ledger makes to change its directory: every write, sync, rename
// and unlink goes through a LedgerFs, so tests can record them (the crash-consistency harness,
// tests/billing/crash_consistency_test.cc) or fail them (EIO, ENOSPC). Reads during recovery use
// the real files directly. The default is the POSIX calls themselves.
//
//   LedgerOptions options{.dir = dir, .fs = LedgerFsWithSync([](int) { return 0; })};
//
// Every method follows its POSIX namesake: -1 (or a negative count) with errno set on failure.
#ifndef GAVEL_BILLING_LEDGER_FS_H_
#define GAVEL_BILLING_LEDGER_FS_H_

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace gavel::billing {

class LedgerFs {
 public:
  virtual ~LedgerFs() = default;

  // open(2) for writing; `flags` as open's (O_CREAT, O_TRUNC, O_APPEND...). Returns the fd.
  virtual int Open(const std::string& path, int flags, mode_t mode);
  // One write(2) call: may write fewer bytes than asked.
  virtual ssize_t Write(int fd, const void* data, size_t size);
  // fdatasync(2): the bytes written to `fd` are durable.
  virtual int Sync(int fd);
  // fsync(2): data and metadata (used for snapshot files).
  virtual int FullSync(int fd);
  virtual int Truncate(int fd, off_t length);
  virtual int Close(int fd);
  virtual int Rename(const std::string& from, const std::string& to);
  virtual int Unlink(const std::string& path);
  // Makes the directory's entries (created, renamed, removed files) durable: open + fsync.
  virtual int SyncDir(const std::string& dir);
};

// The process-wide POSIX implementation (stateless).
std::shared_ptr<LedgerFs> PosixLedgerFs();

// POSIX, except that Sync calls `sync` instead of fdatasync: for tests and benchmarks that delay,
// skip or fail the group commit's fsync.
std::shared_ptr<LedgerFs> LedgerFsWithSync(std::function<int(int fd)> sync);

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_LEDGER_FS_H_
