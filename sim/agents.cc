#include "sim/agents.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "catalog/limits.h"
#include "sim/purchases.h"
#include "sim/scenario.h"

namespace gavel::sim {
namespace {

double TargetAcos(const Autobidder& a) {
  return a.strategy() == Autobidder::TARGET_ROAS ? 1 / a.target_roas() : a.target_acos();
}

std::string StrategyName(Autobidder::Strategy s) {
  switch (s) {
    case Autobidder::FIXED:
      return "fixed";
    case Autobidder::TARGET_ACOS:
      return "target_acos";
    case Autobidder::TARGET_ROAS:
      return "target_roas";
  }
  return "fixed";
}

}  // namespace

double AcosOf(int64_t spend_micros, int64_t sales_micros) {
  return sales_micros > 0 ? static_cast<double>(spend_micros) / static_cast<double>(sales_micros)
                          : 0;
}

bool AgentMetrics::within_budget() const {
  return spend_micros <= daily_budget_micros * days && max_day_spend_micros <= daily_budget_micros;
}

bool AgentMetrics::reached() const {
  if (!within_budget() || last3_sales_micros <= 0) return false;
  return std::abs(AcosOf(last3_spend_micros, last3_sales_micros) / target_acos - 1) <=
         kReachedTolerance;
}

Agents::Agents(const Scenario& s, catalog::Catalog* catalog)
    : s_(s), catalog_(catalog), advertises_(AdvertisesIn(*catalog)) {
  const std::vector<double> w = HourlyWeights(s);
  double total = 0;
  for (double v : w) total += v;
  for (double v : w) hour_share_.push_back(v / total);

  absl::flat_hash_map<std::string, size_t> campaign_agent, group_agent;
  for (int i = 0; i < s.autobidders_size(); ++i) {
    const Autobidder& spec = s.autobidders(i);
    if (spec.advertiser() >= static_cast<int32_t>(catalog->advertisers.size())) {
      bad_.push_back(i);
      continue;
    }
    const ControllerConfig config{.target_acos = TargetAcos(spec),
                                  .daily_budget_micros = spec.daily_budget_micros(),
                                  .initial_multiplier = spec.initial_multiplier()};
    agents_.push_back(Agent{
        .spec = &spec, .advertiser = spec.advertiser(), .controller = AcosController(config)});
    const std::string& id = catalog->advertisers[spec.advertiser()].id;
    for (size_t c = 0; c < catalog->campaigns.size(); ++c) {
      if (catalog->campaigns[c].advertiser_id != id) continue;
      agents_.back().campaigns.push_back(c);
      campaign_agent[catalog->campaigns[c].id] = agents_.size() - 1;
    }
  }
  for (Agent& a : agents_) {
    // Billing's hard budgets: the agent's daily budget split evenly over its campaigns (rounded
    // down, so the campaigns together never exceed it) at the start of each day, rebalanced every
    // hour (Rebalance). The agent paces itself (its dual), so billing's pacing is off for them.
    const int64_t n = std::max<int64_t>(1, static_cast<int64_t>(a.campaigns.size()));
    for (size_t c : a.campaigns) {
      catalog->campaigns[c].daily_budget_micros =
          std::max<int64_t>(1, a.spec->daily_budget_micros() / n);
      catalog->campaigns[c].pacing = false;
    }
  }
  // The mean price of each ad group's advertised products: what a click there is worth to a
  // value-based bidder.
  absl::flat_hash_map<std::string, int64_t> price;
  for (const catalog::Product& p : catalog->products) price[p.id] = p.price_micros;
  absl::flat_hash_map<std::string, std::pair<double, int>> group_price;
  for (const catalog::ProductAd& ad : catalog->product_ads) {
    auto& [sum, n] = group_price[ad.ad_group_id];
    sum += static_cast<double>(price[ad.product_id]);
    ++n;
  }
  absl::flat_hash_map<std::string, int64_t> group_base;
  for (size_t g = 0; g < catalog->ad_groups.size(); ++g) {
    const catalog::AdGroup& group = catalog->ad_groups[g];
    auto it = campaign_agent.find(group.campaign_id);
    if (it == campaign_agent.end()) continue;
    Agent& a = agents_[it->second];
    // A fixed agent keeps the scenario's bids. The others bid on value, like a real target-ACOS
    // tool: target ACOS x expected sales per click, with the product price as the order value and
    // a prior conversion rate of kPriorConversionRate; the multiplier learns the rest. Bidding
    // the scenario's values instead would leave cheap and expensive products at the same bid, and
    // scaling those by one multiplier moves the agent's ACOS mostly by changing its product mix.
    int64_t base = group.default_bid_micros;
    if (a.spec->strategy() != Autobidder::FIXED) {
      const auto& [sum, n] = group_price[group.id];
      const double value = n > 0 ? sum / n : 0;
      base = std::clamp<int64_t>(
          static_cast<int64_t>(std::floor(a.controller.config().target_acos * value *
                                          kPriorConversionRate)),
          1, catalog::kMaxBidMicros);
    }
    a.groups.push_back(g);
    a.group_bid.push_back(base);
    group_base[group.id] = base;
    group_agent[group.id] = it->second;
  }
  for (size_t t = 0; t < catalog->targets.size(); ++t) {
    auto it = group_agent.find(catalog->targets[t].ad_group_id);
    if (it == group_agent.end()) continue;
    Agent& a = agents_[it->second];
    a.targets.push_back(t);
    const int64_t bid = catalog->targets[t].bid_micros;
    a.target_bid.push_back(a.spec->strategy() == Autobidder::FIXED || bid <= 0
                               ? bid
                               : group_base[catalog->targets[t].ad_group_id]);
  }
  for (const Agent& a : agents_) ApplyBids(a, a.controller.multiplier());
}

absl::Status Agents::Check() const {
  if (bad_.empty()) return absl::OkStatus();
  const int i = bad_.front();
  return absl::InvalidArgumentError(absl::StrCat(
      "autobidders[", i, "].advertiser must be in [0, ", catalog_->advertisers.size() - 1,
      "] (the catalog's advertisers), got ", s_.autobidders(i).advertiser()));
}

void Agents::ApplyBids(const Agent& a, double multiplier) {
  // A bid of 0 means "inherit" in the catalog, so a scaled bid stays >= 1 micro.
  auto scale = [multiplier](int64_t base) -> int64_t {
    if (base <= 0) return base;
    return std::clamp<int64_t>(
        static_cast<int64_t>(std::floor(static_cast<double>(base) * multiplier)), 1,
        catalog::kMaxBidMicros);
  };
  for (size_t i = 0; i < a.groups.size(); ++i) {
    catalog_->ad_groups[a.groups[i]].default_bid_micros = scale(a.group_bid[i]);
  }
  for (size_t i = 0; i < a.targets.size(); ++i) {
    catalog_->targets[a.targets[i]].bid_micros = scale(a.target_bid[i]);
  }
}

absl::StatusOr<bool> Agents::Rebalance(const billing::Billing& billing, const Agent& a,
                                       absl::CivilDay today) {
  std::vector<int64_t> spend;
  int64_t total = 0;
  for (size_t c : a.campaigns) {
    absl::StatusOr<billing::CampaignStats> st =
        billing.Stats(catalog_->campaigns[c].id, today, today);
    if (!st.ok()) return st.status();
    spend.push_back(st->days.empty() ? 0 : st->days.front().counters.spend_micros);
    total += spend.back();
  }
  const int64_t n = std::max<int64_t>(1, static_cast<int64_t>(a.campaigns.size()));
  const int64_t share = std::max<int64_t>(0, a.spec->daily_budget_micros() - total) / n;
  bool changed = false;
  for (size_t i = 0; i < a.campaigns.size(); ++i) {
    const int64_t budget = std::max<int64_t>(1, spend[i] + share);
    int64_t& current = catalog_->campaigns[a.campaigns[i]].daily_budget_micros;
    if (current != budget) {
      current = budget;
      changed = true;
    }
  }
  return changed;
}

absl::StatusOr<bool> Agents::OnHour(const billing::Billing& billing, int hour, absl::CivilDay first,
                                    absl::CivilDay today) {
  bool changed = false;
  for (Agent& a : agents_) {
    absl::StatusOr<bool> rebalanced = Rebalance(billing, a, today);
    if (!rebalanced.ok()) return rebalanced.status();
    changed = changed || *rebalanced;
    if (a.spec->strategy() == Autobidder::FIXED) {
      a.hourly_multiplier.push_back(a.controller.multiplier());
      continue;
    }
    SalesTotals now;
    for (size_t c : a.campaigns) {
      absl::StatusOr<SalesTotals> t =
          CampaignSales(billing, catalog_->campaigns[c].id, first, today, advertises_);
      if (!t.ok()) return t.status();
      now += *t;
    }
    const double before = a.controller.multiplier();
    const double after = a.controller.Update({.spend_micros = now.spend_micros - a.spend_seen,
                                              .sales_micros = now.sales_micros - a.sales_seen,
                                              .hour_budget_share = hour_share_[hour]});
    a.spend_seen = now.spend_micros;
    a.sales_seen = now.sales_micros;
    a.hourly_multiplier.push_back(after);
    if (after != before) {
      ApplyBids(a, after);
      changed = true;
    }
  }
  return changed;
}

absl::StatusOr<std::vector<AgentMetrics>> Agents::Finish(const billing::Billing& billing,
                                                         absl::CivilDay first,
                                                         absl::CivilDay last) {
  std::vector<AgentMetrics> out;
  for (const Agent& a : agents_) {
    AgentMetrics m{.advertiser = a.advertiser,
                   .advertiser_id = catalog_->advertisers[a.advertiser].id,
                   .strategy = StrategyName(a.spec->strategy()),
                   .target_acos = a.controller.config().target_acos,
                   .daily_budget_micros = a.spec->daily_budget_micros(),
                   .days = static_cast<int>(last - first) + 1,
                   .final_multiplier = a.controller.multiplier(),
                   .hourly_multiplier = a.hourly_multiplier};
    for (absl::CivilDay d = first; d <= last; ++d) {
      SalesTotals day;
      for (size_t c : a.campaigns) {
        absl::StatusOr<SalesTotals> t =
            CampaignSales(billing, catalog_->campaigns[c].id, d, d, advertises_);
        if (!t.ok()) return t.status();
        day += *t;
      }
      m.spend_micros += day.spend_micros;
      m.sales_micros += day.sales_micros;
      m.max_day_spend_micros = std::max(m.max_day_spend_micros, day.spend_micros);
      if (d == last) {
        m.last_day_spend_micros = day.spend_micros;
        m.last_day_sales_micros = day.sales_micros;
      }
      if (last - d < 3) {
        m.last3_spend_micros += day.spend_micros;
        m.last3_sales_micros += day.sales_micros;
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace gavel::sim
