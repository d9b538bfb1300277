#include "billing/ledger.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "billing/bytes.h"

namespace gavel::billing {
namespace {

constexpr absl::string_view kSegmentMagic = "GAVELWAL";
constexpr absl::string_view kSnapshotMagic = "GAVELSNP";
constexpr size_t kRecordHeader = 8;         // u32 length + u32 crc
constexpr uint32_t kMaxPayload = 1u << 26;  // 64 MiB: anything larger is a corrupt length

absl::Status ErrnoStatus(absl::string_view what, const std::string& path) {
  const int e = errno;
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(e)));
}

uint32_t Crc(absl::string_view a, absl::string_view b) {
  uLong c = crc32(0L, Z_NULL, 0);
  c = crc32(c, reinterpret_cast<const Bytef*>(a.data()), static_cast<uInt>(a.size()));
  c = crc32(c, reinterpret_cast<const Bytef*>(b.data()), static_cast<uInt>(b.size()));
  return static_cast<uint32_t>(c);
}

std::string SegmentName(uint64_t first_lsn) { return absl::StrFormat("wal-%020d.log", first_lsn); }
std::string SnapshotName(uint64_t lsn) { return absl::StrFormat("snap-%020d.snap", lsn); }

// Files "<prefix><number><suffix>" in `dir`, sorted by number.
absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> ListFiles(const std::string& dir,
                                                                        absl::string_view prefix,
                                                                        absl::string_view suffix) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return ErrnoStatus("opendir", dir);
  std::vector<std::pair<uint64_t, std::string>> out;
  while (dirent* e = readdir(d)) {
    absl::string_view name(e->d_name);
    if (!absl::StartsWith(name, prefix) || !absl::EndsWith(name, suffix)) continue;
    absl::string_view num = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    uint64_t n;
    if (absl::SimpleAtoi(num, &n)) out.emplace_back(n, std::string(name));
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path);
  std::string data;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = ErrnoStatus("read", path);
      close(fd);
      return s;
    }
    if (n == 0) break;
    data.append(buf, n);
  }
  close(fd);
  return data;
}

absl::Status WriteAll(LedgerFs& fs, int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = fs.Write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("write", path);
    data.remove_prefix(n);
  }
  return absl::OkStatus();
}

absl::Status FsyncDir(LedgerFs& fs, const std::string& dir) {
  return fs.SyncDir(dir) == 0 ? absl::OkStatus() : ErrnoStatus("fsync dir", dir);
}

// Creates segment `first_lsn` with its magic, durably (file and directory entry). Returns its fd.
absl::StatusOr<int> CreateSegment(LedgerFs& fs, const std::string& dir, uint64_t first_lsn) {
  const std::string path = dir + "/" + SegmentName(first_lsn);
  const int fd = fs.Open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) return ErrnoStatus("create", path);
  absl::Status s = WriteAll(fs, fd, kSegmentMagic, path);
  if (s.ok() && fs.Sync(fd) != 0) s = ErrnoStatus("fdatasync", path);
  if (s.ok()) s = FsyncDir(fs, dir);
  if (!s.ok()) {
    fs.Close(fd);
    return s;
  }
  return fd;
}

// Decodes the record at `off`; false if it is short or fails its checksum.
bool RecordAt(absl::string_view data, size_t off, LedgerRecord* rec, size_t* next) {
  if (off + kRecordHeader > data.size()) return false;
  const uint32_t len = internal::DecodeFixed32(data.data() + off);
  const uint32_t crc = internal::DecodeFixed32(data.data() + off + 4);
  if (len < 8 || len > kMaxPayload || off + kRecordHeader + len > data.size()) return false;
  const absl::string_view payload = data.substr(off + kRecordHeader, len);
  if (Crc(data.substr(off, 4), payload) != crc) return false;
  uint64_t lsn;
  internal::ByteReader r(payload);
  r.Fixed64(&lsn);
  rec->lsn = lsn;
  rec->payload.assign(payload.data() + 8, payload.size() - 8);
  *next = off + kRecordHeader + len;
  return true;
}

