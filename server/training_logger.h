// Feeds the training log (docs/learning.md, "Training log") from the serving path: one impression
// record per catalog winner of an auction that issued tokens, one click record per click that
// billing answered CHARGED or BUDGET_EXHAUSTED (the shopper clicked; the campaign may not pay).
//
//   TrainingLogger logger(log.get(), &billing->issuer(), keyring);
//   logger.Impressions(request, result, clock.Now());   // after Engine::RunAuction
//   logger.Clicks(events, results, clock.Now());        // after Billing::Ingest
//
// Records are built on the calling thread (the features, a keyed hash of the user id) and queued;
// the file I/O happens on the log's own writer thread, and a full queue drops the record (counted in
// the log's stats). Does not own `log` or `issuer`; both must outlive it. Thread-safe.
#ifndef GAVEL_SERVER_TRAINING_LOGGER_H_
#define GAVEL_SERVER_TRAINING_LOGGER_H_

#include <memory>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "billing/rules.h"
#include "billing/token.h"
#include "engine/engine.h"
#include "learning/training_log.h"

namespace gavel::server {

class TrainingLogger {
 public:
  TrainingLogger(learning::TrainingLog* log, const billing::TokenIssuer* issuer,
                 std::shared_ptr<const billing::Keyring> keyring)
      : log_(log), issuer_(issuer), verifier_(std::move(keyring)) {}

  // Nothing for dry runs, auctions without tokens, or caller-supplied candidates.
  void Impressions(const engine::AuctionRequest& request, const engine::AuctionResult& result,
                   absl::Time now);
  // `results[i]` is the outcome of `events[i]`.
  void Clicks(absl::Span<const billing::Event> events,
              absl::Span<const billing::EventResult> results, absl::Time now);

  const learning::TrainingLog& log() const { return *log_; }

 private:
  learning::TrainingLog* const log_;
  const billing::TokenIssuer* const issuer_;
  const billing::TokenVerifier verifier_;
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_TRAINING_LOGGER_H_
