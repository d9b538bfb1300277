#include "learning/training_log.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "learning/training_record.h"

namespace gavel::learning {

absl::StatusOr<std::unique_ptr<TrainingLog>> TrainingLog::Open(TrainingLogOptions options) {
  if (options.max_file_bytes < 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_file_bytes must be >= 4096, got ", options.max_file_bytes));
  }
  if (options.max_file_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("max_file_age must be positive, got ",
                                                   absl::FormatDuration(options.max_file_age)));
  }
  if (options.queue_capacity < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue_capacity must be >= 1, got ", options.queue_capacity));
  }
  struct stat st;
  if (options.dir.empty() || ::stat(options.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(
        absl::StrCat("training log directory \"", options.dir, "\" is not a directory"));
  }
  return std::unique_ptr<TrainingLog>(new TrainingLog(std::move(options)));
}

TrainingLog::TrainingLog(TrainingLogOptions options) : options_(std::move(options)) {
  writer_ = std::thread([this] { Run(); });
}

TrainingLog::~TrainingLog() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    work_cv_.Signal();
  }
  writer_.join();
  if (file_ != nullptr) std::fclose(file_);
}

bool TrainingLog::Append(std::string line) {
  MutexLock lock(&mu_);
  if (failed_ || static_cast<int>(queue_.size()) >= options_.queue_capacity) {
    ++stats_.dropped;
    return false;
  }
  queue_.push_back(std::move(line));
  ++stats_.appended;
  work_cv_.Signal();
  return true;
}

void TrainingLog::Flush() {
  MutexLock lock(&mu_);
  while (!failed_ && (!queue_.empty() || in_progress_ > 0)) drained_cv_.Wait(&mu_);
}

TrainingLogStats TrainingLog::stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

void TrainingLog::Run() {
  std::deque<std::string> batch;
  while (true) {
    {
      MutexLock lock(&mu_);
      // Wake at least once a second so an idle file still closes by age.
      if (!stopping_ && queue_.empty()) work_cv_.WaitWithTimeout(&mu_, absl::Seconds(1));
      if (queue_.empty() && stopping_) return;
      batch.swap(queue_);
      in_progress_ = static_cast<int64_t>(batch.size());
    }
    const int64_t n = static_cast<int64_t>(batch.size());
    const bool ok = WriteLines(batch);
    MutexLock lock(&mu_);
    in_progress_ = 0;
    drained_cv_.SignalAll();
    if (ok) {
      stats_.written += n;
    } else {
      failed_ = true;
      stats_.dropped += n + static_cast<int64_t>(queue_.size());
      queue_.clear();
      return;
    }
  }
}

bool TrainingLog::WriteLines(std::deque<std::string>& lines) {
  if (file_ != nullptr && options_.now() - file_opened_ >= options_.max_file_age) {
    std::fclose(file_);  // an old file is closed even when idle; the next line opens a new one
    file_ = nullptr;
  }
  if (file_ == nullptr && !lines.empty() && !Rotate()) return false;
  for (const std::string& line : lines) {
    if (file_bytes_ > 0 && file_bytes_ + static_cast<int64_t>(line.size()) > options_.max_file_bytes) {
      if (!Rotate()) return false;
    }
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
      MutexLock lock(&mu_);
      stats_.error = absl::StrCat("training log: write failed: ", std::strerror(errno));
      return false;
    }
    file_bytes_ += static_cast<int64_t>(line.size());
  }
  lines.clear();
  if (file_ != nullptr && std::fflush(file_) != 0) {
    MutexLock lock(&mu_);
    stats_.error = absl::StrCat("training log: write failed: ", std::strerror(errno));
    return false;
  }
  return true;
}

bool TrainingLog::Rotate() {
  if (file_ != nullptr) std::fclose(file_);
  file_opened_ = options_.now();
  std::string path;
  // Never append to or replace an existing file (a restart in the same second): take the next
  // sequence number instead.
  do {
    path = absl::StrCat(options_.dir, "/training-",
                        absl::FormatTime("%Y%m%dT%H%M%S", file_opened_, absl::UTCTimeZone()), "-",
                        seq_++, ".log");
    file_ = std::fopen(path.c_str(), "wx");
  } while (file_ == nullptr && errno == EEXIST);
  std::string error;
  if (file_ == nullptr) {
    error = absl::StrCat("training log: cannot create ", path, ": ", std::strerror(errno));
  } else {
    const std::string header = absl::StrCat(kLogHeader, "\n");
    if (std::fwrite(header.data(), 1, header.size(), file_) != header.size()) {
      error = absl::StrCat("training log: write failed: ", std::strerror(errno));
    }
    file_bytes_ = static_cast<int64_t>(header.size());
  }
  MutexLock lock(&mu_);
  if (!error.empty()) {
    stats_.error = error;
    return false;
  }
  ++stats_.files;
  return true;
}

}  // namespace gavel::learning
