#include "convert/proto_convert.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace gavel::convert {
namespace {

void MatchedToProto(const engine::AdOutcome& row, gavel::v1::MatchedTarget* out) {
  if (row.external()) return;
  const targeting::MatchedTarget& m = row.matched;
  out->set_target_id(row.target_id.data(), row.target_id.size());
  switch (m.kind) {
    case targeting::MatchKind::kKeyword:
      out->mutable_keyword()->set_text(m.keyword_text.data(), m.keyword_text.size());
      out->mutable_keyword()->set_match_type(static_cast<gavel::v1::MatchType>(m.match_type));
      break;
    case targeting::MatchKind::kProduct:
      out->set_product_id(row.matched_object_id.data(), row.matched_object_id.size());
      break;
    case targeting::MatchKind::kCategory:
      out->set_category_id(row.matched_object_id.data(), row.matched_object_id.size());
      break;
    case targeting::MatchKind::kAuto:
      out->set_auto_target_group(static_cast<gavel::v1::AutoTargetGroup>(m.auto_group));
      break;
  }
}

}  // namespace

absl::Status AuctionRequestFromProto(const gavel::v1::RunAuctionRequest& p,
                                     engine::AuctionRequest* out) {
  out->request_id = p.request_id();
  targeting::Request& t = out->targeting;
  t.placement = static_cast<catalog::Placement>(p.placement());
  t.query = p.query();
  t.category_ids.assign(p.page().category_ids().begin(), p.page().category_ids().end());
  t.viewed_product_id = p.page().viewed_product_id();
  t.cart_product_ids.assign(p.page().cart_product_ids().begin(), p.page().cart_product_ids().end());
  t.shopper.user_id = p.shopper().user_id();
  t.shopper.segments.assign(p.shopper().segments().begin(), p.shopper().segments().end());
  t.shopper.device = static_cast<catalog::Device>(p.shopper().device());
  t.shopper.country = p.shopper().country();
  t.shopper.region = p.shopper().region();
  t.shopper.local_hour = p.shopper().has_local_hour() ? p.shopper().local_hour() : -1;
  out->hour_from_time_zone = !p.shopper().has_local_hour();  // an explicit -1 stays unknown
  t.slots = p.slots();
  out->external.clear();
  for (const auto& c : p.candidates()) {
    out->external.push_back(engine::ExternalCandidate{
        .candidate_id = c.candidate_id(),
        .advertiser_id = c.advertiser_id(),
        .campaign_id = c.campaign_id(),
        .product_id = c.product_id(),
        .bid_micros = c.bid_micros(),
        .quality = c.quality(),
    });
  }
  out->mechanism.reset();
  if (p.options().mechanism() != gavel::v1::MECHANISM_UNSPECIFIED) {
    out->mechanism = MechanismFromProto(p.options().mechanism());
  }
  out->explain = p.options().explain();
  out->dry_run = p.options().dry_run();
  out->tie_break_seed.reset();
  if (p.options().has_tie_break_seed()) out->tie_break_seed = p.options().tie_break_seed();
  out->shopper_time_zone = absl::UTCTimeZone();
  if (!p.shopper().time_zone().empty() &&
      !absl::LoadTimeZone(p.shopper().time_zone(), &out->shopper_time_zone)) {
    return absl::InvalidArgumentError(absl::StrCat("shopper.time_zone: unknown IANA time zone \"",
                                                   p.shopper().time_zone(), "\""));
  }
  return absl::OkStatus();
}

