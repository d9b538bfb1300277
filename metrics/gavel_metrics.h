// Gavel's metrics (docs/api.md, "Metrics"): every series is registered at construction, so
// recording is an array index and a relaxed atomic add: no lock, no allocation, no lookup by name.
// Labels are bounded enums (placement, mechanism, result, phase, event type, outcome, reason,
// status code); nothing is labelled by campaign, ad or shopper.
//
//   Registry registry;
//   GavelMetrics metrics(&registry);
//   metrics.RecordAuction({.placement = p, .mechanism = m, .nanos = n}, &result);  // on success
//   metrics.RecordAuctionError(absl::StatusCode::kInvalidArgument, n);
//
// Thread-safe. Does not own the registry, which must outlive this object.
#ifndef GAVEL_METRICS_GAVEL_METRICS_H_
#define GAVEL_METRICS_GAVEL_METRICS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "auction/types.h"
#include "billing/rules.h"
#include "catalog/enums.h"
#include "engine/engine.h"
#include "metrics/registry.h"

namespace gavel::metrics {

// The services that shed load and drop expired calls.
enum class Service { kAuction, kEvents };

class GavelMetrics {
 public:
  explicit GavelMetrics(Registry* registry);

  struct Call {
    catalog::Placement placement = catalog::Placement::kUnspecified;
    auction::Mechanism mechanism = auction::Mechanism::kGeneralizedSecondPrice;
    int slots = 0;      // slots the request asked for
    int64_t nanos = 0;  // the whole call, as the server measured it
  };
  // A successful auction: gavel_auctions_total{placement, mechanism, result=filled|empty}, the
  // whole-call and per-phase latencies, candidates, winners, slots, CPCs and losses by reason.
  void RecordAuction(const Call& call, const engine::AuctionResult& result);
  // A failed auction: gavel_auction_errors_total{code} and the whole-call latency.
  void RecordAuctionError(absl::StatusCode code, int64_t nanos);
  // A shed call; a shed auction also counts in
  // gavel_auction_errors_total{code="resource_exhausted"}.
  void RecordShed(Service s);
  void RecordDeadlineExpired(Service s) { expired_[static_cast<int>(s)]->Add(); }

  // One ingest (a ledger append and its fsync, or a PostgreSQL transaction) of `events` with their
  // `results` (same order; results empty when the ingest failed), taking `nanos`.
  void RecordIngest(absl::Span<const billing::Event> events,
                    absl::Span<const billing::EventResult> results, int64_t nanos);
  // One fdatasync of the embedded ledger.
  void RecordFsync(int64_t nanos) { fsync_->Observe(nanos); }

  // Read back by the ad-operations page.
  const Histogram& auction_latency() const { return *latency_; }
  int64_t LossesTotal(engine::LossReason r) const;

 private:
  static constexpr int kMechanisms = 3;
  static constexpr int kCodes = 17;    // absl::StatusCode 0..16; 0 (OK) unused
  static constexpr int kOutcomes = 6;  // billing::Outcome 1..5
  static constexpr int kInvalidReasons = 8;

  // [placement][mechanism][filled]
  std::array<std::array<std::array<Counter*, 2>, kMechanisms>, catalog::kNumPlacements> auctions_{};
  std::array<Counter*, kCodes> errors_{};
  Histogram* latency_;
  std::array<Histogram*, engine::kNumPhases> phases_{};
  Histogram* candidates_;
  Histogram* winners_;
  Histogram* cpc_;
  Counter* slots_requested_;
  Counter* slots_filled_;
  std::array<Counter*, engine::kNumLossReasons> losses_{};
  std::array<Counter*, 2> shed_{};
  std::array<Counter*, 2> expired_{};
  // [click?][outcome]
  std::array<std::array<Counter*, kOutcomes>, 2> events_{};
  std::array<Counter*, kInvalidReasons> invalid_clicks_{};
  Counter* charged_micros_;
  Histogram* batch_events_;
  Histogram* ingest_;
  Histogram* fsync_;
};

// Label values, as the metrics spell them (lowercase, underscores).
std::string PlacementLabel(catalog::Placement p);
std::string LossReasonLabel(engine::LossReason r);

}  // namespace gavel::metrics

#endif  // GAVEL_METRICS_GAVEL_METRICS_H_
