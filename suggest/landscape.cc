#include "suggest/landscape.h"

#include <algorithm>

#include "absl/hash/hash.h"
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

// One observation per (campaign, target) of a sample: its ads merged. Per thread, so that Record
// merges before taking the lock and allocates nothing once warm.
struct Merged {
  const engine::TargetSample* sample;
  TargetObservation observation;
};

std::vector<Merged>& MergeTargets(const engine::AuctionSample& sample) {
  // Sorted by a hash of the ids, the ids themselves breaking ties: the ads of one target end up
  // next to each other with one string comparison per pair in the common case (sorting by the
  // strings cost half of Record in bench/suggest_bench.cc).
  struct Keyed {
    size_t hash;
    const engine::TargetSample* sample;
  };
  thread_local std::vector<Keyed> keyed;
  thread_local std::vector<Merged> merged;
  keyed.clear();
  merged.clear();
  for (const engine::TargetSample& t : sample.targets) {
    keyed.push_back({absl::HashOf(t.campaign_id, t.target_id), &t});
  }
  std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    if (a.hash != b.hash) return a.hash < b.hash;
    if (a.sample->campaign_id != b.sample->campaign_id) {
      return a.sample->campaign_id < b.sample->campaign_id;
    }
    return a.sample->target_id < b.sample->target_id;
  });
  for (const Keyed& k : keyed) {
    const engine::TargetSample* t = k.sample;
    if (merged.empty() || merged.back().sample->campaign_id != t->campaign_id ||
        merged.back().sample->target_id != t->target_id) {
      TargetObservation o{.at = sample.at, .won = t->won, .cpc_micros = t->won ? t->cpc_micros : 0};
      for (int s = 0; s < kSlots; ++s) o.min_bid_micros[s] = t->min_bid_micros[s];
      merged.push_back({t, o});
      continue;
    }
    TargetObservation& o = merged.back().observation;
    // Several winning ads of one target: the observation keeps the highest price paid.
    if (t->won && (!o.won || t->cpc_micros > o.cpc_micros)) o.cpc_micros = t->cpc_micros;
    o.won = o.won || t->won;
    for (int s = 0; s < kSlots; ++s) {
      o.min_bid_micros[s] = SmallerMinBid(o.min_bid_micros[s], t->min_bid_micros[s]);
    }
  }
  return merged;
}

}  // namespace

void LandscapeRecorder::Record(const engine::AuctionSample& sample) {
  const std::vector<Merged>& merged = MergeTargets(sample);
  const size_t k = static_cast<size_t>(std::max(options_.max_observations_per_target, 1));
  MutexLock lock(&mu_);
  Campaign* c = nullptr;  // the campaign of the previous target, looked up again when it changes
  absl::string_view c_id;
  for (const Merged& m : merged) {
    if (c == nullptr || m.sample->campaign_id != c_id) {
      c = &campaigns_[m.sample->campaign_id];
      c_id = m.sample->campaign_id;
    }
    auto it = c->targets.find(m.sample->target_id);
    if (it == c->targets.end()) {
      if (targets_ >= options_.max_targets) continue;
      it = c->targets.try_emplace(std::string(m.sample->target_id)).first;
      ++targets_;
    }
    History& h = it->second;
    if (h.ring.size() < k) {
      h.ring.push_back(m.observation);
      if (h.ring.size() == k) h.ring.shrink_to_fit();  // full: exactly k, not the growth's 2^n
    } else {
      h.ring[h.next] = m.observation;
      h.next = (h.next + 1) % k;
    }
  }
  for (const engine::CampaignSample& cs : sample.campaigns) {
    Campaign& camp = campaigns_[cs.campaign_id];
    const int64_t day = billing::DayIndex(sample.at, cs.time_zone);
    BudgetDayCounts& counts = camp.days[day];
    if (cs.out_of_budget) {
      ++counts.out_of_budget_auctions;
      if (!counts.out_at.has_value() || sample.at < *counts.out_at) counts.out_at = sample.at;
    } else {
      ++counts.in_budget_auctions;
    }
    while (camp.days.size() > static_cast<size_t>(options_.budget_days)) {
      camp.days.erase(camp.days.begin());
    }
  }
  if (++records_ % kSweepEvery == 0) Sweep(sample.at);
}

void LandscapeRecorder::Sweep(absl::Time now) {
  for (auto c = campaigns_.begin(); c != campaigns_.end();) {
    auto& targets = c->second.targets;
    for (auto t = targets.begin(); t != targets.end();) {
      if (t->second.ring.empty() || t->second.newest().at <= now - options_.window) {
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
    const size_t n = history.ring.size();
    for (size_t i = 0; i < n; ++i) {  // oldest first
      const TargetObservation& o = history.ring[(history.next + i) % n];
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
