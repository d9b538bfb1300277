#include "billing/ledger_store.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "billing/bytes.h"

namespace gavel::billing {
namespace {

// 4: version 3 with the clicks' dimensions (placement, target, search term) in the sales index,
// then the per-dimension counters (DimensionStats::Serialize);
// 3 (still read): version 2 then the sales index (clicks and purchase lines); 2 (still read): the
// dedupe sets as (96-bit key, deadline in ms); 1 (still read): raw keys with times.
constexpr uint8_t kStateVersion = 4;

}  // namespace

LedgerEventStore::LedgerEventStore(LedgerStoreOptions options, const EventContext& context)
    : options_(std::move(options)), context_(context), rules_(context.rules, context.verifier) {}

LedgerEventStore::~LedgerEventStore() = default;

absl::StatusOr<std::unique_ptr<LedgerEventStore>> LedgerEventStore::Open(
    LedgerStoreOptions options, const EventContext& context) {
  if (options.dir.empty()) return absl::InvalidArgumentError("ledger_dir must be set");
  std::unique_ptr<LedgerEventStore> s(new LedgerEventStore(options, context));
  auto snapshot = Ledger::LoadLatestSnapshot(options.dir);
  if (!snapshot.ok()) return snapshot.status();
  uint64_t after = 0;
  if (snapshot->has_value()) {
    MutexLock lock(&s->mu_);
    absl::Status restored = s->RestoreState((*snapshot)->state);
    if (!restored.ok()) return restored;
    after = (*snapshot)->lsn;
  }
  absl::Status replay_status;
  RecoveryInfo info;
  auto ledger = Ledger::Open(
      {.dir = options.dir, .fatal_handler = options.fatal_handler, .fs = options.fs}, after,
      [&](const LedgerRecord& rec) {
        if (IsPurchaseRecord(rec.payload)) {
          auto line = DecodePurchaseRecord(rec.payload);
          if (!line.ok() && replay_status.ok()) {
            replay_status = absl::DataLossError(
                absl::StrCat("ledger record ", rec.lsn, ": ", line.status().message()));
          }
          if (!line.ok()) return;
          MutexLock lock(&s->mu_);
          s->sales_.AddLine(*line);
          ++s->records_since_snapshot_;
          return;
        }
        auto r = DecodeEventRecord(rec.payload);
        if (!r.ok()) {
          if (replay_status.ok()) {
            replay_status = absl::DataLossError(
                absl::StrCat("ledger record ", rec.lsn, ": ", r.status().message()));
          }
          return;
        }
        MutexLock lock(&s->mu_);
        s->Apply(*r, /*replay=*/true);
      },
      &info);
  if (!ledger.ok()) return ledger.status();
  if (!replay_status.ok()) return replay_status;
  s->ledger_ = std::move(*ledger);
  MutexLock lock(&s->mu_);
  // The replayed records are exactly those after the snapshot's lsn: the count since the last one.
  s->records_since_snapshot_ = info.records_replayed;
  return s;
}

void LedgerEventStore::Apply(const EventRecord& r, bool replay) {
  rules_.Apply(r);
  if (r.outcome == Outcome::kCharged && replay && context_.budgets->RebuiltFromLedger()) {
    context_.budgets->AddSpend(r.campaign_id, r.day, r.charged_micros);
  }
  if (!r.campaign_id.empty()) {
    const StatsCounters counters = CountersFor(r);
    stats_.Add(r.campaign_id, r.day, counters);
    dimensions_.Add(r.campaign_id, r.day, r.ad_group_id, r.target_id, r.placement, r.search_term,
                    counters);
  }
  if (std::optional<AttributedClick> click = ClickOf(r)) sales_.AddClick(std::move(*click));
  ++records_since_snapshot_;
}

absl::StatusOr<std::vector<PurchaseOutcome>> LedgerEventStore::IngestPurchases(
    absl::Span<const PurchaseLine> lines) {
  std::vector<PurchaseOutcome> outcomes;
  std::vector<std::string> payloads;
  uint64_t wait_for = 0;
  bool snapshot_due = false;
  {
    MutexLock lock(&mu_);
    for (const PurchaseLine& line : lines) {
      const bool fresh = sales_.AddLine(line);
      outcomes.push_back(fresh ? PurchaseOutcome::kRecorded : PurchaseOutcome::kDuplicate);
      if (!fresh) continue;
      payloads.push_back(EncodePurchaseRecord(line));
      ++records_since_snapshot_;
    }
    // As for clicks: a failed append stops the ledger and the process, so the lines added above
    // are never acknowledged. A duplicate waits too: its original may still be on its way to disk.
    auto last = ledger_->AppendBatch(payloads);
    if (!last.ok()) return last.status();
    wait_for = *last;
    snapshot_due = options_.snapshot_every_records > 0 &&
                   records_since_snapshot_ >= options_.snapshot_every_records;
  }
  absl::Status durable = ledger_->WaitDurable(wait_for);
  if (!durable.ok()) return durable;
  if (snapshot_due) SnapshotAfter(options_.snapshot_every_records).IgnoreError();
  return outcomes;
}

absl::StatusOr<ClickShoppers> LedgerEventStore::CampaignShoppers(absl::string_view campaign_id,
                                                                 int64_t from_day,
                                                                 int64_t to_day) const {
  return sales_.CampaignShoppers(campaign_id, from_day, to_day);
}

absl::Status LedgerEventStore::ShopperActivity(absl::Span<const uint64_t> users, absl::Time from,
                                               absl::Time to, std::vector<AttributedClick>* clicks,
                                               std::vector<PurchaseLine>* lines) const {
  sales_.ShopperActivity(users, from, to, clicks, lines);
  return absl::OkStatus();
}

absl::StatusOr<SalesReport> LedgerEventStore::SalesReportOf(
    absl::string_view campaign_id, const CampaignStats& stats, absl::Duration window,
    const AdvertisesFn& advertises, Dimension dimension, int64_t retention_from_day) const {
  if (dimension == Dimension::kCampaign || stats.days.empty()) {
    return sales_.Report(campaign_id, stats, window, advertises, nullptr);
  }
  const absl::CivilDay epoch(1970, 1, 1);
  DimensionSalesAccumulator acc(dimensions_, std::string(campaign_id), dimension,
                                stats.days.front().date - epoch, stats.days.back().date - epoch,
                                retention_from_day);
  SalesReport report = sales_.Report(campaign_id, stats, window, advertises, &acc);
  std::move(acc).Finish(&report);
  return report;
}

absl::StatusOr<std::vector<EventResult>> LedgerEventStore::Ingest(
    absl::Span<const Event> events, absl::Span<const VerifyResult> verified) {
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
    const absl::Time now = rules_.DecisionTime(context_.clock->Now());
    rules_.Prune(now);
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].type == TokenType::kClick) must_be_durable = true;
      std::optional<EventRecord> r = rules_.Decide(events[i], verified[i], now, *context_.budgets,
                                                   context_.budgets, &results[i]);
      if (!r.has_value()) continue;
      payloads.push_back(EncodeEventRecord(*r));
      Apply(*r, /*replay=*/false);
    }
    // One append for the batch wakes the writer once. If it fails, the ledger has stopped and the
    // process is going down (fatal handler), so the state applied above is never acknowledged.
    auto last = ledger_->AppendBatch(payloads);
    if (!last.ok()) return last.status();
    // Also covers duplicates: their original record may still be on its way to disk.
    wait_for = *last;
    snapshot_due = options_.snapshot_every_records > 0 &&
                   records_since_snapshot_ >= options_.snapshot_every_records;
  }
  if (must_be_durable) {
    absl::Status durable = ledger_->WaitDurable(wait_for);
    if (!durable.ok()) return durable;
  }
  if (snapshot_due) {
    // Best effort: the log alone still recovers everything. Every batch that crossed the threshold
    // while the snapshot was pending gets here too; the re-check under the lock lets only the
    // first one write.
    SnapshotAfter(options_.snapshot_every_records).IgnoreError();
  }
  return results;
}