void AuctionResultToProto(const engine::AuctionResult& r, gavel::v1::RunAuctionResponse* out) {
  out->set_request_id(r.request_id);
  out->set_auction_id(r.auction_id);
  out->set_mechanism(MechanismToProto(r.mechanism));
  out->set_catalog_version(r.catalog_version);
  out->set_tie_break_seed(r.tie_break_seed);
  for (const engine::AdOutcome& w : r.winners) {
    gavel::v1::Winner* pw = out->add_winners();
    pw->set_slot(w.slot);
    pw->set_advertiser_id(w.advertiser_id.data(), w.advertiser_id.size());
    pw->set_campaign_id(w.campaign_id.data(), w.campaign_id.size());
    pw->set_ad_group_id(w.ad_group_id.data(), w.ad_group_id.size());
    pw->set_ad_id(w.ad_id.data(), w.ad_id.size());
    pw->set_product_id(w.product_id.data(), w.product_id.size());
    MatchedToProto(w, pw->mutable_matched_target());
    pw->set_cpc_micros(w.cpc_micros);
    pw->set_bid_micros(w.bid_micros);
    pw->set_rank_score(w.score);
    pw->set_quality(w.quality);
    pw->set_predicted_ctr(w.predicted_ctr);
    pw->set_click_token(w.click_token);
    pw->set_impression_token(w.impression_token);
    pw->set_min_bid_micros(w.min_bid_micros);
  }
  for (const engine::AdOutcome& e : r.explanations) {
    gavel::v1::CandidateExplanation* pe = out->add_explanations();
    pe->set_ad_id(e.ad_id.data(), e.ad_id.size());
    pe->set_advertiser_id(e.advertiser_id.data(), e.advertiser_id.size());
    pe->set_campaign_id(e.campaign_id.data(), e.campaign_id.size());
    pe->set_ad_group_id(e.ad_group_id.data(), e.ad_group_id.size());
    pe->set_product_id(e.product_id.data(), e.product_id.size());
    MatchedToProto(e, pe->mutable_matched_target());
    pe->set_bid_micros(e.bid_micros);
    pe->set_relevance(e.relevance);
    pe->set_predicted_ctr(e.predicted_ctr);
    pe->set_quality(e.quality);
    pe->set_rank_score(e.score);
    pe->set_slot(e.slot);
    pe->set_loss_reason(static_cast<gavel::v1::LossReason>(e.loss_reason));
    pe->set_detail(e.detail);
    for (int64_t m : e.min_bid_micros_per_slot) pe->add_min_bid_micros_per_slot(m);
  }
}

std::vector<billing::Event> EventsFromProto(const gavel::v1::ReportEventsRequest& request) {
  std::vector<billing::Event> events;
  events.reserve(request.events_size());
  for (const auto& e : request.events()) {
    events.push_back(billing::Event{
        .client_event_id = e.client_event_id(),
        .type = e.type() == gavel::v1::EVENT_TYPE_CLICK ? billing::TokenType::kClick
                                                        : billing::TokenType::kImpression,
        .token = e.token(),
        .user_id = e.user_id(),
    });
  }
  return events;
}

void EventResultsToProto(const gavel::v1::ReportEventsRequest& request,
                         absl::Span<const billing::EventResult> results,
                         gavel::v1::ReportEventsResponse* out) {
  for (size_t i = 0; i < results.size(); ++i) {
    gavel::v1::EventResult* r = out->add_results();
    r->set_client_event_id(request.events(static_cast<int>(i)).client_event_id());
    // billing's Outcome and InvalidReason share gavel.v1's numbering.
    r->set_outcome(static_cast<gavel::v1::EventOutcome>(results[i].outcome));
    r->set_charged_micros(results[i].charged_micros);
    r->set_invalid_reason(static_cast<gavel::v1::InvalidReason>(results[i].reason));
    r->set_detail(results[i].detail);
  }
}

namespace {

void DayToProto(const billing::DailyStats& d, gavel::v1::DailyStats* out) {
  out->set_date(absl::FormatCivilTime(d.date));
  out->set_impressions(d.counters.impressions);
  out->set_clicks(d.counters.clicks);
  out->set_invalid_clicks(d.counters.invalid_clicks);
  out->set_budget_exhausted_clicks(d.counters.budget_exhausted_clicks);
  out->set_spend_micros(d.counters.spend_micros);
  out->set_ctr(d.ctr);
  out->set_average_cpc_micros(d.average_cpc_micros);
}

}  // namespace

