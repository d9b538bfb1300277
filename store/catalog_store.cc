#include "store/catalog_store.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convert/limits.h"
#include "convert/validate.h"

namespace gavel::store {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

struct KindInfo {
  const char* name;           // For messages: "campaign".
  const char* catalog_field;  // Repeated field of gavel.v1.Catalog.
  const char* parent_field;   // Field naming the parent id; "" for advertisers.
  gavel::v1::EntityKind parent_kind;
};

absl::StatusOr<KindInfo> Info(gavel::v1::EntityKind kind) {
  switch (kind) {
    case gavel::v1::ENTITY_KIND_ADVERTISER:
      return KindInfo{"advertiser", "advertisers", "", gavel::v1::ENTITY_KIND_UNSPECIFIED};
    case gavel::v1::ENTITY_KIND_CAMPAIGN:
      return KindInfo{"campaign", "campaigns", "advertiser_id", gavel::v1::ENTITY_KIND_ADVERTISER};
    case gavel::v1::ENTITY_KIND_AD_GROUP:
      return KindInfo{"ad group", "ad_groups", "campaign_id", gavel::v1::ENTITY_KIND_CAMPAIGN};
    case gavel::v1::ENTITY_KIND_PRODUCT_AD:
      return KindInfo{"product ad", "product_ads", "ad_group_id", gavel::v1::ENTITY_KIND_AD_GROUP};
    case gavel::v1::ENTITY_KIND_TARGET:
      return KindInfo{"target", "targets", "ad_group_id", gavel::v1::ENTITY_KIND_AD_GROUP};
    default:
      return absl::InvalidArgumentError(absl::StrCat("kind has unknown value ", kind));
  }
}

const FieldDescriptor* CatalogField(const KindInfo& info) {
  return gavel::v1::Catalog::descriptor()->FindFieldByName(info.catalog_field);
}

std::string GetString(const Message& m, const char* field) {
  const FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(field);
  return f == nullptr ? "" : m.GetReflection()->GetString(m, f);
}

// Index of the entity with `id` in the catalog's repeated field, or -1.
int Find(const gavel::v1::Catalog& catalog, const KindInfo& info, const std::string& id) {
  const FieldDescriptor* field = CatalogField(info);
  const Reflection* r = catalog.GetReflection();
  const int n = r->FieldSize(catalog, field);
  for (int i = 0; i < n; ++i) {
    if (GetString(r->GetRepeatedMessage(catalog, field, i), "id") == id) return i;
  }
  return -1;
}

absl::Status CheckParent(const gavel::v1::Catalog& catalog, const KindInfo& info,
                         const Message& entity) {
  if (info.parent_field[0] == '\0') return absl::OkStatus();
  const std::string parent = GetString(entity, info.parent_field);
  absl::Status st = convert::ValidateId(absl::StrCat(info.name, ".", info.parent_field), parent);
  if (!st.ok()) return st;
  absl::StatusOr<KindInfo> parent_info = Info(info.parent_kind);
  if (Find(catalog, *parent_info, parent) < 0) {
    return absl::NotFoundError(absl::StrCat(info.name, ".", info.parent_field, ": no ",
                                            parent_info->name, " \"", parent, "\""));
  }
  return absl::OkStatus();
}

// What a create or update is about: the entity kind, the catalog's list of it, and the entity's id.
struct Target {
  KindInfo info;
  const FieldDescriptor* field;
  std::string id;
};

// INVALID_ARGUMENT for an unknown kind, an entity of another type, or a bad id.
absl::StatusOr<Target> TargetOf(gavel::v1::EntityKind kind, const Message& entity) {
  absl::StatusOr<KindInfo> info = Info(kind);
  if (!info.ok()) return info.status();
  const FieldDescriptor* field = CatalogField(*info);
  if (entity.GetDescriptor() != field->message_type()) {
    return absl::InvalidArgumentError(absl::StrCat(info->name, " is required"));
  }
  std::string id = GetString(entity, "id");
  absl::Status st = convert::ValidateId(absl::StrCat(info->name, ".id"), id);
  if (!st.ok()) return st;
  return Target{*info, field, std::move(id)};
}

// Sets field `f` of `to` to its value in `from`: cleared when `from` does not set it.
void CopyField(const Message& from, const FieldDescriptor* f, Message* to) {
  to->GetReflection()->ClearField(to, f);
  // Merge just that field: a copy of `from` with every other field cleared.
  std::unique_ptr<Message> only(from.New());
  only->CopyFrom(from);
  std::vector<const FieldDescriptor*> set;
  only->GetReflection()->ListFields(*only, &set);
  for (const FieldDescriptor* other : set) {
    if (other != f) only->GetReflection()->ClearField(only.get(), other);
  }
  to->MergeFrom(*only);
}

// The fields an update copies: those named in `mask`, or every field set in `message` when it is
// empty. INVALID_ARGUMENT naming `what` for a name `message` has no field for.
absl::StatusOr<std::vector<const FieldDescriptor*>> MaskedFields(
    const Message& message, absl::string_view what, const std::vector<std::string>& mask) {
  std::vector<const FieldDescriptor*> fields;
  if (mask.empty()) {
    message.GetReflection()->ListFields(message, &fields);
    return fields;
  }
  for (const std::string& name : mask) {
    const FieldDescriptor* f = message.GetDescriptor()->FindFieldByName(name);
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: ", what, " has no field \"", name, "\""));
    }
    fields.push_back(f);
  }
  return fields;
}

}  // namespace