absl::StatusOr<CampaignStats> LedgerEventStore::Stats(absl::string_view campaign_id,
                                                      absl::CivilDay from,
                                                      absl::CivilDay to) const {
  return stats_.Get(campaign_id, from, to);
}

DedupeState LedgerEventStore::dedupe_state() const {
  MutexLock lock(&mu_);
  return rules_.Size();
}

absl::Status LedgerEventStore::Snapshot() { return SnapshotAfter(1); }

absl::Status LedgerEventStore::SnapshotAfter(uint64_t min_records) {
  MutexLock snapshot_lock(&snapshot_mu_);
  std::string state;
  uint64_t lsn;
  {
    MutexLock lock(&mu_);
    if (records_since_snapshot_ < min_records) return absl::OkStatus();
    lsn = ledger_->last_lsn();
    absl::Status rotated = ledger_->Rotate();
    if (!rotated.ok()) return rotated;
    state = SerializeState(context_.clock->Now());
    records_since_snapshot_ = 0;
  }
  return ledger_->WriteSnapshot(lsn, state);
}

// Layout, version 4 (all varints unless noted): version; spend rows (campaign, day, micros); the
// event-id, used-token and repeat-click sets, each as a count then (fixed64 key.hi, key.lo,
// deadline in unix ms) per entry; per-user click times (fixed64 user, n, times); stats rows
// (campaign, day, 5 counters); the sales index (SalesIndex::Serialize); the per-dimension
// counters (DimensionStats::Serialize). Entries past their window are pruned first.
std::string LedgerEventStore::SerializeState(absl::Time now) {
  std::string out;
  out.push_back(static_cast<char>(kStateVersion));
  std::vector<SpendRow> spend;
  if (context_.budgets->RebuiltFromLedger()) spend = context_.budgets->ExportSpend();
  internal::PutVarint(&out, spend.size());
  for (const SpendRow& s : spend) {
    internal::PutBytes(&out, s.campaign_id);
    internal::PutSigned(&out, s.day);
    internal::PutSigned(&out, s.micros);
  }
  rules_.Serialize(now, &out);
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
  sales_.Serialize(&out);
  // Search-term rows a day past the retention of any time zone are past every campaign's.
  const int64_t today = absl::ToCivilDay(now, absl::UTCTimeZone()) - absl::CivilDay(1970, 1, 1);
  dimensions_.Serialize(today - kSearchTermRetentionDays - 1, &out);
  return out;
}

absl::Status LedgerEventStore::RestoreState(absl::string_view state) {
  internal::ByteReader in(state);
  const absl::Status bad = absl::DataLossError("malformed billing snapshot");
  uint8_t version;
  uint64_t n;
  if (!in.Byte(&version) || version < 1 || version > kStateVersion || !in.Varint(&n)) {
    return bad;
  }
  for (uint64_t i = 0; i < n; ++i) {
    SpendRow s;
    if (!in.Bytes(&s.campaign_id) || !in.Signed(&s.day) || !in.Signed(&s.micros)) return bad;
    if (context_.budgets->RebuiltFromLedger()) {
      context_.budgets->AddSpend(s.campaign_id, s.day, s.micros);
    }
  }
  const bool ok = version == 1 ? rules_.RestoreV1(&in) : rules_.Restore(&in);
  if (!ok) return bad;
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
  if (version >= 3 && !sales_.Restore(&in, /*with_dimensions=*/version >= 4)) return bad;
  if (version >= 4 && !dimensions_.Restore(&in)) return bad;
  return in.empty() ? absl::OkStatus() : bad;
}

}  // namespace gavel::billing
