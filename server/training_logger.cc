#include "server/training_logger.h"

#include <string>
#include <utility>

#include "learning/training_record.h"
#include "targeting/retrieve.h"

namespace gavel::server {

void TrainingLogger::Impressions(const engine::AuctionRequest& request,
                                 const engine::AuctionResult& result, absl::Time now) {
  if (request.dry_run || !request.issue_tokens || result.serving == nullptr) return;
  const targeting::CatalogSnapshot& snapshot = *result.serving->catalog;
  learning::Impression record{.time_micros = absl::ToUnixMicros(now),
                              .auction_id = result.auction_id,
                              .model_version = snapshot.model().version(),
                              .shopper_hash = issuer_->HashUser(request.targeting.shopper.user_id)};
  for (const engine::AdOutcome& winner : result.winners) {
    if (winner.external()) continue;
    record.slot = winner.slot;
    if (!targeting::CtrFeatures(snapshot, request.targeting, winner.ad, winner.matched,
                                &record.features)
             .ok()) {
      return;  // the auction validated this query; unreachable
    }
    log_->Append(learning::EncodeImpression(record));
  }
}

void TrainingLogger::Clicks(absl::Span<const billing::Event> events,
                            absl::Span<const billing::EventResult> results, absl::Time now) {
  for (size_t i = 0; i < events.size() && i < results.size(); ++i) {
    const billing::Outcome outcome = results[i].outcome;
    if (events[i].type != billing::TokenType::kClick ||
        (outcome != billing::Outcome::kCharged && outcome != billing::Outcome::kBudgetExhausted)) {
      continue;
    }
    // Billing verified this token already; the claims are read again here rather than widening
    // billing's results for a consumer it does not know about. Expiry is irrelevant: it was valid.
    const billing::VerifyResult v =
        verifier_.Verify(events[i].token, billing::TokenType::kClick, absl::InfinitePast());
    if (v.claims.auction_id.empty()) continue;
    log_->Append(learning::EncodeClick({.time_micros = absl::ToUnixMicros(now),
                                        .auction_id = v.claims.auction_id,
                                        .slot = v.claims.slot}));
  }
}

}  // namespace gavel::server