CatalogStore::CatalogStore(gavel::v1::Catalog initial, Publisher publish, Persister persist)
    : publish_(std::move(publish)), persist_(std::move(persist)), master_(std::move(initial)) {}

absl::Status CatalogStore::Init() {
  MutexLock lock(&mu_);
  absl::Status st = publish_(master_, 1);
  if (st.ok()) version_ = 1;
  return st;
}

absl::StatusOr<int64_t> CatalogStore::Commit(gavel::v1::Catalog next) {
  absl::Status st = publish_(next, version_ + 1);
  if (!st.ok()) return st;
  if (persist_ != nullptr) {
    st = persist_(next);
    if (!st.ok()) {
      // Serve the old catalog again (it built before, so it builds now), under a newer version.
      version_ += 2;
      (void)publish_(master_, version_);
      return st;
    }
  }
  master_ = std::move(next);
  return ++version_;
}

absl::StatusOr<std::unique_ptr<Message>> CatalogStore::Create(gavel::v1::EntityKind kind,
                                                              const Message& entity) {
  absl::StatusOr<Target> target = TargetOf(kind, entity);
  if (!target.ok()) return target.status();
  const KindInfo* info = &target->info;
  const FieldDescriptor* field = target->field;
  const std::string& id = target->id;
  absl::Status st;

  MutexLock lock(&mu_);
  if (Find(master_, *info, id) >= 0) {
    return absl::AlreadyExistsError(absl::StrCat(info->name, " \"", id, "\" already exists"));
  }
  st = CheckParent(master_, *info, entity);
  if (!st.ok()) return st;
  gavel::v1::Catalog next = master_;
  Message* added = next.GetReflection()->AddMessage(&next, field);
  added->CopyFrom(entity);
  // New entities serve unless created paused.
  const FieldDescriptor* state = added->GetDescriptor()->FindFieldByName("state");
  if (added->GetReflection()->GetEnumValue(*added, state) == gavel::v1::ENTITY_STATE_UNSPECIFIED) {
    added->GetReflection()->SetEnumValue(added, state, gavel::v1::ENTITY_STATE_ENABLED);
  }
  std::unique_ptr<Message> result(added->New());
  result->CopyFrom(*added);
  absl::StatusOr<int64_t> v = Commit(std::move(next));
  if (!v.ok()) return v.status();
  return result;
}

absl::StatusOr<std::unique_ptr<Message>> CatalogStore::Update(
    gavel::v1::EntityKind kind, const Message& entity, const std::vector<std::string>& mask) {
  absl::StatusOr<Target> target = TargetOf(kind, entity);
  if (!target.ok()) return target.status();
  const KindInfo* info = &target->info;
  const FieldDescriptor* field = target->field;
  const std::string& id = target->id;
  absl::Status st;

  absl::StatusOr<std::vector<const FieldDescriptor*>> fields =
      MaskedFields(entity, info->name, mask);
  if (!fields.ok()) return fields.status();

  MutexLock lock(&mu_);
  const int index = Find(master_, *info, id);
  if (index < 0) return absl::NotFoundError(absl::StrCat(info->name, " \"", id, "\" not found"));
  gavel::v1::Catalog next = master_;
  Message* stored = next.GetReflection()->MutableRepeatedMessage(&next, field, index);
  for (const FieldDescriptor* f : *fields) {
    if (f->name() == "id") continue;
    if (f->name() == info->parent_field || f->name() == "state") {
      const bool differs =
          f->name() == "state"
              ? stored->GetReflection()->GetEnumValue(*stored, f) !=
                    entity.GetReflection()->GetEnumValue(entity, f)
              : GetString(*stored, f->name().c_str()) != GetString(entity, f->name().c_str());
      if (!differs) continue;
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: ", info->name, ".", f->name(),
                       f->name() == "state" ? " changes through SetState" : " cannot change"));
    }
    CopyField(entity, f, stored);
  }
  std::unique_ptr<Message> result(stored->New());
  result->CopyFrom(*stored);
  absl::StatusOr<int64_t> v = Commit(std::move(next));
  if (!v.ok()) return v.status();
  return result;
}

