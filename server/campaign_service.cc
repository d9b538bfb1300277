#include "server/campaign_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "convert/rules_convert.h"
#include "server/status.h"

namespace gavel::server {

using gavel::v1::EntityKind;

namespace {

const char* KindName(EntityKind kind) {
  switch (kind) {
    case gavel::v1::ENTITY_KIND_ADVERTISER:
      return "advertiser";
    case gavel::v1::ENTITY_KIND_CAMPAIGN:
      return "campaign";
    case gavel::v1::ENTITY_KIND_AD_GROUP:
      return "ad group";
    case gavel::v1::ENTITY_KIND_PRODUCT_AD:
      return "product ad";
    case gavel::v1::ENTITY_KIND_TARGET:
      return "target";
    default:
      return "entity";
  }
}

// An advertiser's key reaches only what its advertiser owns. PERMISSION_DENIED otherwise, whether
// or not the entity exists (as Google's AIP-211 asks), so that a key cannot probe another
// advertiser's ids; the operator's key reaches everything.
absl::Status Owns(const AdminCaller& caller, const absl::StatusOr<std::string>& owner,
                  EntityKind kind, absl::string_view id) {
  if (caller.is_operator()) return absl::OkStatus();
  if (owner.ok() && *owner == caller.advertiser) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("the admin key of advertiser ", caller.advertiser,
                                                  " may not access ", KindName(kind), " \"", id,
                                                  "\""));
}

absl::Status OperatorOnly(const AdminCaller& caller, absl::string_view what) {
  if (caller.is_operator()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      what, " needs the operator's admin key, not advertiser ", caller.advertiser, "'s"));
}

std::string IdOf(const google::protobuf::Message& m) {
  const google::protobuf::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName("id");
  return f == nullptr ? "" : m.GetReflection()->GetString(m, f);
}

}  // namespace

grpc::ServerUnaryReactor* CampaignServiceImpl::Handle(
    grpc::CallbackServerContext* ctx, const std::function<absl::Status(const AdminCaller&)>& body) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<AdminCaller> caller = auth_->Check(ctx->client_metadata());
  absl::Status st = caller.ok() ? body(*caller) : caller.status();
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

