// CampaignService, the admin API over gRPC's callback API: authenticate, authorize, call the
// catalog store (or the stats and reload hooks), convert, finish. The auction rules are the
// store's too: read and updated there, returned with every default explicit
// (convert/rules_convert.h).
//
// The operator's key may do everything. An advertiser's admin key (admin_auth.h) sees in every
// List only what its advertiser owns, and may update its advertiser, create and update its
// campaigns, ad groups, product ads and targets, set their state, read their statistics and
// suggestions, and read the auction rules. Anything else, including any entity of another
// advertiser (whether or not it exists), CreateAdvertiser, ReloadCatalog and UpdateAuctionRules,
// is PERMISSION_DENIED.
//
// Does not own its collaborators; they must outlive the service. Thread-safe.
#ifndef GAVEL_SERVER_CAMPAIGN_SERVICE_H_
#define GAVEL_SERVER_CAMPAIGN_SERVICE_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "server/admin_auth.h"
#include "server/suggestions.h"
#include "store/catalog_store.h"

namespace gavel::server {

class CampaignServiceImpl final : public gavel::v1::CampaignService::CallbackService {
 public:
  using StatsFn = std::function<absl::Status(const gavel::v1::GetCampaignStatsRequest&,
                                             gavel::v1::GetCampaignStatsResponse*)>;
  // Re-reads the catalog file; returns the new version's response.
  using SalesFn = std::function<absl::Status(const gavel::v1::GetSalesReportRequest&,
                                             gavel::v1::GetSalesReportResponse*)>;
  using ReloadFn = std::function<absl::StatusOr<gavel::v1::ReloadCatalogResponse>()>;

  // Re-reads the model file; returns the new model's response.
  using ReloadModelFn = std::function<absl::StatusOr<gavel::v1::ReloadModelResponse>()>;

  // `suggestions` (not owned) answers GetBidSuggestions and GetBudgetSuggestion; null: they are
  // UNIMPLEMENTED.
  CampaignServiceImpl(const AdminAuth* auth, store::CatalogStore* store, StatsFn stats,
                      SalesFn sales, ReloadFn reload, ReloadModelFn reload_model,
                      const Suggestions* suggestions = nullptr)
      : auth_(auth),
        store_(store),
        stats_(std::move(stats)),
        sales_(std::move(sales)),
        reload_(std::move(reload)),
        reload_model_(std::move(reload_model)),
        suggestions_(suggestions) {}