// Whether any intact record with lsn >= `expect_lsn` starts after byte `bad` of a segment: then
// the bad record at `bad` is damage inside the log, not a write cut short by a crash (a crash
// leaves a prefix of the last write, so nothing whole after it). Positions are screened by a
// plausible length and lsn before the checksum, so scanning a torn tail costs little.
bool ValidRecordAfter(absl::string_view data, size_t bad, uint64_t expect_lsn) {
  const size_t min_record = kRecordHeader + 8;
  if (data.size() < min_record) return false;
  const uint64_t max_lsn = expect_lsn + (data.size() - bad) / min_record;
  for (size_t p = bad + 1; p + min_record <= data.size(); ++p) {
    const uint32_t len = internal::DecodeFixed32(data.data() + p);
    if (len < 8 || len > data.size() - p - kRecordHeader) continue;
    uint64_t lsn;
    internal::ByteReader r(data.substr(p + kRecordHeader, 8));
    r.Fixed64(&lsn);
    if (lsn < expect_lsn || lsn > max_lsn) continue;
    LedgerRecord rec;
    size_t next;
    if (RecordAt(data, p, &rec, &next)) return true;
  }
  return false;
}

struct SegmentScan {
  std::vector<LedgerRecord> records;
  size_t valid_end = 0;         // bytes of intact prefix (magic + whole records)
  bool torn = false;            // something after valid_end
  bool corrupt_middle = false;  // ... and a valid record after the bad one
  bool bad_magic = false;
};

// `first_lsn`: the lsn the segment's name says its first record carries.
SegmentScan ScanSegment(absl::string_view data, uint64_t first_lsn) {
  SegmentScan scan;
  if (data.size() < kSegmentMagic.size()) {
    // A crash while creating the segment: only a prefix of the magic (or nothing) made it.
    scan.torn = !data.empty();
    scan.bad_magic = !absl::StartsWith(kSegmentMagic, data);
    return scan;
  }
  if (!absl::StartsWith(data, kSegmentMagic)) {
    scan.bad_magic = true;
    return scan;
  }
  size_t off = kSegmentMagic.size();
  while (off < data.size()) {
    LedgerRecord rec;
    size_t next;
    if (!RecordAt(data, off, &rec, &next)) {
      scan.torn = true;
      const uint64_t expect = scan.records.empty() ? first_lsn : scan.records.back().lsn + 1;
      scan.corrupt_middle = ValidRecordAfter(data, off, expect);
      break;
    }
    scan.records.push_back(std::move(rec));
    off = next;
  }
  scan.valid_end = off;
  return scan;
}