absl::StatusOr<int64_t> CatalogStore::SetState(gavel::v1::EntityKind kind, const std::string& id,
                                               gavel::v1::EntityState state) {
  absl::StatusOr<KindInfo> info = Info(kind);
  if (!info.ok()) return info.status();
  if (state == gavel::v1::ENTITY_STATE_UNSPECIFIED || !gavel::v1::EntityState_IsValid(state)) {
    return absl::InvalidArgumentError(absl::StrCat("state has unknown value ", state));
  }
  absl::Status st = convert::ValidateId("id", id);
  if (!st.ok()) return st;
  MutexLock lock(&mu_);
  const int index = Find(master_, *info, id);
  if (index < 0) return absl::NotFoundError(absl::StrCat(info->name, " \"", id, "\" not found"));
  gavel::v1::Catalog next = master_;
  Message* stored = next.GetReflection()->MutableRepeatedMessage(&next, CatalogField(*info), index);
  const FieldDescriptor* state_field = stored->GetDescriptor()->FindFieldByName("state");
  const int current = stored->GetReflection()->GetEnumValue(*stored, state_field);
  if (current == gavel::v1::ENTITY_STATE_ARCHIVED && state != gavel::v1::ENTITY_STATE_ARCHIVED) {
    return absl::FailedPreconditionError(
        absl::StrCat(info->name, " \"", id, "\" is archived and cannot change state"));
  }
  stored->GetReflection()->SetEnumValue(stored, state_field, state);
  return Commit(std::move(next));
}

absl::StatusOr<std::string> CatalogStore::OwnerOfLocked(gavel::v1::EntityKind kind,
                                                        std::string id) const {
  while (true) {
    absl::StatusOr<KindInfo> info = Info(kind);
    if (!info.ok()) return info.status();
    const int index = Find(master_, *info, id);
    if (index < 0) return absl::NotFoundError(absl::StrCat(info->name, " \"", id, "\" not found"));
    if (kind == gavel::v1::ENTITY_KIND_ADVERTISER) return id;
    id = GetString(master_.GetReflection()->GetRepeatedMessage(master_, CatalogField(*info), index),
                   info->parent_field);
    kind = info->parent_kind;
  }
}

absl::StatusOr<std::string> CatalogStore::OwnerOf(gavel::v1::EntityKind kind,
                                                  const std::string& id) const {
  ReaderMutexLock lock(&mu_);
  return OwnerOfLocked(kind, id);
}

absl::StatusOr<std::string> CatalogStore::OwnerOfNew(gavel::v1::EntityKind kind,
                                                     const Message& entity) const {
  absl::StatusOr<Target> target = TargetOf(kind, entity);
  if (!target.ok()) return target.status();
  if (kind == gavel::v1::ENTITY_KIND_ADVERTISER) return target->id;
  const std::string parent = GetString(entity, target->info.parent_field);
  if (kind == gavel::v1::ENTITY_KIND_CAMPAIGN) return parent;
  ReaderMutexLock lock(&mu_);
  return OwnerOfLocked(target->info.parent_kind, parent);
}

namespace {

// The ids of the entities of `kind` that `advertiser` owns, top-down (one pass per level), so
// that a scoped List costs a few passes over the catalog rather than a parent walk per entity.
absl::flat_hash_set<std::string> OwnedIds(const gavel::v1::Catalog& catalog,
                                          gavel::v1::EntityKind kind,
                                          absl::string_view advertiser) {
  if (kind == gavel::v1::ENTITY_KIND_ADVERTISER) return {std::string(advertiser)};
  absl::StatusOr<KindInfo> info = Info(kind);
  const absl::flat_hash_set<std::string> parents = OwnedIds(catalog, info->parent_kind, advertiser);
  absl::flat_hash_set<std::string> owned;
  const FieldDescriptor* field = CatalogField(*info);
  const Reflection* r = catalog.GetReflection();
  for (int i = 0, n = r->FieldSize(catalog, field); i < n; ++i) {
    const Message& m = r->GetRepeatedMessage(catalog, field, i);
    if (parents.contains(GetString(m, info->parent_field))) owned.insert(GetString(m, "id"));
  }
  return owned;
}

}  // namespace

