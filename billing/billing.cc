#include "billing/billing.h"

#include <algorithm>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "billing/bytes.h"

namespace gavel::billing {
namespace {

constexpr size_t kMaxEventIdBytes = 128;
// 2: the dedupe sets as (96-bit key, deadline in ms); 1 (still read): raw keys with times.
constexpr uint8_t kStateVersion = 2;

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

// Whether a click record went through the per-user rate check (so counts towards the rate).
bool ReachedRateCheck(const EventRecord& r) {
  return r.outcome == Outcome::kCharged || r.outcome == Outcome::kBudgetExhausted ||
         (r.outcome == Outcome::kInvalid &&
          (r.reason == InvalidReason::kRateLimited || r.reason == InvalidReason::kRepeatClick));
}

// The serving rule both lookups share: a campaign that cannot pay its highest bid sits out, and a
// paced one takes part only when `participate` (one pacing draw) says so.
Eligibility Verdict(int64_t remaining_micros, int64_t max_price_micros, bool pacing,
                    absl::FunctionRef<bool()> participate) {
  if (remaining_micros < std::max<int64_t>(max_price_micros, 1)) {
    return Eligibility::kBudgetExhausted;
  }
  if (pacing && !participate()) return Eligibility::kPacedOut;
  return Eligibility::kEligible;
}

}  // namespace

Billing::Billing(BillingConfig config, const Clock* clock, std::unique_ptr<BudgetStore> budgets)
    : config_(std::move(config)),
      clock_(clock),
      issuer_(config_.keyring, clock, config_.tokens),
      verifier_(config_.keyring),
      budgets_(std::move(budgets)),
      pacer_(config_.pacing) {}

Billing::~Billing() = default;

absl::StatusOr<std::unique_ptr<Billing>> Billing::Open(BillingConfig config, const Clock* clock,
                                                       std::unique_ptr<BudgetStore> budgets) {
  if (config.ledger_dir.empty()) return absl::InvalidArgumentError("ledger_dir must be set");
  if (config.keyring == nullptr) {
    return absl::InvalidArgumentError(
        "keyring must be set (Keyring::InsecureDevDefault() for a demo)");
  }
  if (clock == nullptr) return absl::InvalidArgumentError("clock must be set");
  if (budgets == nullptr) budgets = std::make_unique<InMemoryBudgetStore>();
  std::unique_ptr<Billing> b(new Billing(config, clock, std::move(budgets)));
  auto snapshot = Ledger::LoadLatestSnapshot(config.ledger_dir);
  if (!snapshot.ok()) return snapshot.status();
  uint64_t after = 0;
  if (snapshot->has_value()) {
    MutexLock lock(&b->mu_);
    absl::Status s = b->RestoreState((*snapshot)->state);
    if (!s.ok()) return s;
    after = (*snapshot)->lsn;
  }
  absl::Status replay_status;
  RecoveryInfo info;
  auto ledger = Ledger::Open(
      {.dir = config.ledger_dir, .fatal_handler = config.fatal_handler, .sync = config.sync}, after,
      [&](const LedgerRecord& rec) {
        auto r = DecodeEventRecord(rec.payload);
        if (!r.ok()) {
          if (replay_status.ok()) {
            replay_status = absl::DataLossError(
                absl::StrCat("ledger record ", rec.lsn, ": ", r.status().message()));
          }
          return;
        }
        MutexLock lock(&b->mu_);
        b->Apply(*r, /*replay=*/true);
      },
      &info);
  if (!ledger.ok()) return ledger.status();
  if (!replay_status.ok()) return replay_status;
  b->ledger_ = std::move(*ledger);
  MutexLock lock(&b->mu_);
  b->records_since_snapshot_ = info.records_replayed;
  return b;
}

absl::Status Billing::UpsertCampaign(const CampaignBudget& budget) {
  return budgets_->Upsert(budget);
}

absl::Status Billing::UpsertCampaigns(absl::Span<const CampaignBudget> budgets) {
  return budgets_->UpsertAll(budgets);
}

Eligibility Billing::EligibleToServe(absl::string_view campaign_id, absl::BitGenRef gen,
                                     int64_t max_price_micros) {
  const absl::Time now = clock_->Now();
  auto view = budgets_->Query(campaign_id, now);
  if (!view.ok()) return Eligibility::kUnknownCampaign;
  const CampaignBudget& s = *view->settings;
  return Verdict(view->remaining_micros, max_price_micros, s.pacing, [&] {
    auto day_bounds = [&] {
      const absl::CivilDay day = CivilDayFromIndex(view->day);
      return Pacer::DayBounds(absl::FromCivil(day, s.time_zone),
                              absl::FromCivil(day + 1, s.time_zone));
    };
    return pacer_.Participate(campaign_id, now, day_bounds, view->spent_today_micros,
                              s.daily_budget_micros, gen);
  });
}

CampaignHandle Billing::Resolve(absl::string_view campaign_id) {
  return {.budget = budgets_->Resolve(campaign_id), .pacing = pacer_.Resolve(campaign_id)};
}

Eligibility Billing::EligibleToServe(const CampaignHandle& campaign, absl::BitGenRef gen,
                                     int64_t max_price_micros) {
  const absl::Time now = clock_->Now();
  const ServingBudget b = campaign.budget->Read(now);
  if (!b.known) return Eligibility::kUnknownCampaign;
  return Verdict(b.remaining_micros, max_price_micros, b.pacing, [&] {
    return pacer_.Participate(
        campaign.pacing, now, [&] { return Pacer::DayBounds(b.day_start, b.day_end); },
        b.spent_today_micros, b.daily_budget_micros, gen);
  });
}

int64_t Billing::DayFor(absl::string_view campaign_id, absl::Time now) const {
  auto view = budgets_->Query(campaign_id, now);
  return view.ok() ? view->day : DayIndex(now, absl::UTCTimeZone());
}

absl::CivilDay Billing::Today(absl::string_view campaign_id) const {
  return CivilDayFromIndex(DayFor(campaign_id, clock_->Now()));
}

EventRecord Billing::Decide(const Event& e, const VerifyResult& v, absl::Time now,
                            EventResult* result) {
  EventRecord r;
  r.client_event_id = e.client_event_id;
  r.type = e.type;
  r.time = now;
  const bool signed_ok = !v.token_id.empty();  // signature verified: claims are ours
  if (signed_ok) {
    r.campaign_id = v.claims.campaign_id;
    r.ad_id = v.claims.ad_id;
    r.price_micros = v.claims.price_micros;
    r.user_hash = v.claims.user_hash;
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
        verifier_.UserHash(v.claims.key_id, e.user_id) != v.claims.user_hash) {
      Finish(Outcome::kInvalid, InvalidReason::kUserMismatch, "user_id does not match the token",
             &r, result);
    } else if (e.type == TokenType::kImpression) {
      Finish(Outcome::kRecorded, InvalidReason::kNone, "", &r, result);
    } else {
      DecideClick(now, &r, result);
      // A click that reached the budget has the day its budget decision counted it on.
      if (r.outcome == Outcome::kCharged || r.outcome == Outcome::kBudgetExhausted) return r;
    }
  }
  r.day = DayFor(r.campaign_id, now);
  return r;
}

