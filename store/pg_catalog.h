// The catalog replicas share, kept in PostgreSQL (table `catalog`, pg/migrations/0002): the whole
// gavel.v1.Catalog and a version counter. Every replica serves from its own snapshot; an admin
// write or reload on any replica writes the next version, and the others see the version move
// (they poll it every 250 ms) and rebuild their snapshot from it (docs/billing.md, "PostgreSQL
// store").
//
//   auto shared = PostgresCatalog::Open(conninfo, &clock);
//   std::optional<gavel::v1::Catalog> stored = *(*shared)->Load();  // else serve the file, Seed it
//   CatalogStore store(*stored, publish, [&](const auto& c) { return (*shared)->Write(c); });
//   (*shared)->Follow([&](gavel::v1::Catalog c) { return store.Adopt(std::move(c)).status(); });
//
// Writes are optimistic: a replica writes the next version only if the database still holds the
// version it last loaded, so a write never silently undoes another replica's. Thread-safe.
#ifndef GAVEL_STORE_PG_CATALOG_H_
#define GAVEL_STORE_PG_CATALOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/sync.h"
#include "gavel/v1/campaigns.pb.h"
#include "pg/connection.h"

namespace gavel::store {

class PostgresCatalog {
 public:
  // Connects to a database whose schema is migrated (pg::Migrate). kUnavailable as
  // pg::Connection::Open. Does not own `clock`.
  static absl::StatusOr<std::unique_ptr<PostgresCatalog>> Open(const std::string& conninfo,
                                                               const Clock* clock);
  ~PostgresCatalog();

  // The stored catalog, or nullopt if the database has none yet. kDataLoss if it does not parse;
  // kUnavailable if the database cannot be reached.
  absl::StatusOr<std::optional<gavel::v1::Catalog>> Load();
  // Stores `seed` as version 1 if the database still has no catalog (call it once `seed` has
  // published, so a catalog that cannot serve never reaches the database). Returns true if
  // `seed` was stored; false if another replica seeded first (Load and adopt its catalog).
  absl::StatusOr<bool> Seed(const gavel::v1::Catalog& seed);

  // Stores `catalog` as the next version (a CatalogStore persister). kAborted if another replica
  // wrote since this one last loaded the catalog (the write is not applied; this replica adopts
  // the newer catalog within moments, and the caller may retry); kUnavailable if the database
  // cannot be reached.
  absl::Status Write(const gavel::v1::Catalog& catalog);

  // Starts a thread that polls the version every `every` and, when it moved past the one this
  // replica last loaded or wrote, reads the catalog and calls `adopt` with it (not under any
  // lock of this object). Call once.
  void Follow(std::function<absl::Status(gavel::v1::Catalog)> adopt,
              absl::Duration every = absl::Milliseconds(250));

  // The version this replica last loaded or wrote.
  int64_t version() const;

 private:
  PostgresCatalog(std::unique_ptr<pg::Connection> conn, std::unique_ptr<pg::Connection> poll,
                  const Clock* clock);
  void Poll(std::function<absl::Status(gavel::v1::Catalog)> adopt, absl::Duration every);

  const Clock* const clock_;
  mutable Mutex mu_;
  std::unique_ptr<pg::Connection> conn_ ABSL_GUARDED_BY(mu_);  // writes and LoadOrSeed
  int64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  CondVar stop_cv_;
  std::unique_ptr<pg::Connection> poll_;  // the follower thread's own
  std::thread follower_;
};

}  // namespace gavel::store

#endif  // GAVEL_STORE_PG_CATALOG_H_
