// Even budget pacing by probabilistic throttling: each campaign enters an auction with probability
// p, and a controller re-sets p every `update_interval` so the day's spend follows a target curve
// (uniform over the local day, or shaped like the supplied hourly traffic).
//
//   Pacer pacer({.update_interval = absl::Minutes(1)});
//   if (pacer.Participate("c1", now, day_start, day_end, spent_today, daily_budget, gen)) {
//     /* let c1 compete in this auction */
//   }
//
// The controller (docs/billing.md): it estimates R, the campaign's unthrottled spend per unit of
// traffic share (spend in the last interval / (p x traffic share of the interval), smoothed), and
// sets p so the expected spend in the next interval closes the gap to the curve:
//   p = (B x F(t + dt) - S(t)) / (R x (F(t + dt) - F(t))),  clamped to [min_probability, 1] and to
//   at most max_increase x the previous p.
// F is the target fraction of the daily target B spent by time t, S(t) the spend so far.
//
// Thread-safe. Participate reads p from an atomic; only the one caller that runs a due update
// takes the campaign's lock. Randomness comes only from the caller's generator. The auction path
// resolves a campaign once (Resolve) and passes the Handle, skipping the id lookup and its lock.
#ifndef GAVEL_BILLING_PACING_H_
#define GAVEL_BILLING_PACING_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/random/bit_gen_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sync.h"

namespace gavel::billing {

struct PacingConfig {
  absl::Duration update_interval = absl::Minutes(1);
  double min_probability = 1e-4;
  double initial_probability = 1.0;
  // p may grow by at most this factor per update (a quiet interval says little about traffic).
  double max_increase = 2.0;
  // Weight of the newest rate estimate in the moving average.
  double smoothing = 0.3;
  // Relative traffic in each of the 24 local hours; empty = uniform. The target curve spends in
  // proportion to it.
  std::vector<double> hourly_traffic;
};

class Pacer {
 private:
  struct State;

 public:
  // One campaign's pacing state, resolved once by id. Copyable; valid for the Pacer's lifetime
  // (states are never removed). A default-constructed Handle must not be passed to Participate.
  class Handle {
   public:
    Handle() = default;

   private:
    friend class Pacer;
    explicit Handle(State* state) : state_(state) {}
    State* state_ = nullptr;
  };

  explicit Pacer(PacingConfig config = {});
  ~Pacer();
  // The campaign's state, created (at initial_probability) if it has none yet.
  Handle Resolve(absl::string_view campaign_id);
  // True if the campaign should take part in an auction at `now`. `day_start`/`day_end` bound the
  // campaign's local day, `spent_today` is its spend so far today and `daily_target` what it should
  // spend by day_end. Always true while p == 1.
  bool Participate(absl::string_view campaign_id, absl::Time now, absl::Time day_start,
                   absl::Time day_end, int64_t spent_today, int64_t daily_target,
                   absl::BitGenRef gen);
  // The same, with the day's bounds computed only when the controller is due to update (a
  // time-zone conversion the auction path otherwise pays per campaign per auction).
  using DayBounds = std::pair<absl::Time, absl::Time>;
  bool Participate(absl::string_view campaign_id, absl::Time now,
                   absl::FunctionRef<DayBounds()> day_bounds, int64_t spent_today,
                   int64_t daily_target, absl::BitGenRef gen);
  // The same for a resolved campaign: no lookup, no lock unless an update is due.
  bool Participate(Handle campaign, absl::Time now, absl::FunctionRef<DayBounds()> day_bounds,
                   int64_t spent_today, int64_t daily_target, absl::BitGenRef gen);
  // The current participation probability (initial_probability for an unseen campaign).
  double Probability(absl::string_view campaign_id) const;
  // F: the fraction of the day's target that should be spent by `now`, in [0, 1].
  double TargetFraction(absl::Time now, absl::Time day_start, absl::Time day_end) const;

 private:
  void Update(State& s, absl::Time now, absl::Time day_start, absl::Time day_end,
              int64_t spent_today, int64_t daily_target);

  const PacingConfig config_;
  std::vector<double> cumulative_;  // cumulative_[h] = traffic share of hours [0, h)
  mutable Mutex mu_;
  // Entries are only ever added, and each State stays at its address: Handles point into them.
  absl::flat_hash_map<std::string, std::unique_ptr<State>> states_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_PACING_H_