void Billing::DecideClick(absl::Time now, EventRecord* r, EventResult* result) {
  const int64_t now_us = absl::ToUnixMicros(now);
  bool limited = false, repeat = false;
  if (r->user_hash != 0) {
    auto it = user_clicks_.find(r->user_hash);
    if (it != user_clicks_.end()) {
      const int64_t horizon = now_us - absl::ToInt64Microseconds(config_.rules.rate_window);
      int recent = 0;
      for (int64_t t : it->second) recent += t > horizon ? 1 : 0;
      limited = recent >= config_.rules.max_clicks_per_window;
    }
    repeat = last_click_.Contains(ClickKey(r->user_hash, r->ad_id), now);
  }
  if (limited) {
    Finish(Outcome::kInvalid, InvalidReason::kRateLimited,
           absl::StrCat("more than ", config_.rules.max_clicks_per_window, " clicks in ",
                        absl::FormatDuration(config_.rules.rate_window)),
           r, result);
    return;
  }
  if (repeat) {
    Finish(Outcome::kInvalid, InvalidReason::kRepeatClick,
           absl::StrCat("same user clicked this ad within ",
                        absl::FormatDuration(config_.rules.repeat_click_window)),
           r, result);
    return;
  }
  auto decision = budgets_->TryCharge(r->campaign_id, r->price_micros, now);
  if (!decision.ok()) {
    r->day = DayFor(r->campaign_id, now);
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

void Billing::Apply(const EventRecord& r, bool replay) {
  const int64_t t = absl::ToUnixMicros(r.time);
  event_ids_.Insert(
      ExpiringSet::KeyOf(r.client_event_id),
      r.time + (r.type == TokenType::kImpression ? config_.rules.impression_event_id_retention
                                                 : config_.rules.event_id_retention));
  if (!r.token_id.empty()) {
    tokens_.Insert(ExpiringSet::KeyFromRandomBytes(r.token_id), r.token_expires_at);
  }
  if (r.type == TokenType::kClick && r.user_hash != 0 && ReachedRateCheck(r)) {
    std::vector<int64_t>& clicks = user_clicks_[r.user_hash];
    clicks.push_back(t);
    const int64_t horizon = t - absl::ToInt64Microseconds(config_.rules.rate_window);
    const size_t keep = static_cast<size_t>(config_.rules.max_clicks_per_window + 1);
    size_t drop = 0;
    while (drop < clicks.size() && (clicks[drop] <= horizon || clicks.size() - drop > keep)) ++drop;
    clicks.erase(clicks.begin(), clicks.begin() + drop);
  }
  if (r.outcome == Outcome::kCharged && r.user_hash != 0) {
    last_click_.Insert(ClickKey(r.user_hash, r.ad_id), r.time + config_.rules.repeat_click_window);
  }
  if (r.outcome == Outcome::kCharged && replay && budgets_->RebuiltFromLedger()) {
    budgets_->AddSpend(r.campaign_id, r.day, r.charged_micros);
  }
  if (!r.campaign_id.empty()) {
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
    stats_.Add(r.campaign_id, r.day, c);
  }
  ++records_since_snapshot_;
}

void Billing::Prune(absl::Time now) {
  pruned_at_ = std::max(pruned_at_, now);
  event_ids_.Prune(now);
  tokens_.Prune(now);
  last_click_.Prune(now);
  // Users without a counted click in the last rate_window hold nothing the rule reads; sweep them
  // once per window, so the map holds at most two windows' worth of clicking users.
  const int64_t now_us = absl::ToUnixMicros(now);
  const int64_t window_us = absl::ToInt64Microseconds(config_.rules.rate_window);
  if (now_us - user_clicks_swept_at_ < window_us) return;
  user_clicks_swept_at_ = now_us;
  absl::erase_if(user_clicks_, [&](const auto& kv) {
    return kv.second.empty() || kv.second.back() <= now_us - window_us;
  });
}

absl::StatusOr<std::vector<EventResult>> Billing::Ingest(absl::Span<const Event> events) {
  for (const Event& e : events) {
    if (e.client_event_id.empty() || e.client_event_id.size() > kMaxEventIdBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("client_event_id must be 1-128 bytes, got ", e.client_event_id.size()));
    }
  }
  // HMAC verification is the expensive part; it needs no shared state.
  std::vector<VerifyResult> verified;
  verified.reserve(events.size());
  const absl::Time verify_time = clock_->Now();
  for (const Event& e : events) verified.push_back(verifier_.Verify(e.token, e.type, verify_time));

  std::vector<EventResult> results(events.size());
  std::vector<std::string> payloads;
  payloads.reserve(events.size());
  uint64_t wait_for = 0;
  bool snapshot_due = false;
  // Clicks (charges, and duplicates of clicks whose first record may still be on its way to disk)
  // are acknowledged only once durable; a batch of impressions only is acknowledged once queued
  // for the ledger's next group commit (docs/billing.md, "What is durable when").
  bool must_be_durable = false;
  {
    MutexLock lock(&mu_);
    // Decision time never steps back, so pruning below never forgets what a decision still needs.
    const absl::Time now = std::max(clock_->Now(), pruned_at_);
    Prune(now);
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].type == TokenType::kClick) must_be_durable = true;
      if (event_ids_.Contains(ExpiringSet::KeyOf(events[i].client_event_id), now)) {
        results[i] = {Outcome::kDuplicate, 0, InvalidReason::kNone,
                      "client_event_id already processed"};
        continue;
      }
      EventRecord r = Decide(events[i], verified[i], now, &results[i]);
      payloads.push_back(EncodeEventRecord(r));
      Apply(r, /*replay=*/false);
    }
    // One append for the batch wakes the writer once. If it fails, the ledger has stopped and the
    // process is going down (fatal handler), so the state applied above is never acknowledged.
    auto last = ledger_->AppendBatch(payloads);
    if (!last.ok()) return last.status();
    // Also covers duplicates: their original record may still be on its way to disk.
    wait_for = *last;
    snapshot_due = config_.snapshot_every_records > 0 &&
                   records_since_snapshot_ >= config_.snapshot_every_records;
  }
  if (must_be_durable) {
    absl::Status durable = ledger_->WaitDurable(wait_for);
    if (!durable.ok()) return durable;
  }
  if (snapshot_due) {
    // Best effort: the log alone still recovers everything.
    Snapshot().IgnoreError();
  }
  return results;
}

