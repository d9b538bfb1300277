// The billing write-ahead log: an append-only sequence of checksummed records in segment files,
// made durable by group commit, plus snapshot files that bound recovery. The ledger stores opaque
// payloads; billing/records.h defines what billing writes into them. Format: docs/billing.md.
//
//   auto ledger = Ledger::Open({.dir = "/var/lib/gavel/ledger"}, /*after_lsn=*/0,
//                              [&](const LedgerRecord& r) { Apply(r.payload); });
//   absl::StatusOr<uint64_t> lsn = (*ledger)->Append(payload);
//   absl::Status durable = (*ledger)->WaitDurable(*lsn);   // fsynced when OK
//
// Thread-safe: any number of threads may Append and WaitDurable; one writer thread batches every
// pending append into one write() + fdatasync(). If a write or fdatasync fails the ledger stops for
// good: nothing further is acknowledged, every waiter gets kUnavailable, and the fatal handler runs
// (default: log and std::abort). It never retries a failed fsync (PostgreSQL's "fsyncgate": after
// a failed fsync the kernel may have dropped the dirty pages, so a retry can succeed while data is
// lost).
#ifndef GAVEL_BILLING_LEDGER_H_
#define GAVEL_BILLING_LEDGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "billing/ledger_fs.h"
#include "common/sync.h"

namespace gavel::billing {

struct LedgerOptions {
  // Directory of the segment and snapshot files; created if missing.
  std::string dir;
  // Called once, from the writer thread, when a write or fdatasync fails. Must not call back into
  // the ledger. Default: print the status to stderr and std::abort().
  std::function<void(const absl::Status&)> fatal_handler;
  // Every change to the directory's files goes through this (billing/ledger_fs.h). Default: POSIX.
  // Tests record or fail the operations here.
  std::shared_ptr<LedgerFs> fs;
};

struct LedgerRecord {
  uint64_t lsn = 0;  // 1, 2, 3, ... with no gaps
  std::string payload;
};

struct LedgerSnapshot {
  uint64_t lsn = 0;  // the state covers every record with lsn <= this
  std::string state;
};

struct RecoveryInfo {
  uint64_t last_lsn = 0;          // last record kept
  uint64_t records_replayed = 0;  // records passed to `replay` (lsn > after_lsn)
  uint64_t truncated_bytes = 0;   // torn tail cut from the last segment
};

class Ledger {
 public:
  using ReplayFn = std::function<void(const LedgerRecord&)>;

  // Opens (creating if needed) the ledger in `options.dir` and recovers it: calls `replay` in lsn
  // order for every record with lsn > `after_lsn` (the snapshot's lsn, or 0), and truncates a torn
  // tail of the last segment (a partial or corrupt record with no valid record after it). Removes
  // the temporary files of snapshots that never completed (snap-*.snap.tmp).
  // Errors: kDataLoss for a corrupt record followed by valid ones, a gap in lsns, or segments that
  // do not reach back to after_lsn + 1; kInternal/kPermissionDenied etc. for I/O errors.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(LedgerOptions options, uint64_t after_lsn,
                                                      const ReplayFn& replay,
                                                      RecoveryInfo* info = nullptr);
  ~Ledger();  // flushes pending appends, then stops the writer thread

  // Queues `payload` and returns its lsn. Not durable until WaitDurable(lsn) returns OK.
  // kUnavailable once the ledger has failed.
  absl::StatusOr<uint64_t> Append(absl::string_view payload);
  // Appends `payloads` with consecutive lsns and wakes the writer once; returns the last lsn
  // (last_lsn() unchanged if empty). Errors as Append.
  absl::StatusOr<uint64_t> AppendBatch(absl::Span<const std::string> payloads);
  // Blocks until every record up to `lsn` is fsynced: OK, or kUnavailable if the ledger failed.
  absl::Status WaitDurable(uint64_t lsn);
  // The last lsn appended (durable or not).
  uint64_t last_lsn() const;
  // Flushes, then starts a new segment file whose first record will be last_lsn() + 1, so older
  // segments are no longer needed once a snapshot at last_lsn() exists. kUnavailable on failure.
  absl::Status Rotate();
  // Writes `state` as the snapshot at `lsn` (temp file, fsync, rename, fsync dir). Errors are
  // returned, not fatal: the previous snapshot and the log still recover everything.
  absl::Status WriteSnapshot(uint64_t lsn, absl::string_view state);

  // Newest snapshot in `dir` whose checksum verifies (older ones are tried if it does not);
  // nullopt if there is none.
  static absl::StatusOr<std::optional<LedgerSnapshot>> LoadLatestSnapshot(const std::string& dir);
  // Every record in `dir`, in order, stopping silently at a torn or corrupt tail. Read-only: for
  // tools and tests (e.g. reading back the ledger of a killed server).
  static absl::StatusOr<std::vector<LedgerRecord>> ReadAll(const std::string& dir);

 private:
  Ledger(LedgerOptions options, int fd, uint64_t last_lsn);
  void WriterLoop();
  void Fail(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendLocked(absl::string_view payload) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const LedgerOptions options_;
  mutable Mutex mu_;
  CondVar work_cv_;     // writer waits for pending data or stop
  CondVar durable_cv_;  // appenders wait for durable_lsn_ or failure
  int fd_ ABSL_GUARDED_BY(mu_);
  std::string pending_ ABSL_GUARDED_BY(mu_);
  uint64_t last_lsn_ ABSL_GUARDED_BY(mu_);
  uint64_t durable_lsn_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  bool fatal_reported_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_LEDGER_H_
