#include "billing/pacing.h"

#include <algorithm>
#include <cmath>

#include "absl/random/distributions.h"

namespace gavel::billing {

struct Pacer::State {
  // Read by every Participate: first, so both share a cache line.
  std::atomic<double> p;
  std::atomic<int64_t> next_update_nanos{INT64_MIN};
  Mutex mu;
  absl::Time day_start ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  absl::Time last_update ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  int64_t last_spend ABSL_GUARDED_BY(mu) = 0;
  double p_used ABSL_GUARDED_BY(mu) = 1.0;
  double rate ABSL_GUARDED_BY(mu) = -1;  // unthrottled spend per unit of traffic share; <0 unknown
  explicit State(double p0) : p(p0) { p_used_init(p0); }
  void p_used_init(double p0) ABSL_NO_THREAD_SAFETY_ANALYSIS { p_used = p0; }
};

Pacer::Pacer(PacingConfig config) : config_(std::move(config)) {
  std::vector<double> w = config_.hourly_traffic;
  if (w.size() != 24) w.assign(24, 1.0);
  double total = 0;
  for (double x : w) total += std::max(x, 0.0);
  if (total <= 0) {
    w.assign(24, 1.0);
    total = 24;
  }
  cumulative_.assign(25, 0.0);
  for (int h = 0; h < 24; ++h) cumulative_[h + 1] = cumulative_[h] + std::max(w[h], 0.0) / total;
}

Pacer::~Pacer() = default;

double Pacer::TargetFraction(absl::Time now, absl::Time day_start, absl::Time day_end) const {
  if (now <= day_start) return 0;
  if (now >= day_end) return 1;
  // Hours are 1/24 of the local day, so 23- and 25-hour DST days stretch the curve evenly.
  const double x = 24 * absl::FDivDuration(now - day_start, day_end - day_start);
  const int h = std::min(23, static_cast<int>(x));
  return cumulative_[h] + (x - h) * (cumulative_[h + 1] - cumulative_[h]);
}

Pacer::Handle Pacer::Resolve(absl::string_view campaign_id) {
  {
    ReaderMutexLock lock(&mu_);
    auto it = states_.find(campaign_id);
    if (it != states_.end()) return Handle(it->second.get());
  }
  MutexLock lock(&mu_);
  auto& s = states_[campaign_id];
  if (s == nullptr) s = std::make_unique<State>(config_.initial_probability);
  return Handle(s.get());
}

double Pacer::Probability(absl::string_view campaign_id) const {
  ReaderMutexLock lock(&mu_);
  auto it = states_.find(campaign_id);
  return it == states_.end() ? config_.initial_probability : it->second->p.load();
}

void Pacer::Update(State& s, absl::Time now, absl::Time day_start, absl::Time day_end,
                   int64_t spent_today, int64_t daily_target) {
  MutexLock lock(&s.mu);
  if (now < s.last_update + config_.update_interval && s.day_start == day_start) return;
  if (s.day_start != day_start) {
    // A new local day: spend restarts at zero; p and the rate estimate carry over.
    s.day_start = day_start;
    s.last_update = day_start;
    s.last_spend = 0;
  }
  const double f_prev = TargetFraction(s.last_update, day_start, day_end);
  const double f_now = TargetFraction(now, day_start, day_end);
  const double spent = static_cast<double>(spent_today - s.last_spend);
  if (f_now > f_prev && s.p_used > 0) {
    const double observed = spent / (s.p_used * (f_now - f_prev));
    s.rate =
        s.rate < 0 ? observed : (1 - config_.smoothing) * s.rate + config_.smoothing * observed;
  }
  const double f_next =
      TargetFraction(std::min(now + config_.update_interval, day_end), day_start, day_end);
  const double need = static_cast<double>(daily_target) * f_next - static_cast<double>(spent_today);
  double p = s.p.load();
  if (s.rate > 0 && f_next > f_now) {
    p = need / (s.rate * (f_next - f_now));
  } else if (s.rate == 0 || s.rate < 0) {
    p = p * config_.max_increase;  // no spend seen: probe upwards
  }
  const double prev = s.p.load();
  p = std::clamp(p, config_.min_probability, std::min(1.0, prev * config_.max_increase));
  if (!std::isfinite(p)) p = prev;
  s.p.store(p);
  s.p_used = p;
  s.last_update = now;
  s.last_spend = spent_today;
  s.next_update_nanos.store(absl::ToUnixNanos(now + config_.update_interval));
}

bool Pacer::Participate(absl::string_view campaign_id, absl::Time now, absl::Time day_start,
                        absl::Time day_end, int64_t spent_today, int64_t daily_target,
                        absl::BitGenRef gen) {
  return Participate(
      campaign_id, now, [&] { return DayBounds(day_start, day_end); }, spent_today, daily_target,
      gen);
}

bool Pacer::Participate(absl::string_view campaign_id, absl::Time now,
                        absl::FunctionRef<DayBounds()> day_bounds, int64_t spent_today,
                        int64_t daily_target, absl::BitGenRef gen) {
  return Participate(Resolve(campaign_id), now, day_bounds, spent_today, daily_target, gen);
}

bool Pacer::Participate(Handle campaign, absl::Time now, absl::FunctionRef<DayBounds()> day_bounds,
                        int64_t spent_today, int64_t daily_target, absl::BitGenRef gen) {
  State& s = *campaign.state_;
  if (absl::ToUnixNanos(now) >= s.next_update_nanos.load()) {
    const DayBounds bounds = day_bounds();
    Update(s, now, bounds.first, bounds.second, spent_today, daily_target);
  }
  const double p = s.p.load();
  return p >= 1.0 || absl::Bernoulli(gen, p);
}

}  // namespace gavel::billing
