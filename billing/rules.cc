#include "billing/rules.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "billing/bytes.h"

namespace gavel::billing {
namespace {

InvalidReason ReasonFor(TokenError e) {
  switch (e) {
    case TokenError::kOk:
      return InvalidReason::kNone;
    case TokenError::kForged:
      return InvalidReason::kForged;
    case TokenError::kExpired:
      return InvalidReason::kExpired;
    case TokenError::kUnknownKey:
      return InvalidReason::kUnknownKey;
    case TokenError::kWrongEventType:
      return InvalidReason::kWrongEventType;
  }
  return InvalidReason::kForged;
}

// The repeat-click key of a (user, ad) pair.
ExpiringSet::Key ClickKey(uint64_t user_hash, absl::string_view ad_id) {
  std::string key;
  internal::PutFixed64(&key, user_hash);
  key.append(ad_id.data(), ad_id.size());
  return ExpiringSet::KeyOf(key);
}

// Sets the record's outcome and the event's result.
void Finish(Outcome o, InvalidReason reason, std::string detail, EventRecord* r,
            EventResult* result) {
  r->outcome = o;
  r->reason = reason;
  *result = {o, r->charged_micros, reason, std::move(detail)};
}

}  // namespace

bool ReachedRateCheck(const EventRecord& r) {
  return r.outcome == Outcome::kCharged || r.outcome == Outcome::kBudgetExhausted ||
         (r.outcome == Outcome::kInvalid &&
          (r.reason == InvalidReason::kRateLimited || r.reason == InvalidReason::kRepeatClick));
}

StatsCounters CountersFor(const EventRecord& r) {
  StatsCounters c;
  if (r.type == TokenType::kImpression) {
    c.impressions = r.outcome == Outcome::kRecorded ? 1 : 0;
  } else if (r.outcome == Outcome::kCharged) {
    c.clicks = 1;
    c.spend_micros = r.charged_micros;
  } else if (r.outcome == Outcome::kBudgetExhausted) {
    c.budget_exhausted_clicks = 1;
  } else {
    c.invalid_clicks = 1;  // INVALID, or a token presented again under a new event id
  }
  return c;
}

RuleState::RuleState(const EventRules& rules, const TokenVerifier* verifier)
    : rules_(rules), verifier_(verifier) {}

std::optional<EventRecord> RuleState::Decide(const Event& e, const VerifyResult& v, absl::Time now,
                                             const BudgetStore& settings, BudgetStore* charges,
                                             EventResult* result) const {
  if (event_ids_.Contains(ExpiringSet::KeyOf(e.client_event_id), now)) {
    *result = {Outcome::kDuplicate, 0, InvalidReason::kNone, "client_event_id already processed"};
    return std::nullopt;
  }
  EventRecord r;
  r.client_event_id = e.client_event_id;
  r.type = e.type;
  r.time = now;
  const bool signed_ok = !v.token_id.empty();  // signature verified: claims are ours
  if (signed_ok) {
    r.campaign_id = v.claims.campaign_id;
    r.ad_id = v.claims.ad_id;
    r.ad_group_id = v.claims.ad_group_id;
    r.product_id = v.claims.product_id;
    r.advertiser_id = v.claims.advertiser_id;
    r.price_micros = v.claims.price_micros;
    r.user_hash = v.claims.user_hash;
    r.placement = v.claims.placement;
    r.target_id = v.claims.target_id;
    r.search_term = v.claims.search_term;
  }
  // Verification ran before the lock; the token must still be unexpired now, when the used-token
  // set (which forgets a token once it expires) is asked about it.
  const TokenError error = v.ok() && v.claims.expires_at <= now ? TokenError::kExpired : v.error;
  if (error != TokenError::kOk) {
    Finish(Outcome::kInvalid, ReasonFor(error),
           absl::StrCat("token rejected: ", TokenErrorName(error)), &r, result);
  } else if (tokens_.Contains(ExpiringSet::KeyFromRandomBytes(v.token_id), now)) {
    Finish(Outcome::kDuplicate, InvalidReason::kNone, "token already used", &r, result);
  } else {
    r.token_id = v.token_id;  // from here on, this event consumes the token
    r.token_expires_at = v.claims.expires_at;
    if (!e.user_id.empty() &&
        verifier_->UserHash(v.claims.key_id, e.user_id) != v.claims.user_hash) {
      Finish(Outcome::kInvalid, InvalidReason::kUserMismatch, "user_id does not match the token",
             &r, result);
    } else if (e.type == TokenType::kImpression) {
      Finish(Outcome::kRecorded, InvalidReason::kNone, "", &r, result);
    } else {
      DecideClick(now, charges, &r, result);
      // A click that reached the budget has the day its budget decision counted it on.
      if (r.outcome == Outcome::kCharged || r.outcome == Outcome::kBudgetExhausted) return r;
    }
  }
  r.day = CampaignDay(settings, r.campaign_id, now);
  return r;
}

void RuleState::DecideClick(absl::Time now, BudgetStore* charges, EventRecord* r,
                            EventResult* result) const {
  const int64_t now_us = absl::ToUnixMicros(now);
  bool limited = false, repeat = false;
  if (r->user_hash != 0) {
    auto it = user_clicks_.find(r->user_hash);
    if (it != user_clicks_.end()) {
      const int64_t horizon = now_us - absl::ToInt64Microseconds(rules_.rate_window);
      int recent = 0;
      for (int64_t t : it->second) recent += t > horizon ? 1 : 0;
      limited = recent >= rules_.max_clicks_per_window;
    }
    repeat = last_click_.Contains(ClickKey(r->user_hash, r->ad_id), now);
  }
  if (limited) {
    Finish(Outcome::kInvalid, InvalidReason::kRateLimited,
           absl::StrCat("more than ", rules_.max_clicks_per_window, " clicks in ",
                        absl::FormatDuration(rules_.rate_window)),
           r, result);
    return;
  }
  if (repeat) {
    Finish(Outcome::kInvalid, InvalidReason::kRepeatClick,
           absl::StrCat("same user clicked this ad within ",
                        absl::FormatDuration(rules_.repeat_click_window)),
           r, result);
    return;
  }
  auto decision = charges->TryCharge(r->campaign_id, r->price_micros, now);
  if (!decision.ok()) {
    r->day = DayIndex(now, absl::UTCTimeZone());
    Finish(Outcome::kBudgetExhausted, InvalidReason::kNone,
           std::string(decision.status().message()), r, result);
  } else if (!decision->charged) {
    r->day = decision->day;
    Finish(Outcome::kBudgetExhausted, InvalidReason::kNone,
           "the click would exceed the campaign's budget", r, result);
  } else {
    r->day = decision->day;
    r->charged_micros = r->price_micros;
    Finish(Outcome::kCharged, InvalidReason::kNone, "", r, result);
  }
}

void RuleState::Apply(const EventRecord& r) {
  RememberEventId(r.client_event_id,
                  r.time + (r.type == TokenType::kImpression ? rules_.impression_event_id_retention
                                                             : rules_.event_id_retention));
  if (!r.token_id.empty()) RememberToken(r.token_id, r.token_expires_at);
  if (r.type == TokenType::kClick && r.user_hash != 0 && ReachedRateCheck(r)) {
    const int64_t t = absl::ToUnixMicros(r.time);
    std::vector<int64_t>& clicks = user_clicks_[r.user_hash];
    clicks.push_back(t);
    const int64_t horizon = t - absl::ToInt64Microseconds(rules_.rate_window);
    const size_t keep = static_cast<size_t>(rules_.max_clicks_per_window + 1);
    size_t drop = 0;
    while (drop < clicks.size() && (clicks[drop] <= horizon || clicks.size() - drop > keep)) ++drop;
    clicks.erase(clicks.begin(), clicks.begin() + drop);
  }
  if (r.outcome == Outcome::kCharged && r.user_hash != 0) {
    RememberRepeatClick(r.user_hash, r.ad_id, r.time + rules_.repeat_click_window);
  }
}

void RuleState::RememberEventId(absl::string_view client_event_id, absl::Time deadline) {
  event_ids_.Insert(ExpiringSet::KeyOf(client_event_id), deadline);
}

void RuleState::RememberToken(absl::string_view token_id, absl::Time expires_at) {
  tokens_.Insert(ExpiringSet::KeyFromRandomBytes(token_id), expires_at);
}

void RuleState::RememberRepeatClick(uint64_t user_hash, absl::string_view ad_id, absl::Time until) {
  last_click_.Insert(ClickKey(user_hash, ad_id), until);
}

void RuleState::RememberUserClicks(uint64_t user_hash, std::vector<int64_t> times) {
  user_clicks_[user_hash] = std::move(times);
}

const std::vector<int64_t>& RuleState::UserClicks(uint64_t user_hash) const {
  static const std::vector<int64_t>* const kNone = new std::vector<int64_t>();
  auto it = user_clicks_.find(user_hash);
  return it == user_clicks_.end() ? *kNone : it->second;
}

void RuleState::Prune(absl::Time now) {
  pruned_at_ = std::max(pruned_at_, now);
  event_ids_.Prune(now);
  tokens_.Prune(now);
  last_click_.Prune(now);
  // Users without a counted click in the last rate_window hold nothing the rule reads; sweep them
  // once per window, so the map holds at most two windows' worth of clicking users.
  const int64_t now_us = absl::ToUnixMicros(now);
  const int64_t window_us = absl::ToInt64Microseconds(rules_.rate_window);
  if (now_us - user_clicks_swept_at_ < window_us) return;
  user_clicks_swept_at_ = now_us;
  absl::erase_if(user_clicks_, [&](const auto& kv) {
    return kv.second.empty() || kv.second.back() <= now_us - window_us;
  });
}

void RuleState::Serialize(absl::Time now, std::string* out) {
  Prune(DecisionTime(now));
  for (const ExpiringSet* set : {&event_ids_, &tokens_, &last_click_}) {
    internal::PutVarint(out, set->size());
    set->ForEach([&](ExpiringSet::Key k, absl::Time deadline) {
      internal::PutFixed64(out, k.hi);
      internal::PutVarint(out, k.lo);
      internal::PutSigned(out, absl::ToUnixMillis(deadline));
    });
  }
  internal::PutVarint(out, user_clicks_.size());
  for (const auto& [user, times] : user_clicks_) {
    internal::PutFixed64(out, user);
    internal::PutVarint(out, times.size());
    for (int64_t t : times) internal::PutSigned(out, t);
  }
}

bool RuleState::Restore(internal::ByteReader* in) {
  for (ExpiringSet* set : {&event_ids_, &tokens_, &last_click_}) {
    uint64_t n;
    if (!in->Varint(&n)) return false;
    for (uint64_t i = 0; i < n; ++i) {
      ExpiringSet::Key k;
      uint64_t lo;
      int64_t deadline_ms;
      if (!in->Fixed64(&k.hi) || !in->Varint(&lo) || lo > UINT32_MAX || !in->Signed(&deadline_ms)) {
        return false;
      }
      k.lo = static_cast<uint32_t>(lo);
      set->Insert(k, absl::FromUnixMillis(deadline_ms));
    }
  }
  return RestoreUserClicks(in);
}

// Version 1 kept the raw keys with times in micros: event id -> event time, token id -> expiry,
// user hash + ad id -> last charged click. An event id's type was not kept: it gets the longer,
// click retention.
bool RuleState::RestoreV1(internal::ByteReader* in) {
  const absl::Duration after[] = {rules_.event_id_retention, absl::ZeroDuration(),
                                  rules_.repeat_click_window};
  int which = 0;
  for (ExpiringSet* set : {&event_ids_, &tokens_, &last_click_}) {
    uint64_t n;
    if (!in->Varint(&n)) return false;
    for (uint64_t i = 0; i < n; ++i) {
      std::string k;
      int64_t micros;
      if (!in->Bytes(&k) || !in->Signed(&micros)) return false;
      const ExpiringSet::Key key =
          set == &tokens_ ? ExpiringSet::KeyFromRandomBytes(k) : ExpiringSet::KeyOf(k);
      set->Insert(key, absl::FromUnixMicros(micros) + after[which]);
    }
    ++which;
  }
  return RestoreUserClicks(in);
}

bool RuleState::RestoreUserClicks(internal::ByteReader* in) {
  uint64_t n;
  if (!in->Varint(&n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t user, count;
    if (!in->Fixed64(&user) || !in->Varint(&count)) return false;
    auto& times = user_clicks_[user];
    for (uint64_t j = 0; j < count; ++j) {
      int64_t t;
      if (!in->Signed(&t)) return false;
      times.push_back(t);
    }
  }
  return true;
}

DedupeState RuleState::Size() const {
  return {.event_ids = event_ids_.size(),
          .tokens = tokens_.size(),
          .repeat_clicks = last_click_.size(),
          .rate_users = user_clicks_.size(),
          .bytes = event_ids_.bytes() + tokens_.bytes() + last_click_.bytes()};
}

}  // namespace gavel::billing