absl::StatusOr<CampaignStats> Billing::Stats(absl::string_view campaign_id, absl::CivilDay from,
                                             absl::CivilDay to) const {
  return stats_.Get(campaign_id, from, to);
}

DedupeState Billing::dedupe_state() const {
  MutexLock lock(&mu_);
  return {.event_ids = event_ids_.size(),
          .tokens = tokens_.size(),
          .repeat_clicks = last_click_.size(),
          .rate_users = user_clicks_.size(),
          .bytes = event_ids_.bytes() + tokens_.bytes() + last_click_.bytes()};
}

absl::Status Billing::Snapshot() {
  MutexLock snapshot_lock(&snapshot_mu_);
  std::string state;
  uint64_t lsn;
  {
    MutexLock lock(&mu_);
    if (records_since_snapshot_ == 0) return absl::OkStatus();
    lsn = ledger_->last_lsn();
    absl::Status rotated = ledger_->Rotate();
    if (!rotated.ok()) return rotated;
    state = SerializeState(clock_->Now());
    records_since_snapshot_ = 0;
  }
  return ledger_->WriteSnapshot(lsn, state);
}

// Layout, version 2 (all varints unless noted): version; spend rows (campaign, day, micros); the
// event-id, used-token and repeat-click sets, each as a count then (fixed64 key.hi, key.lo,
// deadline in unix ms) per entry; per-user click times (fixed64 user, n, times); stats rows
// (campaign, day, 5 counters). Entries past their window are pruned first.
std::string Billing::SerializeState(absl::Time now) {
  Prune(std::max(now, pruned_at_));
  std::string out;
  out.push_back(static_cast<char>(kStateVersion));
  std::vector<SpendRow> spend;
  if (budgets_->RebuiltFromLedger()) spend = budgets_->ExportSpend();
  internal::PutVarint(&out, spend.size());
  for (const SpendRow& s : spend) {
    internal::PutBytes(&out, s.campaign_id);
    internal::PutSigned(&out, s.day);
    internal::PutSigned(&out, s.micros);
  }
  for (const ExpiringSet* set : {&event_ids_, &tokens_, &last_click_}) {
    internal::PutVarint(&out, set->size());
    set->ForEach([&](ExpiringSet::Key k, absl::Time deadline) {
      internal::PutFixed64(&out, k.hi);
      internal::PutVarint(&out, k.lo);
      internal::PutSigned(&out, absl::ToUnixMillis(deadline));
    });
  }
  internal::PutVarint(&out, user_clicks_.size());
  for (const auto& [user, times] : user_clicks_) {
    internal::PutFixed64(&out, user);
    internal::PutVarint(&out, times.size());
    for (int64_t t : times) internal::PutSigned(&out, t);
  }
  std::vector<StatsRow> stats = stats_.Export();
  internal::PutVarint(&out, stats.size());
  for (const StatsRow& s : stats) {
    internal::PutBytes(&out, s.campaign_id);
    internal::PutSigned(&out, s.day);
    for (int64_t v : {s.counters.impressions, s.counters.clicks, s.counters.invalid_clicks,
                      s.counters.budget_exhausted_clicks, s.counters.spend_micros}) {
      internal::PutSigned(&out, v);
    }
  }
  return out;
}

