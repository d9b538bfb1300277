// Conversions between the public protos and the engine's domain types, in one place. The catalog's
// conversion lives beside it in convert/catalog_convert.h, the auction rules' (RulesFromProto,
// MechanismToProto, ...) in convert/rules_convert.h, included here. Pure functions; thread-safe.
#ifndef GAVEL_CONVERT_PROTO_CONVERT_H_
#define GAVEL_CONVERT_PROTO_CONVERT_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "auction/types.h"
#include "billing/billing.h"
#include "billing/stats.h"
#include "convert/rules_convert.h"
#include "engine/engine.h"
#include "gavel/v1/auction.pb.h"
#include "gavel/v1/campaigns.pb.h"
#include "gavel/v1/events.pb.h"
#include "gavel/v1/types.pb.h"

namespace gavel::convert {

// A validated request (see ValidateRunAuctionRequest) to the engine's request. INVALID_ARGUMENT
// for an unknown shopper.time_zone.
absl::Status AuctionRequestFromProto(const gavel::v1::RunAuctionRequest& request,
                                     engine::AuctionRequest* out);

void AuctionResultToProto(const engine::AuctionResult& result, gavel::v1::RunAuctionResponse* out);

// A validated batch (see ValidateReportEventsRequest) to billing's events.
std::vector<billing::Event> EventsFromProto(const gavel::v1::ReportEventsRequest& request);

// One result per event, in request order.
void EventResultsToProto(const gavel::v1::ReportEventsRequest& request,
                         absl::Span<const billing::EventResult> results,
                         gavel::v1::ReportEventsResponse* out);

void StatsToProto(const std::string& campaign_id, const billing::CampaignStats& stats,
                  gavel::v1::GetCampaignStatsResponse* out);

// The purchases of a request as billing validates and records them (billing::ValidatePurchases
// checks them; nothing is checked here). UNSPECIFIED kind is a sale.
std::vector<billing::Purchase> PurchasesFromProto(const gavel::v1::ReportPurchasesRequest& request);

// One result per line item, purchase by purchase, in request order.
void PurchaseResultsToProto(const gavel::v1::ReportPurchasesRequest& request,
                            absl::Span<const billing::PurchaseOutcome> outcomes,
                            gavel::v1::ReportPurchasesResponse* out);

void SalesReportToProto(const std::string& campaign_id, int window_days,
                        const billing::SalesReport& report, gavel::v1::GetSalesReportResponse* out);

}  // namespace gavel::convert

#endif  // GAVEL_CONVERT_PROTO_CONVERT_H_
