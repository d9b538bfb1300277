#include "server/suggestions.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "auction/types.h"
#include "catalog/limits.h"
#include "suggest/suggest.h"

namespace gavel::server {
namespace {

// The lowest bid some slot admits under `rules`: the minimum CPC and, under bid reserves, the
// lowest reserve a slot can have (reserve_micros, or a lower slot_reserve_micros entry). A
// quality-weighted reserve depends on the ad's quality, so then only the minimum CPC binds.
int64_t BidFloor(const auction::Rules& rules) {
  int64_t floor = std::max<int64_t>(rules.min_cpc_micros, 1);
  if (rules.reserve_mode == auction::ReserveMode::kBid) {
    int64_t lowest_reserve = rules.reserve_micros;
    for (int64_t r : rules.slot_reserve_micros) lowest_reserve = std::min(lowest_reserve, r);
    floor = std::max(floor, lowest_reserve);
  }
  return std::min(floor, catalog::kMaxBidMicros);
}

absl::StatusOr<int32_t> KnownCampaign(const targeting::CatalogSnapshot& catalog,
                                      const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("campaign_id is required");
  const int32_t campaign = catalog.FindCampaign(id);
  if (campaign < 0) return absl::NotFoundError(absl::StrCat("campaign \"", id, "\" not found"));
  return campaign;
}

void FillTarget(const targeting::CatalogSnapshot& catalog, int32_t target,
                gavel::v1::BidSuggestion* out) {
  const catalog::Target& t = catalog.catalog().targets[target];
  out->set_target_id(t.id);
  switch (t.kind) {
    case catalog::TargetKind::kKeyword:
      out->mutable_keyword()->set_text(t.keyword.text);
      out->mutable_keyword()->set_match_type(
          static_cast<gavel::v1::MatchType>(static_cast<int>(t.keyword.match_type)));
      break;
    case catalog::TargetKind::kProduct:
      out->set_product_id(t.product_id);
      break;
    case catalog::TargetKind::kCategory:
      out->set_category_id(t.category_id);
      break;
  }
  out->set_current_bid_micros(catalog.ResolveTargetBid(target));
}

}  // namespace

absl::Status Suggestions::Bids(const gavel::v1::GetBidSuggestionsRequest& req,
                               gavel::v1::GetBidSuggestionsResponse* resp) const {
  std::shared_ptr<const engine::Serving> serving = engine_->current();
  if (serving == nullptr) return absl::FailedPreconditionError("no catalog is loaded yet");
  const targeting::CatalogSnapshot& catalog = *serving->catalog;
  absl::StatusOr<int32_t> campaign = KnownCampaign(catalog, req.campaign_id());
  if (!campaign.ok()) return campaign.status();

  // The campaign's targets by id, then the ones asked for.
  std::map<std::string, int32_t> targets;
  const std::vector<catalog::Target>& all = catalog.catalog().targets;
  for (int32_t t = 0; t < static_cast<int32_t>(all.size()); ++t) {
    if (catalog.ad_group_campaign(catalog.target_ad_group(t)) == *campaign) {
      targets.emplace(all[t].id, t);
    }
  }
  std::map<std::string, int32_t> wanted;
  for (int i = 0; i < req.target_ids_size(); ++i) {
    auto it = targets.find(req.target_ids(i));
    if (it == targets.end()) {
      return absl::InvalidArgumentError(absl::StrCat("target_ids[", i, "] \"", req.target_ids(i),
                                                     "\" is not a target of campaign \"",
                                                     req.campaign_id(), "\""));
    }
    wanted.insert(*it);
  }
  if (req.target_ids_size() == 0) wanted = std::move(targets);

  const suggest::BidLimits limits{.floor_micros = BidFloor(serving->rules),
                                  .cap_micros = catalog::kMaxBidMicros};
  const std::map<std::string, std::vector<suggest::TargetObservation>> history =
      landscape_->Targets(req.campaign_id(), clock_->Now());
  resp->set_campaign_id(req.campaign_id());
  resp->set_floor_micros(limits.floor_micros);
  resp->set_cap_micros(limits.cap_micros);
  resp->set_min_observations(suggest::kMinObservations);
  resp->set_window_days(static_cast<int32_t>(options_.window / absl::Hours(24)));
  resp->set_sample_every(sample_every_);
  for (const auto& [id, target] : wanted) {
    gavel::v1::BidSuggestion* out = resp->add_suggestions();
    FillTarget(catalog, target, out);
    auto h = history.find(id);
    if (h == history.end()) continue;
    const suggest::BidSuggestion s = suggest::SuggestBid(h->second, limits);
    out->set_auctions(s.auctions);
    out->set_wins(s.wins);
    if (s.has_range) {
      out->set_low_micros(s.low_micros);
      out->set_median_micros(s.median_micros);
      out->set_high_micros(s.high_micros);
    }
    if (s.has_min_bids) {
      for (int64_t m : s.min_bid_micros) out->add_min_bid_to_win_slot_micros(m);
    }
  }
  return absl::OkStatus();
}

absl::Status Suggestions::Budget(const gavel::v1::GetBudgetSuggestionRequest& req,
                                 gavel::v1::GetBudgetSuggestionResponse* resp) const {
  std::shared_ptr<const engine::Serving> serving = engine_->current();
  if (serving == nullptr) return absl::FailedPreconditionError("no catalog is loaded yet");
  const targeting::CatalogSnapshot& catalog = *serving->catalog;
  absl::StatusOr<int32_t> campaign = KnownCampaign(catalog, req.campaign_id());
  if (!campaign.ok()) return campaign.status();
  if (req.days() < 0 || req.days() > kMaxDays) {
    return absl::InvalidArgumentError(
        absl::StrCat("days must be in [0, ", kMaxDays, "] (0 = ", kMaxDays, "), got ", req.days()));
  }
  const int days = req.days() == 0 ? kMaxDays : req.days();
  const catalog::Campaign& c = catalog.catalog().campaigns[*campaign];
  const absl::Time now = clock_->Now();
  const absl::CivilDay today = absl::ToCivilDay(now, c.time_zone);
  absl::StatusOr<billing::CampaignStats> stats =
      billing_->Stats(req.campaign_id(), today - (days - 1), today);
  if (!stats.ok()) return stats.status();
  const std::map<int64_t, suggest::BudgetDayCounts> counts =
      landscape_->BudgetDays(req.campaign_id());

  resp->set_campaign_id(req.campaign_id());
  resp->set_daily_budget_micros(c.daily_budget_micros);
  int64_t suggested = c.daily_budget_micros;
  for (const billing::DailyStats& d : stats->days) {
    const int64_t day = d.date - absl::CivilDay(1970, 1, 1);
    suggest::BudgetDayInput in{.daily_budget_micros = c.daily_budget_micros,
                               .spend_micros = d.counters.spend_micros,
                               .clicks = d.counters.clicks,
                               .day_start = absl::FromCivil(d.date, c.time_zone),
                               .day_end = absl::FromCivil(d.date + 1, c.time_zone),
                               .now = now};
    if (auto it = counts.find(day); it != counts.end()) {
      in.in_budget_auctions = it->second.in_budget_auctions;
      in.out_of_budget_auctions = it->second.out_of_budget_auctions;
      in.out_at = it->second.out_at;
    }
    const suggest::BudgetDaySuggestion s = suggest::SuggestBudgetDay(in);
    gavel::v1::BudgetSuggestionDay* out = resp->add_days();
    out->set_date(absl::FormatCivilTime(d.date));
    out->set_spend_micros(in.spend_micros);
    out->set_clicks(in.clicks);
    out->set_in_budget_auctions(in.in_budget_auctions);
    out->set_out_of_budget_auctions(in.out_of_budget_auctions);
    if (in.out_at.has_value()) {
      out->set_out_of_budget_at(absl::FormatTime(absl::RFC3339_full, *in.out_at, c.time_zone));
    }
    out->set_in_budget_share(s.in_budget_share);
    out->set_estimated_missed_clicks(s.estimated_missed_clicks);
    out->set_suggested_budget_micros(s.suggested_budget_micros);
    suggested = std::max(suggested, s.suggested_budget_micros);
  }
  resp->set_suggested_budget_micros(suggested);
  return absl::OkStatus();
}

}  // namespace gavel::server
