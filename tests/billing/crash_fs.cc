#include "tests/billing/crash_fs.h"

#include <fcntl.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <utility>

namespace gavel::billing::testing {
namespace {

std::string BaseName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

}  // namespace

void RecordingFs::Log(FsOp op) { ops_.push_back(std::move(op)); }

int RecordingFs::Open(const std::string& path, int flags, mode_t mode) {
  MutexLock lock(&mu_);
  const int fd = LedgerFs::Open(path, flags, mode);
  if (fd < 0) return fd;
  names_[fd] = BaseName(path);
  if (flags & O_CREAT) {
    Log({.kind = FsOp::kCreate, .path = BaseName(path), .value = (flags & O_TRUNC) ? 1u : 0u});
  }
  return fd;
}

ssize_t RecordingFs::Write(int fd, const void* data, size_t size) {
  MutexLock lock(&mu_);
  size_t n = size;
  const bool fail = fault_ == Fault::kWriteEnospc && ++writes_ == fail_at_;
  if (fail) n = size / 2;
  const ssize_t written = n == 0 ? 0 : LedgerFs::Write(fd, data, n);
  if (written > 0) {
    Log({.kind = FsOp::kWrite,
         .path = names_[fd],
         .data = std::string(static_cast<const char*>(data), written)});
  }
  if (fail) {
    fired_ = true;
    errno = ENOSPC;
    return -1;
  }
  return written;
}

int RecordingFs::SyncLogged(int fd) {
  MutexLock lock(&mu_);
  if (fault_ == Fault::kSyncEio && ++syncs_ == fail_at_) {
    fired_ = true;
    errno = EIO;
    return -1;
  }
  const int rc = LedgerFs::Sync(fd);
  if (rc == 0) Log({.kind = FsOp::kSync, .path = names_[fd]});
  return rc;
}

int RecordingFs::Sync(int fd) { return SyncLogged(fd); }
int RecordingFs::FullSync(int fd) { return SyncLogged(fd); }

int RecordingFs::Truncate(int fd, off_t length) {
  MutexLock lock(&mu_);
  const int rc = LedgerFs::Truncate(fd, length);
  if (rc == 0) {
    Log({.kind = FsOp::kTruncate, .path = names_[fd], .value = static_cast<uint64_t>(length)});
  }
  return rc;
}

int RecordingFs::Close(int fd) {
  MutexLock lock(&mu_);
  names_.erase(fd);
  return LedgerFs::Close(fd);
}

int RecordingFs::Rename(const std::string& from, const std::string& to) {
  MutexLock lock(&mu_);
  const int rc = LedgerFs::Rename(from, to);
  if (rc == 0) Log({.kind = FsOp::kRename, .path = BaseName(from), .data = BaseName(to)});
  return rc;
}

int RecordingFs::Unlink(const std::string& path) {
  MutexLock lock(&mu_);
  const int rc = LedgerFs::Unlink(path);
  if (rc == 0) Log({.kind = FsOp::kUnlink, .path = BaseName(path)});
  return rc;
}

int RecordingFs::SyncDir(const std::string& dir) {
  MutexLock lock(&mu_);
  const int rc = LedgerFs::SyncDir(dir);
  if (rc == 0) Log({.kind = FsOp::kSyncDir});
  return rc;
}

void RecordingFs::Ack(uint64_t lsn) {
  MutexLock lock(&mu_);
  Log({.kind = FsOp::kAck, .value = lsn});
}

std::vector<FsOp> RecordingFs::ops() const {
  MutexLock lock(&mu_);
  return ops_;
}

bool RecordingFs::fault_fired() const {
  MutexLock lock(&mu_);
  return fired_;
}

// Files are inodes; the current and the durable namespace map names to them.
struct CrashModel::State {
  struct Inode {
    std::string current;
    std::string durable;
  };
  std::vector<Inode> inodes;
  std::map<std::string, size_t> names;          // as the running process sees them
  std::map<std::string, size_t> durable_names;  // as of the last SyncDir
  uint64_t acked = 0;

  Inode& Named(const std::string& name) { return inodes[names.at(name)]; }

  void Apply(const FsOp& op) {
    switch (op.kind) {
      case FsOp::kCreate:
        if (auto it = names.find(op.path); it != names.end()) {
          if (op.value != 0) inodes[it->second].current.clear();
        } else {
          names[op.path] = inodes.size();
          inodes.emplace_back();
        }
        break;
      case FsOp::kWrite:
        Named(op.path).current += op.data;
        break;
      case FsOp::kSync:
        Named(op.path).durable = Named(op.path).current;
        break;
      case FsOp::kTruncate:
        Named(op.path).current.resize(op.value);
        break;
      case FsOp::kRename: {
        const size_t inode = names.at(op.path);
        names.erase(op.path);
        names[op.data] = inode;
        break;
      }
      case FsOp::kUnlink:
        names.erase(op.path);
        break;
      case FsOp::kSyncDir:
        durable_names = names;
        break;
      case FsOp::kAck:
        acked = std::max(acked, op.value);
        break;
    }
  }
};

CrashModel::State CrashModel::Replay(size_t k) const {
  State state;
  for (size_t i = 0; i < k; ++i) state.Apply(ops_[i]);
  return state;
}

uint64_t CrashModel::AckedBefore(size_t k) const { return Replay(k).acked; }

Files CrashModel::DurableAfter(size_t k) const {
  const State state = Replay(k);
  Files files;
  for (const auto& [name, inode] : state.durable_names) files[name] = state.inodes[inode].durable;
  return files;
}

Files CrashModel::TornWrite(size_t k, size_t bytes) const {
  const State state = Replay(k);
  Files files;
  for (const auto& [name, inode] : state.names) files[name] = state.inodes[inode].current;
  if (k < ops_.size() && ops_[k].kind == FsOp::kWrite) {
    files[ops_[k].path] += ops_[k].data.substr(0, bytes);
  }
  return files;
}

void Materialize(const std::string& dir, const Files& files) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& [name, data] : files) {
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
}

}  // namespace gavel::billing::testing
