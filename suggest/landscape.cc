#include "suggest/landscape.h"

#include <algorithm>

#include "billing/budget.h"

namespace gavel::suggest {
namespace {

constexpr int64_t kSweepEvery = 4096;

// The smaller minimum bid, 0 (unattainable) counting as the largest.
int64_t SmallerMinBid(int64_t a, int64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

}  // namespace

void LandscapeRecorder::Record(const engine::AuctionSample& sample) {
  MutexLock lock(&mu_);
  // One observation per (campaign, target): its ads merged.
  merged_.clear();
  for (const engine::TargetSample& t : sample.targets) {
    auto it = std::find_if(merged_.begin(), merged_.end(), [&](const auto& m) {
      return m.first->target_id == t.target_id && m.first->campaign_id == t.campaign_id;
    });
    if (it == merged_.end()) {
      TargetObservation o{.at = sample.at, .won = t.won, .cpc_micros = t.won ? t.cpc_micros : 0};
      for (int s = 0; s < kSlots; ++s) o.min_bid_micros[s] = t.min_bid_micros[s];
      merged_.emplace_back(&t, o);
      continue;
    }
    TargetObservation& o = it->second;
    if (t.won && (!o.won || t.cpc_micros > o.cpc_micros)) {
      // Several winning ads of one target: the best slot's price is the highest under GSP's
      // ordering; the observation keeps the highest price paid for the target in this auction.
      o.cpc_micros = t.cpc_micros;
    }
    o.won = o.won || t.won;
    for (int s = 0; s < kSlots; ++s) {
      o.min_bid_micros[s] = SmallerMinBid(o.min_bid_micros[s], t.min_bid_micros[s]);
    }
  }
  for (const auto& [t, o] : merged_) {
    Campaign& c = campaigns_[t->campaign_id];
    auto it = c.targets.find(t->target_id);
    if (it == c.targets.end()) {
      if (targets_ >= options_.max_targets) continue;
      it = c.targets.try_emplace(std::string(t->target_id)).first;
      ++targets_;
    }
    std::deque<TargetObservation>& history = it->second;
    history.push_back(o);
    while (static_cast<int>(history.size()) > options_.max_observations_per_target ||
           history.front().at <= sample.at - options_.window) {
      history.pop_front();
    }
  }
  for (const engine::CampaignSample& cs : sample.campaigns) {
    Campaign& c = campaigns_[cs.campaign_id];
    const int64_t day = billing::DayIndex(sample.at, cs.time_zone);
    BudgetDayCounts& counts = c.days[day];
    if (cs.out_of_budget) {
      ++counts.out_of_budget_auctions;
      if (!counts.out_at.has_value() || sample.at < *counts.out_at) counts.out_at = sample.at;
    } else {
      ++counts.in_budget_auctions;
    }
    while (c.days.size() > static_cast<size_t>(options_.budget_days)) c.days.erase(c.days.begin());
  }
  if (++records_ % kSweepEvery == 0) Sweep(sample.at);
}

void LandscapeRecorder::Sweep(absl::Time now) {
  for (auto c = campaigns_.begin(); c != campaigns_.end();) {
    auto& targets = c->second.targets;
    for (auto t = targets.begin(); t != targets.end();) {
      if (t->second.empty() || t->second.back().at <= now - options_.window) {
        targets.erase(t++);
        --targets_;
      } else {
        ++t;
      }
    }
    if (targets.empty() && c->second.days.empty()) {
      campaigns_.erase(c++);
    } else {
      ++c;
    }
  }
}

std::map<std::string, std::vector<TargetObservation>> LandscapeRecorder::Targets(
    absl::string_view campaign_id, absl::Time now) const {
  std::map<std::string, std::vector<TargetObservation>> out;
  ReaderMutexLock lock(&mu_);
  auto c = campaigns_.find(campaign_id);
  if (c == campaigns_.end()) return out;
  for (const auto& [target, history] : c->second.targets) {
    std::vector<TargetObservation> recent;
    for (const TargetObservation& o : history) {
      if (o.at > now - options_.window && o.at <= now) recent.push_back(o);
    }
    if (!recent.empty()) out.emplace(target, std::move(recent));
  }
  return out;
}

std::map<int64_t, BudgetDayCounts> LandscapeRecorder::BudgetDays(
    absl::string_view campaign_id) const {
  ReaderMutexLock lock(&mu_);
  auto c = campaigns_.find(campaign_id);
  if (c == campaigns_.end()) return {};
  return c->second.days;
}

}  // namespace gavel::suggest
