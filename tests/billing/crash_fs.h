// Crash states of a recorded ledger workload, in the spirit of ALICE (Pillai et al., "All File
// Systems Are Not Created Equal", OSDI 2014): RecordingFs performs the ledger's file operations on
// a real directory and logs each one; CrashModel replays a prefix of that log into the set of
// files a crash at that point could leave behind.
//
//   auto fs = std::make_shared<RecordingFs>();
//   ... Ledger::Open({.dir = dir, .fs = fs}, ...); appends; fs->Ack(lsn) after WaitDurable ...
//   CrashModel model(fs->ops(), dir);
//   Files durable = model.DurableAfter(k);   // unsynced data and names lost
//   Files torn = model.TornWrite(k, 17);     // everything before op k, 17 bytes of write k
//
// Model: a file's bytes become durable at Sync/FullSync of one of its fds; names (create, rename,
// unlink) become durable at SyncDir. Every write is an append (the ledger opens with O_APPEND or a
// fresh O_TRUNC file), so a write is (path, offset = size before it, bytes).
#ifndef GAVEL_TESTS_BILLING_CRASH_FS_H_
#define GAVEL_TESTS_BILLING_CRASH_FS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "billing/ledger_fs.h"
#include "common/sync.h"

namespace gavel::billing::testing {

struct FsOp {
  enum Kind { kCreate, kWrite, kSync, kTruncate, kRename, kUnlink, kSyncDir, kAck };
  Kind kind;
  std::string path;    // file name relative to the directory (kSyncDir: empty)
  std::string data;    // kWrite: the bytes; kRename: the new name
  uint64_t value = 0;  // kCreate: 1 if O_TRUNC; kTruncate: length; kAck: acknowledged lsn
};

// Name -> contents of the files a crash leaves.
using Files = std::map<std::string, std::string>;

// POSIX operations, logged. Thread-safe. Optionally fails one operation, as a full or failing
// disk would: the `fail_at`-th write (1-based) writes half its bytes and then fails with ENOSPC,
// or the `fail_at`-th Sync fails with EIO.
class RecordingFs final : public LedgerFs {
 public:
  enum class Fault { kNone, kWriteEnospc, kSyncEio };
  explicit RecordingFs(Fault fault = Fault::kNone, int fail_at = 0)
      : fault_(fault), fail_at_(fail_at) {}

  int Open(const std::string& path, int flags, mode_t mode) override;
  ssize_t Write(int fd, const void* data, size_t size) override;
  int Sync(int fd) override;
  int FullSync(int fd) override;
  int Truncate(int fd, off_t length) override;
  int Close(int fd) override;
  int Rename(const std::string& from, const std::string& to) override;
  int Unlink(const std::string& path) override;
  int SyncDir(const std::string& dir) override;

  // Logs that the workload saw every lsn <= `lsn` acknowledged (WaitDurable returned OK).
  void Ack(uint64_t lsn);
  std::vector<FsOp> ops() const;
  bool fault_fired() const;

 private:
  void Log(FsOp op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int SyncLogged(int fd);

  const Fault fault_;
  const int fail_at_;
  mutable Mutex mu_;
  std::vector<FsOp> ops_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int, std::string> names_ ABSL_GUARDED_BY(mu_);  // fd -> file name
  int writes_ ABSL_GUARDED_BY(mu_) = 0;
  int syncs_ ABSL_GUARDED_BY(mu_) = 0;
  bool fired_ ABSL_GUARDED_BY(mu_) = false;
};

class CrashModel {
 public:
  explicit CrashModel(std::vector<FsOp> ops) : ops_(std::move(ops)) {}

  size_t size() const { return ops_.size(); }
  const FsOp& op(size_t k) const { return ops_[k]; }
  // Highest lsn acknowledged by ops [0, k).
  uint64_t AckedBefore(size_t k) const;
  // A crash after ops [0, k) that loses everything not synced.
  Files DurableAfter(size_t k) const;
  // A crash after ops [0, k) where everything reached the disk, plus the first `bytes` bytes of
  // op k (a write). TornWrite(k, 0) is "everything through k - 1".
  Files TornWrite(size_t k, size_t bytes) const;

 private:
  struct State;
  State Replay(size_t k) const;

  std::vector<FsOp> ops_;
};

// Replaces `dir`'s contents with `files`.
void Materialize(const std::string& dir, const Files& files);

}  // namespace gavel::billing::testing

#endif  // GAVEL_TESTS_BILLING_CRASH_FS_H_
