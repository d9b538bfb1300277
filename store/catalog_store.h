// The admin side of the catalog: the editable master copy behind CampaignService.
//
// Every write copies the master, applies the change, and hands the copy to a `Publisher` (which
// builds an immutable serving snapshot and swaps it in) and then to a `Persister` (which makes it
// durable). Only when both succeed does the copy become the master; if persisting fails the old
// catalog is published again, so a rejected write changes nothing, in memory or on disk. Auctions
// never touch this object: they read the published snapshot.
//
//   CatalogStore store(std::move(catalog), [&](const gavel::v1::Catalog& c, int64_t version) {
//     return engine.Publish(c, version);
//   });
//   absl::Status st = store.Init();
//   absl::StatusOr<int64_t> v = store.SetState(gavel::v1::ENTITY_KIND_CAMPAIGN, "c-1",
//                                              gavel::v1::ENTITY_STATE_PAUSED);
//
// Entities are handled generically by kind (advertiser, campaign, ad group, product ad, target)
// through protobuf reflection; the catalog's auction rules are one more part of the master,
// written the same way (UpdateAuctionRules), so changing them keeps every entity edit.
// Thread-safe: writes are serialized; the publisher runs under the store's lock. A 1M-ad catalog
// costs one full copy and snapshot build per write (seconds); batching writes is future work.
#ifndef GAVEL_STORE_CATALOG_STORE_H_
#define GAVEL_STORE_CATALOG_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/sync.h"
#include "gavel/v1/campaigns.pb.h"
#include "gavel/v1/types.pb.h"

namespace gavel::store {

class CatalogStore {
 public:
  // Builds and publishes a serving snapshot of `catalog` as `version`. Returns the validation error
  // (INVALID_ARGUMENT naming the entity and field) if the catalog cannot serve.
  using Publisher = std::function<absl::Status(const gavel::v1::Catalog& catalog, int64_t version)>;
  // Makes a published catalog durable (e.g. WriteCatalogFile); an error undoes the write.
  using Persister = std::function<absl::Status(const gavel::v1::Catalog& catalog)>;

  // `persist` may be empty: writes then live only in memory until restart.
  CatalogStore(gavel::v1::Catalog initial, Publisher publish, Persister persist = nullptr);

  // Publishes the initial catalog as version 1.
  absl::Status Init();

  // Adds `entity` (an Advertiser, Campaign, AdGroup, ProductAd or Target, matching `kind`).
  // ALREADY_EXISTS for a used id; NOT_FOUND for an unknown parent; INVALID_ARGUMENT otherwise.
  // Returns the stored entity.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Create(
      gavel::v1::EntityKind kind, const google::protobuf::Message& entity);

  // Overwrites the fields named in `mask` (all fields set in `entity` when empty). Ids and parent
  // ids cannot change (INVALID_ARGUMENT). NOT_FOUND for an unknown id.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Update(
      gavel::v1::EntityKind kind, const google::protobuf::Message& entity,
      const std::vector<std::string>& mask);

  // Pauses, enables or archives. FAILED_PRECONDITION when enabling or pausing an archived entity.
  // Returns the new catalog version.
  absl::StatusOr<int64_t> SetState(gavel::v1::EntityKind kind, const std::string& id,
                                   gavel::v1::EntityState state);

  // Appends to `out` (a List*Response) the entities of `kind` under `parent_id` (all when empty),
  // in id order, after `page_token`; sets next_page_token when more remain. With `advertiser`,
  // only the entities that advertiser owns are listed (and paged).
  absl::Status List(gavel::v1::EntityKind kind, const gavel::v1::ListRequest& request,
                    google::protobuf::Message* out, absl::string_view advertiser = {}) const;

  // The advertiser that owns stored entity `id` of `kind` (the advertiser itself for one):
  // NOT_FOUND when there is no such entity. Parent ids never change, so neither does an owner.
  absl::StatusOr<std::string> OwnerOf(gavel::v1::EntityKind kind, const std::string& id) const;
  // The advertiser that would own `entity` once created: its advertiser's id for an advertiser or
  // campaign, the owner of its parent otherwise (NOT_FOUND for an unknown parent).
  absl::StatusOr<std::string> OwnerOfNew(gavel::v1::EntityKind kind,
                                         const google::protobuf::Message& entity) const;

  // The catalog's auction rules as stored (unset fields mean their defaults), and the version they
  // were published with.
  struct VersionedRules {
    gavel::v1::AuctionRules rules;
    int64_t version = 0;
  };
  VersionedRules auction_rules() const;

  // Changes the auction rules and leaves every entity as it is. `mask` names the fields to change
  // (a named field that `rules` leaves unset goes back to its default); empty = every field set in
  // `rules`; {"*"} = replace the rules with `rules`. INVALID_ARGUMENT for a name AuctionRules has
  // no field for, or when the publisher rejects the result (then nothing changes). Returns the
  // stored rules and their new version.
  absl::StatusOr<VersionedRules> UpdateAuctionRules(const gavel::v1::AuctionRules& rules,
                                                    const std::vector<std::string>& mask);

  // Replaces the whole catalog (file reload), auction rules and admin writes included. Returns the
  // new version.
  absl::StatusOr<int64_t> Replace(gavel::v1::Catalog catalog);
  // Replaces the whole catalog with one already durable elsewhere (another replica's write, read
  // from the shared store): published, not persisted. Returns the new version; the publisher's
  // error (nothing changes) if it cannot serve.
  absl::StatusOr<int64_t> Adopt(gavel::v1::Catalog catalog);

  // Publishes the master catalog again, unchanged, under a new version (the server's click model
  // changed; docs/learning.md, "Model reload"): not persisted. Returns the new version; the
  // publisher's error (nothing changes) if it cannot serve.
  absl::StatusOr<int64_t> Republish();

  int64_t version() const;
  // A copy of the master catalog.
  gavel::v1::Catalog Snapshot() const;

 private:
  absl::StatusOr<int64_t> Commit(gavel::v1::Catalog next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> OwnerOfLocked(gavel::v1::EntityKind kind, std::string id) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const Publisher publish_;
  const Persister persist_;
  mutable Mutex mu_;
  gavel::v1::Catalog master_ ABSL_GUARDED_BY(mu_);
  int64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gavel::store

#endif  // GAVEL_STORE_CATALOG_STORE_H_
