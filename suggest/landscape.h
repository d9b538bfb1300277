// The bid landscape and budget recorder: what sampled auctions (engine::LandscapeSink) said about
// each (campaign, manual target) and each campaign's budget, kept in memory with fixed bounds, and
// read back as suggest/suggest.h's inputs. Per process: each replica keeps its own (docs/api.md,
// "Suggestions").
//
//   LandscapeRecorder recorder;                       // bounds: LandscapeOptions
//   engine.SetLandscape(&recorder, /*sample_every=*/100);
//   ...
//   for (auto& [target, history] : recorder.Targets("c1", clock.Now())) SuggestBid(history, ...);
//
// Bounds: per target the newest `max_observations_per_target` observations (a ring), of which
// those of the last `window` are read; at most
// `max_targets` targets (a new target beyond it is not recorded; targets with nothing in the
// window are dropped every 4096 records); per campaign the last
// `budget_days` local days. Thread-safe: one mutex, taken by Record (1 in sample_every auctions;
// it merges a sample's ads per target before taking it) and by the readers.
#ifndef GAVEL_SUGGEST_LANDSCAPE_H_
#define GAVEL_SUGGEST_LANDSCAPE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sync.h"
#include "engine/engine.h"
#include "suggest/suggest.h"

namespace gavel::suggest {

struct LandscapeOptions {
  int max_observations_per_target = 100;
  absl::Duration window = absl::Hours(24 * 7);
  int max_targets = 50'000;
  int budget_days = 7;
};

// A campaign's sampled auctions on one of its local days.
struct BudgetDayCounts {
  int64_t in_budget_auctions = 0;
  int64_t out_of_budget_auctions = 0;
  std::optional<absl::Time> out_at;  // the first held back for budget
};

class LandscapeRecorder final : public engine::LandscapeSink {
 public:
  explicit LandscapeRecorder(LandscapeOptions options = {}) : options_(options) {}

  // Folds one sampled auction in: per target one observation (won if any of its ads won, at its
  // best slot's price; each minimum bid the smallest over its ads), per campaign one in-budget or
  // out-of-budget auction on its local day.
  void Record(const engine::AuctionSample& sample) override;

  // The campaign's targets with their observations of (now - window, now], oldest first, by
  // target id. Empty for a campaign never seen.
  std::map<std::string, std::vector<TargetObservation>> Targets(absl::string_view campaign_id,
                                                                absl::Time now) const;
  // The campaign's counts by local day (budget.h DayIndex), the last budget_days days recorded.
  std::map<int64_t, BudgetDayCounts> BudgetDays(absl::string_view campaign_id) const;

 private:
  // The newest max_observations_per_target observations: a ring once full.
  struct History {
    std::vector<TargetObservation> ring;
    size_t next = 0;  // where the next one goes once the ring is full (the oldest)
    const TargetObservation& newest() const { return ring[(next + ring.size() - 1) % ring.size()]; }
  };
  struct Campaign {
    absl::flat_hash_map<std::string, History> targets;
    std::map<int64_t, BudgetDayCounts> days;
  };

  const LandscapeOptions options_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, Campaign> campaigns_ ABSL_GUARDED_BY(mu_);
  int64_t targets_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t records_ ABSL_GUARDED_BY(mu_) = 0;
  // Drops targets with nothing in the window and campaigns left empty.
  void Sweep(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace gavel::suggest

#endif  // GAVEL_SUGGEST_LANDSCAPE_H_