  grpc::ServerUnaryReactor* CreateAdvertiser(grpc::CallbackServerContext* ctx,
                                             const gavel::v1::CreateAdvertiserRequest* req,
                                             gavel::v1::Advertiser* resp) override;
  grpc::ServerUnaryReactor* UpdateAdvertiser(grpc::CallbackServerContext* ctx,
                                             const gavel::v1::UpdateAdvertiserRequest* req,
                                             gavel::v1::Advertiser* resp) override;
  grpc::ServerUnaryReactor* ListAdvertisers(grpc::CallbackServerContext* ctx,
                                            const gavel::v1::ListRequest* req,
                                            gavel::v1::ListAdvertisersResponse* resp) override;
  grpc::ServerUnaryReactor* CreateCampaign(grpc::CallbackServerContext* ctx,
                                           const gavel::v1::CreateCampaignRequest* req,
                                           gavel::v1::Campaign* resp) override;
  grpc::ServerUnaryReactor* UpdateCampaign(grpc::CallbackServerContext* ctx,
                                           const gavel::v1::UpdateCampaignRequest* req,
                                           gavel::v1::Campaign* resp) override;
  grpc::ServerUnaryReactor* ListCampaigns(grpc::CallbackServerContext* ctx,
                                          const gavel::v1::ListRequest* req,
                                          gavel::v1::ListCampaignsResponse* resp) override;
  grpc::ServerUnaryReactor* CreateAdGroup(grpc::CallbackServerContext* ctx,
                                          const gavel::v1::CreateAdGroupRequest* req,
                                          gavel::v1::AdGroup* resp) override;
  grpc::ServerUnaryReactor* UpdateAdGroup(grpc::CallbackServerContext* ctx,
                                          const gavel::v1::UpdateAdGroupRequest* req,
                                          gavel::v1::AdGroup* resp) override;
  grpc::ServerUnaryReactor* ListAdGroups(grpc::CallbackServerContext* ctx,
                                         const gavel::v1::ListRequest* req,
                                         gavel::v1::ListAdGroupsResponse* resp) override;
  grpc::ServerUnaryReactor* CreateProductAd(grpc::CallbackServerContext* ctx,
                                            const gavel::v1::CreateProductAdRequest* req,
                                            gavel::v1::ProductAd* resp) override;
  grpc::ServerUnaryReactor* ListProductAds(grpc::CallbackServerContext* ctx,
                                           const gavel::v1::ListRequest* req,
                                           gavel::v1::ListProductAdsResponse* resp) override;
  grpc::ServerUnaryReactor* CreateTarget(grpc::CallbackServerContext* ctx,
                                         const gavel::v1::CreateTargetRequest* req,
                                         gavel::v1::Target* resp) override;
  grpc::ServerUnaryReactor* UpdateTarget(grpc::CallbackServerContext* ctx,
                                         const gavel::v1::UpdateTargetRequest* req,
                                         gavel::v1::Target* resp) override;
  grpc::ServerUnaryReactor* ListTargets(grpc::CallbackServerContext* ctx,
                                        const gavel::v1::ListRequest* req,
                                        gavel::v1::ListTargetsResponse* resp) override;
  grpc::ServerUnaryReactor* SetState(grpc::CallbackServerContext* ctx,
                                     const gavel::v1::SetStateRequest* req,
                                     gavel::v1::SetStateResponse* resp) override;
  grpc::ServerUnaryReactor* GetCampaignStats(grpc::CallbackServerContext* ctx,
                                             const gavel::v1::GetCampaignStatsRequest* req,
                                             gavel::v1::GetCampaignStatsResponse* resp) override;
  grpc::ServerUnaryReactor* GetSalesReport(grpc::CallbackServerContext* ctx,
                                           const gavel::v1::GetSalesReportRequest* req,
                                           gavel::v1::GetSalesReportResponse* resp) override;
  grpc::ServerUnaryReactor* ReloadCatalog(grpc::CallbackServerContext* ctx,
                                          const gavel::v1::ReloadCatalogRequest* req,
                                          gavel::v1::ReloadCatalogResponse* resp) override;
  grpc::ServerUnaryReactor* ReloadModel(grpc::CallbackServerContext* ctx,
                                        const gavel::v1::ReloadModelRequest* req,
                                        gavel::v1::ReloadModelResponse* resp) override;
  grpc::ServerUnaryReactor* GetAuctionRules(grpc::CallbackServerContext* ctx,
                                            const gavel::v1::GetAuctionRulesRequest* req,
                                            gavel::v1::GetAuctionRulesResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateAuctionRules(
      grpc::CallbackServerContext* ctx, const gavel::v1::UpdateAuctionRulesRequest* req,
      gavel::v1::UpdateAuctionRulesResponse* resp) override;
  grpc::ServerUnaryReactor* GetBidSuggestions(grpc::CallbackServerContext* ctx,
                                              const gavel::v1::GetBidSuggestionsRequest* req,
                                              gavel::v1::GetBidSuggestionsResponse* resp) override;
  grpc::ServerUnaryReactor* GetBudgetSuggestion(
      grpc::CallbackServerContext* ctx, const gavel::v1::GetBudgetSuggestionRequest* req,
      gavel::v1::GetBudgetSuggestionResponse* resp) override;

 private:
  // OK for the operator or the advertiser owning campaign `id`; PERMISSION_DENIED otherwise.
  absl::Status OwnsCampaign(const AdminCaller& caller, const std::string& id) const;
  // Authenticates, runs `body` and finishes the call with its status.
  grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* ctx,
                                   const std::function<absl::Status(const AdminCaller&)>& body);
  grpc::ServerUnaryReactor* DoCreate(grpc::CallbackServerContext* ctx, gavel::v1::EntityKind kind,
                                     const google::protobuf::Message& entity,
                                     google::protobuf::Message* resp);
  grpc::ServerUnaryReactor* DoUpdate(grpc::CallbackServerContext* ctx, gavel::v1::EntityKind kind,
                                     const google::protobuf::Message& entity,
                                     const google::protobuf::RepeatedPtrField<std::string>& mask,
                                     google::protobuf::Message* resp);
  grpc::ServerUnaryReactor* DoList(grpc::CallbackServerContext* ctx, gavel::v1::EntityKind kind,
                                   const gavel::v1::ListRequest& req,
                                   google::protobuf::Message* resp);

  const AdminAuth* const auth_;
  store::CatalogStore* const store_;
  const StatsFn stats_;
  const SalesFn sales_;
  const ReloadFn reload_;
  const ReloadModelFn reload_model_;
  const Suggestions* const suggestions_;
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_CAMPAIGN_SERVICE_H_
