#include "store/pg_catalog.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pg/result.h"

namespace gavel::store {
namespace {

// Reconnects a connection that broke; kUnavailable while the database is still away.
absl::Status Ensure(pg::Connection& conn) {
  return conn.IsConnectionLost() ? conn.Reset() : absl::OkStatus();
}

// The stored catalog and its version. kNotFound if there is none yet.
absl::StatusOr<std::pair<int64_t, gavel::v1::Catalog>> Read(pg::Connection& conn) {
  auto r = conn.Exec("SELECT version, body FROM catalog WHERE id = 1");
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return absl::NotFoundError("no catalog stored yet");
  auto version = r->GetInt64(0, 0);
  if (!version.ok()) return version.status();
  auto body = r->GetBytes(0, 1);
  if (!body.ok()) return body.status();
  gavel::v1::Catalog catalog;
  if (!catalog.ParseFromString(*body)) {
    return absl::DataLossError(
        absl::StrCat("the catalog stored in the database (version ", *version, ") does not parse"));
  }
  return std::make_pair(*version, std::move(catalog));
}

}  // namespace

PostgresCatalog::PostgresCatalog(std::unique_ptr<pg::Connection> conn,
                                 std::unique_ptr<pg::Connection> poll, const Clock* clock)
    : clock_(clock), conn_(std::move(conn)), poll_(std::move(poll)) {}

absl::StatusOr<std::unique_ptr<PostgresCatalog>> PostgresCatalog::Open(const std::string& conninfo,
                                                                       const Clock* clock) {
  auto conn = pg::Connection::Open(conninfo);
  if (!conn.ok()) return conn.status();
  auto poll = pg::Connection::Open(conninfo);
  if (!poll.ok()) return poll.status();
  return std::unique_ptr<PostgresCatalog>(
      new PostgresCatalog(*std::move(conn), *std::move(poll), clock));
}

PostgresCatalog::~PostgresCatalog() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    stop_cv_.SignalAll();
  }
  if (follower_.joinable()) follower_.join();
}

absl::StatusOr<std::optional<gavel::v1::Catalog>> PostgresCatalog::Load() {
  MutexLock lock(&mu_);
  auto stored = Read(*conn_);
  if (absl::IsNotFound(stored.status())) return std::nullopt;
  if (!stored.ok()) return stored.status();
  version_ = stored->first;
  return std::move(stored->second);
}

absl::StatusOr<bool> PostgresCatalog::Seed(const gavel::v1::Catalog& seed) {
  std::string body;
  if (!seed.SerializeToString(&body)) return absl::InternalError("cannot serialize the catalog");
  MutexLock lock(&mu_);
  auto r = conn_->ExecParams(
      "INSERT INTO catalog (id, version, body, updated_at) VALUES (1, 1, $1::bytea, $2) "
      "ON CONFLICT (id) DO NOTHING",
      {pg::EncodeBytea(body), absl::ToUnixMicros(clock_->Now())});
  if (!r.ok()) return r.status();
  if (r->affected_rows() == 1) version_ = 1;
  return r->affected_rows() == 1;
}

absl::Status PostgresCatalog::Write(const gavel::v1::Catalog& catalog) {
  std::string body;
  if (!catalog.SerializeToString(&body)) return absl::InternalError("cannot serialize the catalog");
  MutexLock lock(&mu_);
  absl::Status st = Ensure(*conn_);
  if (!st.ok()) return st;
  auto r = conn_->ExecParams(
      "UPDATE catalog SET version = version + 1, body = $1::bytea, updated_at = $2 "
      "WHERE id = 1 AND version = $3 RETURNING version",
      {pg::EncodeBytea(body), absl::ToUnixMicros(clock_->Now()), version_});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) {
    return absl::AbortedError(
        absl::StrCat("the catalog changed on another replica since this one loaded version ",
                     version_, "; it is loading the newer one: retry the write"));
  }
  auto v = r->GetInt64(0, 0);
  if (!v.ok()) return v.status();
  version_ = *v;
  return absl::OkStatus();
}

int64_t PostgresCatalog::version() const {
  MutexLock lock(&mu_);
  return version_;
}

void PostgresCatalog::Follow(std::function<absl::Status(gavel::v1::Catalog)> adopt,
                             absl::Duration every) {
  follower_ = std::thread([this, adopt = std::move(adopt), every] { Poll(adopt, every); });
}

void PostgresCatalog::Poll(std::function<absl::Status(gavel::v1::Catalog)> adopt,
                           absl::Duration every) {
  while (true) {
    int64_t known;
    {
      MutexLock lock(&mu_);
      if (!stopping_) stop_cv_.WaitWithTimeout(&mu_, every);
      if (stopping_) return;
      known = version_;
    }
    if (!Ensure(*poll_).ok()) continue;
    auto r = poll_->Exec("SELECT version FROM catalog WHERE id = 1");
    if (!r.ok() || r->rows() == 0) continue;
    auto v = r->GetInt64(0, 0);
    if (!v.ok() || *v <= known) continue;
    auto stored = Read(*poll_);
    if (!stored.ok()) continue;
    {
      MutexLock lock(&mu_);
      if (stored->first <= version_) continue;  // this replica's own write
    }
    // The version moves only once the newer catalog serves here, so a write made meanwhile
    // (against the older one) is refused rather than undoing the newer catalog.
    if (!adopt(std::move(stored->second)).ok()) continue;
    MutexLock lock(&mu_);
    version_ = std::max(version_, stored->first);
  }
}

}  // namespace gavel::store