grpc::ServerUnaryReactor* CampaignServiceImpl::DoCreate(grpc::CallbackServerContext* ctx,
                                                        EntityKind kind,
                                                        const google::protobuf::Message& entity,
                                                        google::protobuf::Message* resp) {
  return Handle(ctx, [&](const AdminCaller& caller) -> absl::Status {
    if (kind == gavel::v1::ENTITY_KIND_ADVERTISER) {
      if (absl::Status st = OperatorOnly(caller, "creating an advertiser"); !st.ok()) return st;
    } else if (!caller.is_operator()) {
      if (absl::Status st = Owns(caller, store_->OwnerOfNew(kind, entity), kind, IdOf(entity));
          !st.ok()) {
        return st;
      }
    }
    auto created = store_->Create(kind, entity);
    if (!created.ok()) return created.status();
    resp->CopyFrom(**created);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::DoUpdate(
    grpc::CallbackServerContext* ctx, EntityKind kind, const google::protobuf::Message& entity,
    const google::protobuf::RepeatedPtrField<std::string>& mask, google::protobuf::Message* resp) {
  return Handle(ctx, [&](const AdminCaller& caller) -> absl::Status {
    const std::string id = IdOf(entity);
    if (!caller.is_operator()) {
      if (absl::Status st = Owns(caller, store_->OwnerOf(kind, id), kind, id); !st.ok()) return st;
    }
    auto updated = store_->Update(kind, entity, std::vector<std::string>(mask.begin(), mask.end()));
    if (!updated.ok()) return updated.status();
    resp->CopyFrom(**updated);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::DoList(grpc::CallbackServerContext* ctx,
                                                      EntityKind kind,
                                                      const gavel::v1::ListRequest& req,
                                                      google::protobuf::Message* resp) {
  return Handle(ctx, [&](const AdminCaller& caller) {
    return store_->List(kind, req, resp, caller.advertiser);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::CreateAdvertiser(
    grpc::CallbackServerContext* ctx, const gavel::v1::CreateAdvertiserRequest* req,
    gavel::v1::Advertiser* resp) {
  return DoCreate(ctx, gavel::v1::ENTITY_KIND_ADVERTISER, req->advertiser(), resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::UpdateAdvertiser(
    grpc::CallbackServerContext* ctx, const gavel::v1::UpdateAdvertiserRequest* req,
    gavel::v1::Advertiser* resp) {
  return DoUpdate(ctx, gavel::v1::ENTITY_KIND_ADVERTISER, req->advertiser(), req->update_mask(),
                  resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::ListAdvertisers(
    grpc::CallbackServerContext* ctx, const gavel::v1::ListRequest* req,
    gavel::v1::ListAdvertisersResponse* resp) {
  return DoList(ctx, gavel::v1::ENTITY_KIND_ADVERTISER, *req, resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::CreateCampaign(
    grpc::CallbackServerContext* ctx, const gavel::v1::CreateCampaignRequest* req,
    gavel::v1::Campaign* resp) {
  return DoCreate(ctx, gavel::v1::ENTITY_KIND_CAMPAIGN, req->campaign(), resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::UpdateCampaign(
    grpc::CallbackServerContext* ctx, const gavel::v1::UpdateCampaignRequest* req,
    gavel::v1::Campaign* resp) {
  return DoUpdate(ctx, gavel::v1::ENTITY_KIND_CAMPAIGN, req->campaign(), req->update_mask(), resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::ListCampaigns(
    grpc::CallbackServerContext* ctx, const gavel::v1::ListRequest* req,
    gavel::v1::ListCampaignsResponse* resp) {
  return DoList(ctx, gavel::v1::ENTITY_KIND_CAMPAIGN, *req, resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::CreateAdGroup(
    grpc::CallbackServerContext* ctx, const gavel::v1::CreateAdGroupRequest* req,
    gavel::v1::AdGroup* resp) {
  return DoCreate(ctx, gavel::v1::ENTITY_KIND_AD_GROUP, req->ad_group(), resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::UpdateAdGroup(
    grpc::CallbackServerContext* ctx, const gavel::v1::UpdateAdGroupRequest* req,
    gavel::v1::AdGroup* resp) {
  return DoUpdate(ctx, gavel::v1::ENTITY_KIND_AD_GROUP, req->ad_group(), req->update_mask(), resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::ListAdGroups(grpc::CallbackServerContext* ctx,
                                                            const gavel::v1::ListRequest* req,
                                                            gavel::v1::ListAdGroupsResponse* resp) {
  return DoList(ctx, gavel::v1::ENTITY_KIND_AD_GROUP, *req, resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::CreateProductAd(
    grpc::CallbackServerContext* ctx, const gavel::v1::CreateProductAdRequest* req,
    gavel::v1::ProductAd* resp) {
  return DoCreate(ctx, gavel::v1::ENTITY_KIND_PRODUCT_AD, req->product_ad(), resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::ListProductAds(
    grpc::CallbackServerContext* ctx, const gavel::v1::ListRequest* req,
    gavel::v1::ListProductAdsResponse* resp) {
  return DoList(ctx, gavel::v1::ENTITY_KIND_PRODUCT_AD, *req, resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::CreateTarget(
    grpc::CallbackServerContext* ctx, const gavel::v1::CreateTargetRequest* req,
    gavel::v1::Target* resp) {
  return DoCreate(ctx, gavel::v1::ENTITY_KIND_TARGET, req->target(), resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::UpdateTarget(
    grpc::CallbackServerContext* ctx, const gavel::v1::UpdateTargetRequest* req,
    gavel::v1::Target* resp) {
  return DoUpdate(ctx, gavel::v1::ENTITY_KIND_TARGET, req->target(), req->update_mask(), resp);
}
grpc::ServerUnaryReactor* CampaignServiceImpl::ListTargets(grpc::CallbackServerContext* ctx,
                                                           const gavel::v1::ListRequest* req,
                                                           gavel::v1::ListTargetsResponse* resp) {
  return DoList(ctx, gavel::v1::ENTITY_KIND_TARGET, *req, resp);
}

grpc::ServerUnaryReactor* CampaignServiceImpl::SetState(grpc::CallbackServerContext* ctx,
                                                        const gavel::v1::SetStateRequest* req,
                                                        gavel::v1::SetStateResponse* resp) {
  return Handle(ctx, [&](const AdminCaller& caller) -> absl::Status {
    if (!caller.is_operator()) {
      absl::Status st =
          Owns(caller, store_->OwnerOf(req->kind(), req->id()), req->kind(), req->id());
      if (!st.ok()) return st;
    }
    absl::StatusOr<int64_t> version = store_->SetState(req->kind(), req->id(), req->state());
    if (!version.ok()) return version.status();
    resp->set_kind(req->kind());
    resp->set_id(req->id());
    resp->set_state(req->state());
    resp->set_catalog_version(*version);
    return absl::OkStatus();
  });
}

absl::Status CampaignServiceImpl::OwnsCampaign(const AdminCaller& caller,
                                               const std::string& id) const {
  if (caller.is_operator()) return absl::OkStatus();  // no ownership lookup needed
  return Owns(caller, store_->OwnerOf(gavel::v1::ENTITY_KIND_CAMPAIGN, id),
              gavel::v1::ENTITY_KIND_CAMPAIGN, id);
}

grpc::ServerUnaryReactor* CampaignServiceImpl::GetCampaignStats(
    grpc::CallbackServerContext* ctx, const gavel::v1::GetCampaignStatsRequest* req,
    gavel::v1::GetCampaignStatsResponse* resp) {
  return Handle(ctx, [&](const AdminCaller& caller) -> absl::Status {
    if (absl::Status st = OwnsCampaign(caller, req->campaign_id()); !st.ok()) return st;
    return stats_(*req, resp);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::GetSalesReport(
    grpc::CallbackServerContext* ctx, const gavel::v1::GetSalesReportRequest* req,
    gavel::v1::GetSalesReportResponse* resp) {
  return Handle(ctx, [&](const AdminCaller& caller) -> absl::Status {
    if (absl::Status st = OwnsCampaign(caller, req->campaign_id()); !st.ok()) return st;
    return sales_(*req, resp);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::ReloadCatalog(
    grpc::CallbackServerContext* ctx, const gavel::v1::ReloadCatalogRequest* /*req*/,
    gavel::v1::ReloadCatalogResponse* resp) {
  return Handle(ctx, [&](const AdminCaller& caller) -> absl::Status {
    if (absl::Status st = OperatorOnly(caller, "ReloadCatalog"); !st.ok()) return st;
    auto reloaded = reload_();
    if (!reloaded.ok()) return reloaded.status();
    *resp = *reloaded;
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::ReloadModel(
    grpc::CallbackServerContext* ctx, const gavel::v1::ReloadModelRequest* /*req*/,
    gavel::v1::ReloadModelResponse* resp) {
  return Handle(ctx, [&](const AdminCaller& caller) -> absl::Status {
    if (absl::Status st = OperatorOnly(caller, "ReloadModel"); !st.ok()) return st;
    auto reloaded = reload_model_();
    if (!reloaded.ok()) return reloaded.status();
    *resp = *reloaded;
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::GetAuctionRules(
    grpc::CallbackServerContext* ctx, const gavel::v1::GetAuctionRulesRequest* /*req*/,
    gavel::v1::GetAuctionRulesResponse* resp) {
  return Handle(ctx, [&](const AdminCaller&) -> absl::Status {
    const store::CatalogStore::VersionedRules current = store_->auction_rules();
    absl::StatusOr<gavel::v1::AuctionRules> effective = convert::EffectiveRules(current.rules);
    if (!effective.ok()) return effective.status();
    *resp->mutable_auction_rules() = *std::move(effective);
    resp->set_catalog_version(current.version);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::UpdateAuctionRules(
    grpc::CallbackServerContext* ctx, const gavel::v1::UpdateAuctionRulesRequest* req,
    gavel::v1::UpdateAuctionRulesResponse* resp) {
  return Handle(ctx, [&](const AdminCaller& caller) -> absl::Status {
    if (absl::Status st = OperatorOnly(caller, "UpdateAuctionRules"); !st.ok()) return st;
    absl::StatusOr<store::CatalogStore::VersionedRules> updated = store_->UpdateAuctionRules(
        req->auction_rules(),
        std::vector<std::string>(req->update_mask().begin(), req->update_mask().end()));
    if (!updated.ok()) return updated.status();
    absl::StatusOr<gavel::v1::AuctionRules> effective = convert::EffectiveRules(updated->rules);
    if (!effective.ok()) return effective.status();
    *resp->mutable_auction_rules() = *std::move(effective);
    resp->set_catalog_version(updated->version);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::GetBidSuggestions(
    grpc::CallbackServerContext* ctx, const gavel::v1::GetBidSuggestionsRequest* req,
    gavel::v1::GetBidSuggestionsResponse* resp) {
  return Handle(ctx, [&](const AdminCaller& caller) -> absl::Status {
    if (absl::Status st = OwnsCampaign(caller, req->campaign_id()); !st.ok()) return st;
    if (suggestions_ == nullptr) return absl::UnimplementedError("suggestions are not served");
    return suggestions_->Bids(*req, resp);
  });
}

grpc::ServerUnaryReactor* CampaignServiceImpl::GetBudgetSuggestion(
    grpc::CallbackServerContext* ctx, const gavel::v1::GetBudgetSuggestionRequest* req,
    gavel::v1::GetBudgetSuggestionResponse* resp) {
  return Handle(ctx, [&](const AdminCaller& caller) -> absl::Status {
    if (absl::Status st = OwnsCampaign(caller, req->campaign_id()); !st.ok()) return st;
    if (suggestions_ == nullptr) return absl::UnimplementedError("suggestions are not served");
    return suggestions_->Budget(*req, resp);
  });
}

}  // namespace gavel::server