void StatsToProto(const std::string& campaign_id, const billing::CampaignStats& stats,
                  gavel::v1::GetCampaignStatsResponse* out) {
  out->set_campaign_id(campaign_id);
  for (const billing::DailyStats& d : stats.days) DayToProto(d, out->add_days());
  DayToProto(stats.total, out->mutable_total());
}

std::vector<billing::Purchase> PurchasesFromProto(
    const gavel::v1::ReportPurchasesRequest& request) {
  std::vector<billing::Purchase> out;
  out.reserve(request.purchases_size());
  for (const gavel::v1::Purchase& p : request.purchases()) {
    billing::Purchase& b = out.emplace_back();
    b.kind = p.kind() == gavel::v1::PURCHASE_KIND_REFUND ? billing::PurchaseKind::kRefund
                                                          : billing::PurchaseKind::kSale;
    b.order_id = p.order_id();
    b.user_id = p.user_id();
    b.time = absl::FromUnixMicros(p.purchase_time_unix_micros());
    for (const gavel::v1::PurchaseLineItem& item : p.line_items()) {
      b.line_items.push_back({.line = item.line(),
                              .product_id = item.product_id(),
                              .quantity = item.quantity(),
                              .price_micros = item.price_micros(),
                              .currency = item.currency()});
    }
  }
  return out;
}

void PurchaseResultsToProto(const gavel::v1::ReportPurchasesRequest& request,
                            absl::Span<const billing::PurchaseOutcome> outcomes,
                            gavel::v1::ReportPurchasesResponse* out) {
  size_t i = 0;
  for (const gavel::v1::Purchase& p : request.purchases()) {
    for (const gavel::v1::PurchaseLineItem& item : p.line_items()) {
      gavel::v1::PurchaseLineResult* r = out->add_results();
      r->set_order_id(p.order_id());
      r->set_line(item.line());
      r->set_outcome(outcomes[i++] == billing::PurchaseOutcome::kRecorded
                         ? gavel::v1::PURCHASE_OUTCOME_RECORDED
                         : gavel::v1::PURCHASE_OUTCOME_DUPLICATE);
    }
  }
}

namespace {

void SalesRowToProto(const billing::SalesDay& row, gavel::v1::SalesReportRow* out) {
  out->set_date(absl::FormatCivilTime(row.date));
  out->set_impressions(row.delivery.impressions);
  out->set_clicks(row.delivery.clicks);
  out->set_spend_micros(row.delivery.spend_micros);
  out->set_orders(row.sales.orders);
  out->set_same_product_sales_micros(row.sales.same_product_sales_micros);
  out->set_halo_sales_micros(row.sales.halo_sales_micros);
  out->set_sales_micros(row.sales.sales_micros());
  const billing::SalesMetrics m = billing::MetricsOf(row);
  if (m.acos.has_value()) out->set_acos(*m.acos);
  if (m.roas.has_value()) out->set_roas(*m.roas);
  out->set_ctr(m.ctr);
  out->set_cvr(m.cvr);
  out->set_average_cpc_micros(m.average_cpc_micros);
}

}  // namespace

void SalesReportToProto(const std::string& campaign_id, int window_days,
                        const billing::SalesReport& report, gavel::v1::GetSalesReportResponse* out) {
  out->set_campaign_id(campaign_id);
  out->set_attribution_window_days(window_days);
  for (const billing::SalesDay& d : report.days) SalesRowToProto(d, out->add_days());
  SalesRowToProto(report.total, out->mutable_total());
  for (const billing::SalesDay& d : report.rows) {
    gavel::v1::SalesReportRow* row = out->add_rows();
    SalesRowToProto(d, row);
    row->set_dimension_key(d.key);
  }
  for (const billing::SalesDay& d : report.key_totals) {
    gavel::v1::SalesReportRow* row = out->add_key_totals();
    SalesRowToProto(d, row);
    row->set_dimension_key(d.key);
  }
}

}  // namespace gavel::convert
