// GetBidSuggestions and GetBudgetSuggestion behind CampaignService: validate the request against
// the serving catalog, read the landscape recorder and billing's daily stats, call suggest/'s
// pure core, convert. Definitions: docs/auction.md ("Bid suggestions"), docs/billing.md ("Budget
// suggestions"); fields and errors: docs/api.md.
//
//   Suggestions suggestions(&engine, billing.get(), &recorder, &clock, /*sample_every=*/100);
//   absl::Status st = suggestions.Bids(request, &response);
//
// Ownership is checked by the caller (CampaignServiceImpl). Does not own its collaborators; they
// must outlive it. Thread-safe.
#ifndef GAVEL_SERVER_SUGGESTIONS_H_
#define GAVEL_SERVER_SUGGESTIONS_H_

#include "absl/status/status.h"
#include "billing/billing.h"
#include "common/clock.h"
#include "engine/engine.h"
#include "gavel/v1/campaigns.pb.h"
#include "suggest/landscape.h"

namespace gavel::server {

class Suggestions {
 public:
  Suggestions(const engine::Engine* engine, const billing::Billing* billing,
              const suggest::LandscapeRecorder* landscape, const Clock* clock, int sample_every,
              suggest::LandscapeOptions options)
      : engine_(engine),
        billing_(billing),
        landscape_(landscape),
        clock_(clock),
        sample_every_(sample_every),
        options_(options) {}

  // INVALID_ARGUMENT for an empty campaign_id or a target_ids entry that is not a target of the
  // campaign (naming it: `target_ids[1] "t9" ...`); NOT_FOUND for a campaign not in the catalog.
  absl::Status Bids(const gavel::v1::GetBidSuggestionsRequest& req,
                    gavel::v1::GetBidSuggestionsResponse* resp) const;
  // INVALID_ARGUMENT for an empty campaign_id or days outside [0, 7]; NOT_FOUND for a campaign
  // not in the catalog; billing's errors reading the stats.
  absl::Status Budget(const gavel::v1::GetBudgetSuggestionRequest& req,
                      gavel::v1::GetBudgetSuggestionResponse* resp) const;

  // GetBudgetSuggestionRequest.days' largest value (and its default).
  static constexpr int kMaxDays = 7;

 private:
  const engine::Engine* const engine_;
  const billing::Billing* const billing_;
  const suggest::LandscapeRecorder* const landscape_;
  const Clock* const clock_;
  const int sample_every_;
  const suggest::LandscapeOptions options_;
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_SUGGESTIONS_H_
