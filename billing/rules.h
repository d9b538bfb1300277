// The event rules (docs/billing.md, "Event outcomes"): duplicate event ids and tokens, token
// validity, the user check, the per-shopper rate limit, repeat clicks and the budget charge.
// RuleState holds what the rules remember and decides each event from it. Both event stores run
// this one copy of the rules, so they give the same verdicts: the embedded store keeps one
// RuleState for the process, the PostgreSQL store loads one per batch from the rows the batch
// touches (under row locks) and writes back what the batch changed.
//
//   RuleState state(rules, &verifier);
//   EventResult result;
//   std::optional<EventRecord> r = state.Decide(event, verifier.Verify(...), now,
//                                               &budgets, &budgets, &result);
//   if (r) state.Apply(*r);  // after the record is on its way to durable storage
//
// Not thread-safe: the owner serialises access. Does not own `verifier`, which must outlive it.
#ifndef GAVEL_BILLING_RULES_H_
#define GAVEL_BILLING_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "billing/budget.h"
#include "billing/expiring_set.h"
#include "billing/records.h"
#include "billing/stats.h"
#include "billing/token.h"

namespace gavel::billing {
namespace internal {
class ByteReader;  // billing/bytes.h
}  // namespace internal

struct Event {
  std::string client_event_id;  // 1-128 bytes; the idempotency key
  TokenType type = TokenType::kClick;
  std::string token;    // the click or impression token
  std::string user_id;  // optional; when set it must hash to the token's user
};

struct EventResult {
  Outcome outcome = Outcome::kInvalid;
  int64_t charged_micros = 0;  // kCharged only: the token's price
  InvalidReason reason = InvalidReason::kNone;
  std::string detail;
};

// The invalid-click rules. Clicks without a user (user hash 0) skip the per-user rules.
struct EventRules {
  // A user's second charged click on the same ad within this window is REPEAT_CLICK.
  absl::Duration repeat_click_window = absl::Hours(1);
  // More than `max_clicks_per_window` clicks by one user within `rate_window` are RATE_LIMITED.
  int max_clicks_per_window = 30;
  absl::Duration rate_window = absl::Minutes(1);
  // How long a click's client_event_id is remembered (for DUPLICATE), from the event's time.
  absl::Duration event_id_retention = absl::Hours(48);
  // The same for an impression's. After its token expires (1 hour by default, TokenOptions) a
  // replayed impression is INVALID EXPIRED and changes nothing, so it needs no longer.
  absl::Duration impression_event_id_retention = absl::Hours(1);
  // Tokens are remembered until they expire.
};

// The size of the dedupe and click-window state (docs/billing.md, "Memory").
struct DedupeState {
  size_t event_ids = 0, tokens = 0, repeat_clicks = 0;  // entries held (live or awaiting pruning)
  size_t rate_users = 0;                                // users with counted clicks
  size_t bytes = 0;                                     // of the three sets' tables
};

// Whether a click record went through the per-user rate check (so counts towards the rate).
bool ReachedRateCheck(const EventRecord& r);
// What a record adds to its campaign's statistics for its day (docs/billing.md, "Statistics").
StatsCounters CountersFor(const EventRecord& r);

class RuleState {
 public:
  RuleState(const EventRules& rules, const TokenVerifier* verifier);

  // The time to decide at: the clock's `now`, but never before the latest Prune, so a clock that
  // steps back cannot revive an entry pruning already dropped.
  absl::Time DecisionTime(absl::Time now) const { return std::max(now, pruned_at_); }

  // Decides one event (its token verified as `v`, before the caller took its lock) at `now`.
  // Sets `*result`. Returns the record to make durable, or nullopt for a client_event_id seen
  // within its retention (DUPLICATE, nothing recorded). A click that passes the rules is charged
  // through `charges`; `settings` answers which local day a campaign's event counts for (the
  // same store for the embedded billing; the PostgreSQL store charges a per-batch copy).
  std::optional<EventRecord> Decide(const Event& e, const VerifyResult& v, absl::Time now,
                                    const BudgetStore& settings, BudgetStore* charges,
                                    EventResult* result) const;
  // Remembers what a decided record changes in the rule state (event id, used token, the user's
  // click times, the repeat-click pair). Statistics and spend are the store's.
  void Apply(const EventRecord& r);
  // Drops entries whose windows have passed.
  void Prune(absl::Time now);

  // Loading state kept elsewhere (a snapshot, database rows): the same entries Apply makes.
  void RememberEventId(absl::string_view client_event_id, absl::Time deadline);
  void RememberToken(absl::string_view token_id, absl::Time expires_at);
  void RememberRepeatClick(uint64_t user_hash, absl::string_view ad_id, absl::Time until);
  // The user's counted click times (unix micros, oldest first).
  void RememberUserClicks(uint64_t user_hash, std::vector<int64_t> times);
  // The user's counted click times after Apply (empty for unknown users).
  const std::vector<int64_t>& UserClicks(uint64_t user_hash) const;

  // Snapshot form of the sets and click times: docs/billing.md, "Snapshots". Serialize prunes
  // first; the Restore functions return false on malformed input.
  void Serialize(absl::Time now, std::string* out);
  bool Restore(internal::ByteReader* in);
  bool RestoreV1(internal::ByteReader* in);

  DedupeState Size() const;
  const EventRules& rules() const { return rules_; }

 private:
  // The click rules after a token verified: rate limit, repeat click, budget.
  void DecideClick(absl::Time now, BudgetStore* charges, EventRecord* r, EventResult* result) const;
  bool RestoreUserClicks(internal::ByteReader* in);

  const EventRules rules_;
  const TokenVerifier* const verifier_;
  // Client event ids until event time + retention, used tokens until their expiry, (user, ad)
  // pairs with a charged click until its time + repeat_click_window.
  ExpiringSet event_ids_;
  ExpiringSet tokens_;
  ExpiringSet last_click_;
  // Per user, the times (unix micros) of the clicks counted for the rate limit, oldest first, at
  // most max_clicks_per_window + 1; users without a click in rate_window are swept out.
  absl::flat_hash_map<uint64_t, std::vector<int64_t>> user_clicks_;
  int64_t user_clicks_swept_at_ = 0;  // unix micros
  absl::Time pruned_at_ = absl::InfinitePast();
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_RULES_H_