absl::Status CatalogStore::List(gavel::v1::EntityKind kind, const gavel::v1::ListRequest& request,
                                Message* out, absl::string_view advertiser) const {
  absl::StatusOr<KindInfo> info = Info(kind);
  if (!info.ok()) return info.status();
  int page_size = request.page_size() == 0 ? convert::kDefaultListPageSize : request.page_size();
  if (page_size < 1 || page_size > convert::kMaxListPageSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size must be in [1, ", convert::kMaxListPageSize, "], got ", request.page_size()));
  }
  const FieldDescriptor* out_field = out->GetDescriptor()->field(0);
  const FieldDescriptor* next_token = out->GetDescriptor()->FindFieldByName("next_page_token");

  ReaderMutexLock lock(&mu_);
  const FieldDescriptor* field = CatalogField(*info);
  const Reflection* r = master_.GetReflection();
  // Scoped to an advertiser: an entity is listed when its parent is the advertiser's.
  const bool scoped = !advertiser.empty();
  const absl::flat_hash_set<std::string> owned_parents =
      scoped && kind != gavel::v1::ENTITY_KIND_ADVERTISER
          ? OwnedIds(master_, info->parent_kind, advertiser)
          : absl::flat_hash_set<std::string>();
  std::vector<const Message*> selected;
  for (int i = 0, n = r->FieldSize(master_, field); i < n; ++i) {
    const Message& m = r->GetRepeatedMessage(master_, field, i);
    if (scoped && (kind == gavel::v1::ENTITY_KIND_ADVERTISER
                       ? GetString(m, "id") != advertiser
                       : !owned_parents.contains(GetString(m, info->parent_field)))) {
      continue;
    }
    if (!request.parent_id().empty() && (info->parent_field[0] == '\0' ||
                                         GetString(m, info->parent_field) != request.parent_id())) {
      continue;
    }
    // The page token is the last id of the previous page: ids are unique and listed in order.
    if (!request.page_token().empty() && GetString(m, "id") <= request.page_token()) continue;
    selected.push_back(&m);
  }
  std::sort(selected.begin(), selected.end(), [](const Message* a, const Message* b) {
    return GetString(*a, "id") < GetString(*b, "id");
  });
  const bool more = static_cast<int>(selected.size()) > page_size;
  if (more) selected.resize(page_size);
  for (const Message* m : selected) out->GetReflection()->AddMessage(out, out_field)->CopyFrom(*m);
  if (more) out->GetReflection()->SetString(out, next_token, GetString(*selected.back(), "id"));
  return absl::OkStatus();
}

CatalogStore::VersionedRules CatalogStore::auction_rules() const {
  ReaderMutexLock lock(&mu_);
  return VersionedRules{master_.auction_rules(), version_};
}

absl::StatusOr<CatalogStore::VersionedRules> CatalogStore::UpdateAuctionRules(
    const gavel::v1::AuctionRules& rules, const std::vector<std::string>& mask) {
  std::vector<const FieldDescriptor*> fields;
  if (mask.size() == 1 && mask[0] == "*") {
    for (int i = 0; i < rules.GetDescriptor()->field_count(); ++i) {
      fields.push_back(rules.GetDescriptor()->field(i));
    }
  } else {
    absl::StatusOr<std::vector<const FieldDescriptor*>> masked =
        MaskedFields(rules, "auction_rules", mask);
    if (!masked.ok()) return masked.status();
    fields = *std::move(masked);
  }
  MutexLock lock(&mu_);
  gavel::v1::Catalog next = master_;
  for (const FieldDescriptor* f : fields) CopyField(rules, f, next.mutable_auction_rules());
  gavel::v1::AuctionRules stored = next.auction_rules();
  absl::StatusOr<int64_t> version = Commit(std::move(next));
  if (!version.ok()) return version.status();
  return VersionedRules{std::move(stored), *version};
}

absl::StatusOr<int64_t> CatalogStore::Republish() {
  MutexLock lock(&mu_);
  absl::Status st = publish_(master_, version_ + 1);
  if (!st.ok()) return st;
  return ++version_;
}

absl::StatusOr<int64_t> CatalogStore::Replace(gavel::v1::Catalog catalog) {
  MutexLock lock(&mu_);
  return Commit(std::move(catalog));
}

absl::StatusOr<int64_t> CatalogStore::Adopt(gavel::v1::Catalog catalog) {
  MutexLock lock(&mu_);
  absl::Status st = publish_(catalog, version_ + 1);
  if (!st.ok()) return st;
  master_ = std::move(catalog);
  return ++version_;
}

int64_t CatalogStore::version() const {
  ReaderMutexLock lock(&mu_);
  return version_;
}

gavel::v1::Catalog CatalogStore::Snapshot() const {
  ReaderMutexLock lock(&mu_);
  return master_;
}

}  // namespace gavel::store