bool Billing::RestoreSets(internal::ByteReader* in) {
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
  return true;
}

// Version 1 kept the raw keys with times in micros: event id -> event time, token id -> expiry,
// user hash + ad id -> last charged click. An event id's type was not kept: it gets the longer,
// click retention.
bool Billing::RestoreV1Sets(internal::ByteReader* in) {
  const absl::Duration after[] = {config_.rules.event_id_retention, absl::ZeroDuration(),
                                  config_.rules.repeat_click_window};
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
  return true;
}

absl::Status Billing::RestoreState(absl::string_view state) {
  internal::ByteReader in(state);
  const absl::Status bad = absl::DataLossError("malformed billing snapshot");
  uint8_t version;
  uint64_t n;
  if (!in.Byte(&version) || (version != kStateVersion && version != 1) || !in.Varint(&n)) {
    return bad;
  }
  for (uint64_t i = 0; i < n; ++i) {
    SpendRow s;
    if (!in.Bytes(&s.campaign_id) || !in.Signed(&s.day) || !in.Signed(&s.micros)) return bad;
    if (budgets_->RebuiltFromLedger()) budgets_->AddSpend(s.campaign_id, s.day, s.micros);
  }
  const bool ok = version == 1 ? RestoreV1Sets(&in) : RestoreSets(&in);
  if (!ok) return bad;
  if (!in.Varint(&n)) return bad;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t user, count;
    if (!in.Fixed64(&user) || !in.Varint(&count)) return bad;
    auto& times = user_clicks_[user];
    for (uint64_t j = 0; j < count; ++j) {
      int64_t t;
      if (!in.Signed(&t)) return bad;
      times.push_back(t);
    }
  }
  if (!in.Varint(&n)) return bad;
  for (uint64_t i = 0; i < n; ++i) {
    StatsRow s;
    StatsCounters& c = s.counters;
    if (!in.Bytes(&s.campaign_id) || !in.Signed(&s.day) || !in.Signed(&c.impressions) ||
        !in.Signed(&c.clicks) || !in.Signed(&c.invalid_clicks) ||
        !in.Signed(&c.budget_exhausted_clicks) || !in.Signed(&c.spend_micros)) {
      return bad;
    }
    stats_.Add(s.campaign_id, s.day, c);
  }
  return in.empty() ? absl::OkStatus() : bad;
}

}  // namespace gavel::billing