void DefaultFatal(const absl::Status& status) {
  std::fprintf(stderr, "FATAL gavel billing ledger: %s; exiting so no charge is acknowledged\n",
               status.ToString().c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

Ledger::Ledger(LedgerOptions options, int fd, uint64_t last_lsn)
    : options_(std::move(options)), fd_(fd), last_lsn_(last_lsn), durable_lsn_(last_lsn) {
  writer_ = std::thread([this] { WriterLoop(); });
}

Ledger::~Ledger() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    work_cv_.SignalAll();
  }
  writer_.join();
  MutexLock lock(&mu_);
  if (fd_ >= 0) options_.fs->Close(fd_);
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(LedgerOptions options, uint64_t after_lsn,
                                                     const ReplayFn& replay, RecoveryInfo* info) {
  if (options.dir.empty()) return absl::InvalidArgumentError("ledger dir must be set, got \"\"");
  if (options.fs == nullptr) options.fs = PosixLedgerFs();
  LedgerFs& fs = *options.fs;
  if (mkdir(options.dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoStatus("mkdir", options.dir);
  }
  // A snapshot killed before its rename leaves "<name>.tmp"; nothing ever reads it, and each one
  // is as large as the whole billing state.
  auto temps = ListFiles(options.dir, "snap-", ".snap.tmp");
  if (!temps.ok()) return temps.status();
  for (const auto& temp : *temps) {
    const std::string path = options.dir + "/" + temp.second;
    if (fs.Unlink(path) != 0 && errno != ENOENT) return ErrnoStatus("unlink", path);
  }
  RecoveryInfo local;
  if (info == nullptr) info = &local;
  *info = RecoveryInfo{};
  auto segs = ListFiles(options.dir, "wal-", ".log");
  if (!segs.ok()) return segs.status();
  // Start at the last segment that begins at or before the first record we need.
  size_t start = 0;
  for (size_t i = 0; i < segs->size(); ++i) {
    if ((*segs)[i].first <= after_lsn + 1) start = i;
  }
  if (!segs->empty() && (*segs)[start].first > after_lsn + 1) {
    return absl::DataLossError(absl::StrCat("ledger ", options.dir, " starts at lsn ",
                                            (*segs)[start].first, " but recovery needs lsn ",
                                            after_lsn + 1));
  }
  uint64_t last = 0;
  uint64_t tail_first = 0;  // first lsn of the last segment
  uint64_t tail_next = 0;   // lsn its next record would carry
  for (size_t i = start; i < segs->size(); ++i) {
    const auto& [first, name] = (*segs)[i];
    const std::string path = options.dir + "/" + name;
    const bool is_last = i + 1 == segs->size();
    auto data = ReadFile(path);
    if (!data.ok()) return data.status();
    SegmentScan scan = ScanSegment(*data, first);
    if (scan.bad_magic) {
      return absl::DataLossError(absl::StrCat(path, ": bad magic at byte 0, not a ledger segment"));
    }
    if (scan.torn && (!is_last || scan.corrupt_middle)) {
      return absl::DataLossError(absl::StrCat(path, ": corrupt record at byte ", scan.valid_end,
                                              is_last ? " followed by valid records" : ""));
    }
    if (i > start && last != 0 && first != last + 1) {
      return absl::DataLossError(
          absl::StrCat(path, ": starts at lsn ", first, ", expected ", last + 1));
    }
    uint64_t expect = first;
    for (LedgerRecord& rec : scan.records) {
      if (rec.lsn != expect) {
        return absl::DataLossError(
            absl::StrCat(path, ": record lsn ", rec.lsn, ", expected ", expect));
      }
      ++expect;
      if (rec.lsn > after_lsn) {
        replay(rec);
        ++info->records_replayed;
      }
    }
    if (!scan.records.empty())
      last = scan.records.back().lsn;
    else if (first > 0)
      last = std::max(last, first - 1);
    if (is_last) {
      if (scan.torn || data->size() < kSegmentMagic.size()) {
        info->truncated_bytes = data->size() - scan.valid_end;
        const int fd = fs.Open(path, O_WRONLY | O_APPEND, 0);
        if (fd < 0) return ErrnoStatus("open", path);
        absl::Status s;
        if (fs.Truncate(fd, static_cast<off_t>(scan.valid_end)) != 0)
          s = ErrnoStatus("truncate", path);
        if (s.ok() && scan.valid_end < kSegmentMagic.size()) {
          s = WriteAll(fs, fd, kSegmentMagic.substr(scan.valid_end), path);
        }
        if (s.ok() && fs.Sync(fd) != 0) s = ErrnoStatus("fdatasync", path);
        fs.Close(fd);
        if (!s.ok()) return s;
      }
      tail_first = first;
      tail_next = expect;
    }
  }
  last = std::max(last, after_lsn);
  int fd;
  if (!segs->empty() && tail_next == last + 1) {
    const std::string path = options.dir + "/" + SegmentName(tail_first);
    fd = fs.Open(path, O_WRONLY | O_APPEND, 0);
    if (fd < 0) return ErrnoStatus("open", path);
  } else {
    auto created = CreateSegment(fs, options.dir, last + 1);
    if (!created.ok()) return created.status();
    fd = *created;
  }
  info->last_lsn = last;
  if (!options.fatal_handler) options.fatal_handler = DefaultFatal;
  return std::unique_ptr<Ledger>(new Ledger(std::move(options), fd, last));
}

void Ledger::AppendLocked(absl::string_view payload) {
  const uint64_t lsn = ++last_lsn_;
  const size_t start = pending_.size();
  pending_.resize(start + kRecordHeader);
  const size_t body = pending_.size();
  internal::PutFixed64(&pending_, lsn);
  pending_.append(payload.data(), payload.size());
  std::string header;
  internal::PutFixed32(&header, static_cast<uint32_t>(pending_.size() - body));
  internal::PutFixed32(&header, Crc(header, absl::string_view(pending_).substr(body)));
  std::memcpy(&pending_[start], header.data(), kRecordHeader);
}

absl::StatusOr<uint64_t> Ledger::Append(absl::string_view payload) {
  MutexLock lock(&mu_);
  if (!failed_.ok()) return failed_;
  AppendLocked(payload);
  work_cv_.Signal();
  return last_lsn_;
}

absl::StatusOr<uint64_t> Ledger::AppendBatch(absl::Span<const std::string> payloads) {
  MutexLock lock(&mu_);
  if (!failed_.ok()) return failed_;
  for (const std::string& p : payloads) AppendLocked(p);
  if (!payloads.empty()) work_cv_.Signal();
  return last_lsn_;
}

absl::Status Ledger::WaitDurable(uint64_t lsn) {
  MutexLock lock(&mu_);
  while (durable_lsn_ < lsn && failed_.ok()) durable_cv_.Wait(&mu_);
  if (durable_lsn_ >= lsn) return absl::OkStatus();
  return failed_;
}

uint64_t Ledger::last_lsn() const {
  MutexLock lock(&mu_);
  return last_lsn_;
}

void Ledger::Fail(const absl::Status& status) {
  if (failed_.ok()) {
    failed_ = absl::UnavailableError(absl::StrCat(
        "billing ledger stopped, nothing further is acknowledged: ", status.message()));
  }
  durable_cv_.SignalAll();
}

void Ledger::WriterLoop() {
  std::string batch;
  while (true) {
    uint64_t batch_last;
    int fd;
    {
      MutexLock lock(&mu_);
      while (pending_.empty() && !stop_) work_cv_.Wait(&mu_);
      if (pending_.empty() || !failed_.ok()) {
        if (stop_ || !failed_.ok()) return;
        continue;
      }
      batch.clear();
      batch.swap(pending_);
      batch_last = last_lsn_;
      fd = fd_;
      writing_ = true;
    }
    absl::Status s = WriteAll(*options_.fs, fd, batch, options_.dir);
    if (s.ok() && options_.fs->Sync(fd) != 0) s = ErrnoStatus("fdatasync", options_.dir);
    bool report = false;
    {
      MutexLock lock(&mu_);
      writing_ = false;
      if (s.ok()) {
        durable_lsn_ = batch_last;
        durable_cv_.SignalAll();
      } else {
        Fail(s);
        report = !fatal_reported_;
        fatal_reported_ = true;
      }
    }
    if (report) options_.fatal_handler(s);
  }
}

absl::Status Ledger::Rotate() {
  MutexLock lock(&mu_);
  while ((!pending_.empty() || writing_) && failed_.ok()) durable_cv_.Wait(&mu_);
  if (!failed_.ok()) return failed_;
  auto fd = CreateSegment(*options_.fs, options_.dir, last_lsn_ + 1);
  if (!fd.ok()) {
    // Only a new, empty file failed; the log itself is intact, so this is not fatal.
    return fd.status();
  }
  options_.fs->Close(fd_);
  fd_ = *fd;
  return absl::OkStatus();
}

absl::Status Ledger::WriteSnapshot(uint64_t lsn, absl::string_view state) {
  std::string body;
  internal::PutFixed64(&body, lsn);
  internal::PutFixed64(&body, state.size());
  std::string file(kSnapshotMagic);
  file += body;
  internal::PutFixed32(&file, Crc(body, state));
  file.append(state.data(), state.size());
  const std::string path = options_.dir + "/" + SnapshotName(lsn);
  const std::string tmp = path + ".tmp";
  LedgerFs& fs = *options_.fs;
  const int fd = fs.Open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return ErrnoStatus("create", tmp);
  absl::Status s = WriteAll(fs, fd, file, tmp);
  if (s.ok() && fs.FullSync(fd) != 0) s = ErrnoStatus("fsync", tmp);
  fs.Close(fd);
  if (s.ok() && fs.Rename(tmp, path) != 0) s = ErrnoStatus("rename", tmp);
  if (s.ok()) s = FsyncDir(fs, options_.dir);
  if (!s.ok()) fs.Unlink(tmp);
  return s;
}

absl::StatusOr<std::optional<LedgerSnapshot>> Ledger::LoadLatestSnapshot(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 && errno == ENOENT) return std::nullopt;
  auto snaps = ListFiles(dir, "snap-", ".snap");
  if (!snaps.ok()) return snaps.status();
  for (auto it = snaps->rbegin(); it != snaps->rend(); ++it) {
    auto data = ReadFile(dir + "/" + it->second);
    if (!data.ok()) continue;
    const absl::string_view d(*data);
    const size_t header = kSnapshotMagic.size() + 16 + 4;
    if (d.size() < header || !absl::StartsWith(d, kSnapshotMagic)) continue;
    const absl::string_view body = d.substr(kSnapshotMagic.size(), 16);
    internal::ByteReader r(body);
    uint64_t lsn, len;
    r.Fixed64(&lsn);
    r.Fixed64(&len);
    const uint32_t crc = internal::DecodeFixed32(d.data() + kSnapshotMagic.size() + 16);
    if (d.size() - header != len || lsn != it->first) continue;
    const absl::string_view state = d.substr(header);
    if (Crc(body, state) != crc) continue;
    return LedgerSnapshot{lsn, std::string(state)};
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<LedgerRecord>> Ledger::ReadAll(const std::string& dir) {
  auto segs = ListFiles(dir, "wal-", ".log");
  if (!segs.ok()) return segs.status();
  std::vector<LedgerRecord> out;
  for (const auto& seg : *segs) {
    auto data = ReadFile(dir + "/" + seg.second);
    if (!data.ok()) return data.status();
    SegmentScan scan = ScanSegment(*data, seg.first);
    for (LedgerRecord& r : scan.records) out.push_back(std::move(r));
    if (scan.torn) break;
  }
  return out;
}

}  // namespace gavel::billing
