#include "billing/postgres_store.h"

#include <poll.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "billing/dimensions.h"
#include "billing/expiring_set.h"
#include "billing/sales_index.h"
#include "libpq-fe.h"
#include "pg/array.h"
#include "pg/copy.h"
#include "pg/gavel_migrations.h"
#include "pg/migrate.h"
#include "pg/pipeline.h"

namespace gavel::billing {
namespace {

constexpr char kSpendChannel[] = "gavel_spend";
// NOTIFY payloads must stay under 8000 bytes.
constexpr size_t kMaxNotifyBytes = 7000;
// Spend older than this is never read (a month to date, at most), as in the in-memory store.
constexpr int64_t kSpendDays = 62;
// The most events one transaction takes when it merges waiting batches.
constexpr size_t kMaxMergedEvents = 8192;

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
// A deadline as the embedded store keeps it, rounded up to the millisecond, so both stores forget
// an entry at the same instant.
int64_t DeadlineMicros(absl::Time t) { return 1000 * ExpiringSet::DeadlineMillis(t); }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }
// user_hash is a uint64 in tokens and a bigint (the same bits) in the database.
int64_t ToBigint(uint64_t v) { return static_cast<int64_t>(v); }
uint64_t FromBigint(int64_t v) { return static_cast<uint64_t>(v); }

absl::Status Unavailable(const absl::Status& cause) {
  return absl::UnavailableError(absl::StrCat(
      "the event store (PostgreSQL) could not record the batch; nothing in it was acknowledged, "
      "so retrying it is safe: ",
      cause.message()));
}

// Queues the read of `campaigns`' spend rows (the last result), first locking the campaigns in
// key order if `lock` (their budget_locks rows, held to COMMIT: the budget step's lock).
void AddReadSpend(const std::vector<std::string>& campaigns, absl::Time now, bool lock,
                  pg::Pipeline* p) {
  if (lock) {
    p->Add(
        "INSERT INTO budget_locks AS b (campaign_id) "
        "SELECT c FROM unnest($1::text[]) AS c ORDER BY c "
        "ON CONFLICT (campaign_id) DO UPDATE SET campaign_id = b.campaign_id",
        {pg::TextArray(campaigns)});
  }
  p->Add(
      "SELECT campaign_id, day, spend_micros FROM campaign_spend "
      "WHERE campaign_id = ANY($1::text[]) AND day >= $2",
      {pg::TextArray(campaigns), DayIndex(now, absl::UTCTimeZone()) - kSpendDays});
}

// Queues the insert of `records` into `events`, the ledger's rows: one array per column.
void AddEventRows(const std::vector<EventRecord>& records, pg::Pipeline* writes) {
  if (records.empty()) return;
  std::vector<std::string> cols[19];
  for (const EventRecord& r : records) {
    cols[0].push_back(r.campaign_id);
    cols[1].push_back(r.client_event_id);
    cols[2].push_back(absl::StrCat(static_cast<int>(r.type)));
    cols[3].push_back(absl::StrCat(static_cast<int>(r.outcome)));
    cols[4].push_back(absl::StrCat(static_cast<int>(r.reason)));
    cols[5].push_back(absl::StrCat(Micros(r.time)));
    cols[6].push_back(absl::StrCat(r.day));
    cols[7].push_back(r.ad_id);
    cols[8].push_back(absl::StrCat(ToBigint(r.user_hash)));
    cols[9].push_back(absl::StrCat(r.price_micros));
    cols[10].push_back(absl::StrCat(r.charged_micros));
    cols[11].push_back(r.token_id.empty() ? std::string("NULL") : pg::EncodeBytea(r.token_id));
    cols[12].push_back(r.token_id.empty() ? std::string("NULL")
                                          : absl::StrCat(Micros(r.token_expires_at)));
    cols[13].push_back(r.ad_group_id);
    cols[14].push_back(r.product_id);
    cols[15].push_back(r.advertiser_id);
    cols[16].push_back(absl::StrCat(r.placement));
    cols[17].push_back(r.target_id);
    cols[18].push_back(r.search_term);
  }
  writes->Add(
      "INSERT INTO events (campaign_id, client_event_id, event_type, outcome, reason, "
      "decided_at, day, ad_id, user_hash, price_micros, charged_micros, token_id, "
      "token_expires_at, ad_group_id, product_id, advertiser_id, placement, target_id, "
      "search_term) SELECT * FROM unnest("
      "$1::text[], $2::text[], $3::smallint[], $4::smallint[], $5::smallint[], $6::bigint[], "
      "$7::integer[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bytea[], "
      "$13::bigint[], $14::text[], $15::text[], $16::text[], $17::smallint[], $18::text[], "
      "$19::text[])",
      {pg::TextArray(cols[0]), pg::TextArray(cols[1]), pg::TextArray(cols[2]),
       pg::TextArray(cols[3]), pg::TextArray(cols[4]), pg::TextArray(cols[5]),
       pg::TextArray(cols[6]), pg::TextArray(cols[7]), pg::TextArray(cols[8]),
       pg::TextArray(cols[9]), pg::TextArray(cols[10]), pg::TextArray(cols[11], true),
       pg::TextArray(cols[12], true), pg::TextArray(cols[13]), pg::TextArray(cols[14]),
       pg::TextArray(cols[15]), pg::TextArray(cols[16]), pg::TextArray(cols[17]),
       pg::TextArray(cols[18])});
}

// The columns ClickRow reads, in order.
constexpr absl::string_view kClickColumns =
    "client_event_id, decided_at, user_hash, campaign_id, ad_group_id, ad_id, product_id, "
    "advertiser_id, day, placement, target_id, search_term";
// Charged clicks of known shoppers (event_type 2 = click, outcome 1 = CHARGED).
constexpr absl::string_view kChargedShopperClick =
    "event_type = 2 AND outcome = 1 AND user_hash <> 0";

absl::Status ReadClicks(const pg::Result& r, std::vector<AttributedClick>* out) {
  for (int i = 0; i < r.rows(); ++i) {
    int64_t v[4];  // decided_at, user_hash, day, placement
    const int cols[4] = {1, 2, 8, 9};
    for (int c = 0; c < 4; ++c) {
      auto x = r.GetInt64(i, cols[c]);
      if (!x.ok()) return x.status();
      v[c] = *x;
    }
    out->push_back({.client_event_id = std::string(r.GetString(i, 0)),
                    .time = FromMicros(v[0]),
                    .user_hash = FromBigint(v[1]),
                    .campaign_id = std::string(r.GetString(i, 3)),
                    .ad_group_id = std::string(r.GetString(i, 4)),
                    .ad_id = std::string(r.GetString(i, 5)),
                    .product_id = std::string(r.GetString(i, 6)),
                    .advertiser_id = std::string(r.GetString(i, 7)),
                    .day = v[2],
                    .placement = static_cast<int32_t>(v[3]),
                    .target_id = std::string(r.GetString(i, 10)),
                    .search_term = std::string(r.GetString(i, 11))});
  }
  return absl::OkStatus();
}

absl::Status ReadLines(const pg::Result& r, std::vector<PurchaseLine>* out) {
  for (int i = 0; i < r.rows(); ++i) {
    int64_t v[5];  // line, user_hash, quantity, price_micros, purchased_at
    const int cols[5] = {1, 2, 4, 5, 6};
    for (int c = 0; c < 5; ++c) {
      auto x = r.GetInt64(i, cols[c]);
      if (!x.ok()) return x.status();
      v[c] = *x;
    }
    out->push_back({.order_id = std::string(r.GetString(i, 0)),
                    .line = static_cast<int32_t>(v[0]),
                    .user_hash = FromBigint(v[1]),
                    .product_id = std::string(r.GetString(i, 3)),
                    .quantity = v[2],
                    .price_micros = v[3],
                    .time = FromMicros(v[4])});
  }
  return absl::OkStatus();
}

absl::Status Unreadable(const absl::Status& cause) {
  return absl::UnavailableError(
      absl::StrCat("the event store (PostgreSQL) cannot be read: ", cause.message()));
}

// A line's columns as ReadLines reads them.
constexpr absl::string_view kLineColumns =
    "order_id, line, user_hash, product_id, quantity, price_micros, purchased_at";

// A purchase line and its attribution candidates (AttributionCandidates), as purchase_lines and
// campaign_lines keep them.
struct CandidateLine {
  PurchaseLine line;
  std::vector<AttributedClick> candidates;
  // (campaign, local day) of every click an offer here kept: the campaign_lines rows to write.
  std::set<std::pair<std::string, int64_t>> registrations;
  bool changed = false;
};

// Rows of kLineColumns then the candidates (column 7). A line whose candidates are NULL
// (recorded before migration 4 and not computed yet: ComputeMissingCandidates) is skipped.
absl::Status ReadCandidateLines(const pg::Result& r, std::vector<CandidateLine>* out) {
  std::vector<PurchaseLine> lines;
  if (absl::Status st = ReadLines(r, &lines); !st.ok()) return st;
  out->reserve(out->size() + lines.size());
  for (int i = 0; i < r.rows(); ++i) {
    if (r.IsNull(i, 7)) continue;
    auto bytes = r.GetBytes(i, 7);
    if (!bytes.ok()) return bytes.status();
    CandidateLine l{.line = std::move(lines[i])};
    if (!DecodeCandidates(*bytes, &l.candidates)) {
      return absl::DataLossError(absl::StrCat("purchase line (", l.line.order_id, ", ", l.line.line,
                                              ") has malformed candidates"));
    }
    out->push_back(std::move(l));
  }
  return absl::OkStatus();
}

// SalesIndex::Offer for one line: keeps `click` (of the line's shopper) if it is a candidate.
void OfferTo(const AttributedClick& click, CandidateLine* l) {
  std::vector<const AttributedClick*> kept;
  kept.reserve(l->candidates.size() + 1);
  for (const AttributedClick& c : l->candidates) kept.push_back(&c);
  auto get = [](const AttributedClick* c) -> const AttributedClick& { return *c; };
  if (!AttributionCandidates::Offer(&kept, &click, l->line, get)) return;
  std::vector<AttributedClick> next;
  next.reserve(kept.size());
  for (const AttributedClick* c : kept) next.push_back(*c);
  l->candidates = std::move(next);
  l->registrations.emplace(click.campaign_id, click.day);
  l->changed = true;
}

// Offers every click to the lines of its shopper, latest first (so a superseded click is seldom
// kept and registered on the way).
void OfferAll(std::vector<AttributedClick> clicks, std::vector<CandidateLine>* lines) {
  std::sort(clicks.begin(), clicks.end(),
            [](const AttributedClick& a, const AttributedClick& b) { return ClickEarlier(b, a); });
  absl::flat_hash_map<uint64_t, std::vector<const AttributedClick*>> by_user;
  for (const AttributedClick& c : clicks) by_user[c.user_hash].push_back(&c);
  for (CandidateLine& l : *lines) {
    auto it = by_user.find(l.line.user_hash);
    if (it == by_user.end()) continue;
    for (const AttributedClick* c : it->second) OfferTo(*c, &l);
  }
}

// A line's candidates and (if they changed: only then are campaign_lines written) its
// campaign_lines entry as bytea parameters, the candidates encoded once for both.
struct EncodedLine {
  std::string candidates;
  std::string entry;
};
EncodedLine Encode(const CandidateLine& l) {
  const std::string candidates = EncodeCandidates(l.candidates);
  EncodedLine out{.candidates = pg::EncodeBytea(candidates)};
  if (l.changed) out.entry = pg::EncodeBytea(EncodeLineEntry(l.line, candidates));
  return out;
}

// campaign_lines' columns for every registration of the changed `lines`, one array each;
// `encoded[i]` is lines[i]'s Encode.
constexpr char kCampaignLineColumns[] = "campaign_id, day, order_id, line, entry";
constexpr char kCampaignLineArrays[] =
    "$1::text[], $2::integer[], $3::text[], $4::integer[], $5::bytea[]";
std::vector<std::string> CampaignLineArrays(absl::Span<const CandidateLine> lines,
                                            absl::Span<const EncodedLine> encoded) {
  std::vector<std::string> cols[5];
  for (size_t i = 0; i < lines.size(); ++i) {
    const CandidateLine& l = lines[i];
    if (!l.changed) continue;
    const std::string& entry = encoded[i].entry;
    for (const auto& [campaign, day] : l.registrations) {
      cols[0].push_back(campaign);
      cols[1].push_back(absl::StrCat(day));
      cols[2].push_back(l.line.order_id);
      cols[3].push_back(absl::StrCat(l.line.line));
      cols[4].push_back(entry);
    }
  }
  std::vector<std::string> out;
  for (const auto& c : cols) out.push_back(pg::TextArray(c));
  return out;
}

// Queues the writes of the changed `lines`' candidates (the lines exist): purchase_lines, the new
// campaign_lines registrations, and the copies in the earlier ones.
void AddCandidateWrites(absl::Span<const CandidateLine> lines, pg::Pipeline* writes) {
  std::vector<EncodedLine> encoded(lines.size());
  std::vector<std::string> orders, numbers, candidates, entries;
  for (size_t i = 0; i < lines.size(); ++i) {
    const CandidateLine& l = lines[i];
    if (!l.changed) continue;
    encoded[i] = Encode(l);
    orders.push_back(l.line.order_id);
    numbers.push_back(absl::StrCat(l.line.line));
    candidates.push_back(encoded[i].candidates);
    entries.push_back(encoded[i].entry);
  }
  if (orders.empty()) return;
  const std::string order_array = pg::TextArray(orders), number_array = pg::TextArray(numbers);
  writes->Add(
      "UPDATE purchase_lines p SET candidates = u.c "
      "FROM unnest($1::text[], $2::integer[], $3::bytea[]) AS u(o, l, c) "
      "WHERE p.order_id = u.o AND p.line = u.l",
      {order_array, number_array, pg::TextArray(candidates)});
  const std::vector<std::string> regs = CampaignLineArrays(lines, encoded);
  writes->Add(
      absl::StrCat("INSERT INTO campaign_lines (", kCampaignLineColumns, ") SELECT * FROM unnest(",
                   kCampaignLineArrays, ") ON CONFLICT DO NOTHING"),
      {regs[0], regs[1], regs[2], regs[3], regs[4]});
  writes->Add(
      "UPDATE campaign_lines p SET entry = u.e "
      "FROM unnest($1::text[], $2::integer[], $3::bytea[]) AS u(o, l, e) "
      "WHERE p.order_id = u.o AND p.line = u.l",
      {order_array, number_array, pg::TextArray(entries)});
}

// Queues the locks of `users`' shopper_clicks rows (created if absent), in key order: the lock a
// click batch takes on its shoppers, so clicks and purchases of a shopper see each other.
void AddLockShoppers(const std::vector<std::string>& users, pg::Pipeline* p) {
  p->Add(
      "INSERT INTO shopper_clicks AS s (user_hash, click_times) "
      "SELECT u, '{}' FROM unnest($1::bigint[]) AS u ORDER BY u "
      "ON CONFLICT (user_hash) DO UPDATE SET user_hash = s.user_hash "
      "RETURNING user_hash, click_times",
      {pg::TextArray(users)});
}

// Queues the read of `users`' charged clicks with decision time in (from, to] (ReadClicks).
void AddReadShopperClicks(const std::vector<std::string>& users, absl::Time from, absl::Time to,
                          pg::Pipeline* p) {
  p->Add(
      absl::StrCat("SELECT ", kClickColumns, " FROM events WHERE ", kChargedShopperClick,
                   " AND user_hash = ANY($1::bigint[]) AND decided_at > $2 AND decided_at <= $3"),
      {pg::TextArray(users), Micros(from), Micros(to)});
}

// What an upsert into dimension_stats adds to a row that exists.
constexpr char kAddDimensionCounters[] =
    " ON CONFLICT (campaign_id, dimension, day, key) DO UPDATE SET "
    "impressions = s.impressions + EXCLUDED.impressions, "
    "clicks = s.clicks + EXCLUDED.clicks, "
    "invalid_clicks = s.invalid_clicks + EXCLUDED.invalid_clicks, "
    "budget_exhausted_clicks = s.budget_exhausted_clicks + EXCLUDED.budget_exhausted_clicks, "
    "spend_micros = s.spend_micros + EXCLUDED.spend_micros";

void AppendCounters(const StatsCounters& c, std::vector<std::string>* cols) {
  cols[0].push_back(absl::StrCat(c.impressions));
  cols[1].push_back(absl::StrCat(c.clicks));
  cols[2].push_back(absl::StrCat(c.invalid_clicks));
  cols[3].push_back(absl::StrCat(c.budget_exhausted_clicks));
  cols[4].push_back(absl::StrCat(c.spend_micros));
}

// Queues the per-dimension counters of `records` (DimensionStats::Add's, as rows of
// dimension_stats). Ad group, target and placement: one upsert. Search terms: the campaign-days'
// search_term_days rows are locked first (in key order), then a term not yet kept that day takes
// one of the day's kMaxSearchTermsPerDay places if one is left, in the order the records come,
// and counts under "(other)" if not, as in the embedded store.
void AddDimensionRows(const std::vector<EventRecord>& records, pg::Pipeline* writes) {
  std::map<std::tuple<std::string, int, int64_t, std::string>, StatsCounters> plain;
  struct Term {
    std::string key;
    StatsCounters counters;
  };
  std::map<std::pair<std::string, int64_t>, std::vector<Term>> terms;  // first seen first
  std::map<std::tuple<std::string, int64_t, std::string>, size_t> term_index;
  for (const EventRecord& r : records) {
    if (r.campaign_id.empty()) continue;
    const StatsCounters c = CountersFor(r);
    for (Dimension d : {Dimension::kAdGroup, Dimension::kTarget, Dimension::kPlacement}) {
      plain[{r.campaign_id, static_cast<int>(d), r.day,
             RawDimensionKey(d, r.ad_group_id, r.target_id, r.placement, r.search_term)}] += c;
    }
    std::string key = RawDimensionKey(Dimension::kSearchTerm, r.ad_group_id, r.target_id,
                                      r.placement, r.search_term);
    std::vector<Term>& day = terms[{r.campaign_id, r.day}];
    auto [it, added] = term_index.try_emplace({r.campaign_id, r.day, key}, day.size());
    if (added) day.push_back({std::move(key), {}});
    day[it->second].counters += c;
  }
  if (plain.empty()) return;
  std::vector<std::string> p[9];
  for (const auto& [key, c] : plain) {
    p[0].push_back(std::get<0>(key));
    p[1].push_back(absl::StrCat(std::get<1>(key)));
    p[2].push_back(absl::StrCat(std::get<2>(key)));
    p[3].push_back(std::get<3>(key));
    AppendCounters(c, &p[4]);
  }
  writes->Add(
      absl::StrCat("INSERT INTO dimension_stats AS s (campaign_id, dimension, day, key, "
                   "impressions, clicks, invalid_clicks, budget_exhausted_clicks, spend_micros) "
                   "SELECT * FROM unnest($1::text[], $2::smallint[], $3::integer[], $4::text[], "
                   "$5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])",
                   kAddDimensionCounters),
      {pg::TextArray(p[0]), pg::TextArray(p[1]), pg::TextArray(p[2]), pg::TextArray(p[3]),
       pg::TextArray(p[4]), pg::TextArray(p[5]), pg::TextArray(p[6]), pg::TextArray(p[7]),
       pg::TextArray(p[8])});
  std::vector<std::string> day_campaigns, day_days, t[8];
  for (const auto& [campaign_day, list] : terms) {
    day_campaigns.push_back(campaign_day.first);
    day_days.push_back(absl::StrCat(campaign_day.second));
    for (const Term& term : list) {
      t[0].push_back(campaign_day.first);
      t[1].push_back(absl::StrCat(campaign_day.second));
      t[2].push_back(term.key);
      AppendCounters(term.counters, &t[3]);
    }
  }
  writes->Add(
      "INSERT INTO search_term_days AS s (campaign_id, day, terms) "
      "SELECT c, d, 0 FROM unnest($1::text[], $2::integer[]) AS t(c, d) ORDER BY c, d "
      "ON CONFLICT (campaign_id, day) DO UPDATE SET terms = s.terms",
      {pg::TextArray(day_campaigns), pg::TextArray(day_days)});
  // Runs once the days are locked, so it sees every term a committed batch kept on them.
  writes->Add(
      absl::StrCat(
          "WITH input AS (SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], "
          "$4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[]) WITH ORDINALITY "
          "AS t(campaign_id, day, key, impressions, clicks, invalid_clicks, "
          "budget_exhausted_clicks, spend_micros, ord)), "
          // Terms not kept yet on their day, numbered in the order they came.
          "fresh AS (SELECT i.ord, row_number() OVER (PARTITION BY i.campaign_id, i.day ORDER BY "
          "i.ord) AS n FROM input i WHERE i.key NOT IN ('(none)', '(other)') AND NOT EXISTS ("
          "SELECT 1 FROM dimension_stats s WHERE s.campaign_id = i.campaign_id AND "
          "s.dimension = 4 AND s.day = i.day AND s.key = i.key)), "
          "keyed AS (SELECT i.*, (f.ord IS NOT NULL AND d.terms + f.n <= $9) AS admitted, "
          "(f.ord IS NOT NULL AND d.terms + f.n > $9) AS folded FROM input i "
          "JOIN search_term_days d ON d.campaign_id = i.campaign_id AND d.day = i.day "
          "LEFT JOIN fresh f ON f.ord = i.ord), "
          "counted AS (UPDATE search_term_days s SET terms = s.terms + a.n FROM (SELECT "
          "campaign_id, day, count(*) AS n FROM keyed WHERE admitted GROUP BY 1, 2) a "
          "WHERE s.campaign_id = a.campaign_id AND s.day = a.day) "
          "INSERT INTO dimension_stats AS s (campaign_id, dimension, day, key, impressions, "
          "clicks, invalid_clicks, budget_exhausted_clicks, spend_micros) "
          "SELECT campaign_id, 4, day, CASE WHEN folded THEN '(other)' ELSE key END, "
          "sum(impressions), sum(clicks), sum(invalid_clicks), sum(budget_exhausted_clicks), "
          "sum(spend_micros) FROM keyed GROUP BY 1, 3, 4 ORDER BY 1, 3, 4",
          kAddDimensionCounters),
      {pg::TextArray(t[0]), pg::TextArray(t[1]), pg::TextArray(t[2]), pg::TextArray(t[3]),
       pg::TextArray(t[4]), pg::TextArray(t[5]), pg::TextArray(t[6]), pg::TextArray(t[7]),
       static_cast<int64_t>(kMaxSearchTermsPerDay)});
}

// Applies the rule (AttributeLine) to each of the campaign's registered lines on local days
// [from_day, to_day], once per line, and calls add(click, line, kind) per attributed line, with
// `click` and `line` valid for the call only. A report reads every candidate of hundreds of
// thousands of lines: they stream in through a binary COPY (pg/copy.h), decoded into reused
// buffers while the server sends the next ones.
//
// A line is registered on each (campaign, day) of a click it ever kept as a candidate, so it can
// have several rows in the range. Only the row of the earliest day among its current candidates of
// the campaign in the range is ruled: the winner counts in this report only if it is such a
// candidate, and that row exists (keeping a candidate registers it).
template <typename Add>
absl::Status AttributeCampaignLines(pg::Connection& conn, absl::string_view campaign_id,
                                    int64_t from_day, int64_t to_day, absl::Duration window,
                                    const AdvertisesFn& advertises, const Add& add) {
  absl::StatusOr<std::string> campaign = pg::QuoteLiteral(conn, campaign_id);
  if (!campaign.ok()) return campaign.status();
  PurchaseLine line;
  std::vector<AttributedClick> candidates;
  std::vector<const AttributedClick*> by_time;
  auto rule = [&](const pg::CopyRow& r) -> absl::Status {
    absl::StatusOr<int64_t> day = r.Int64(0);
    if (!day.ok()) return day.status();
    if (r.IsNull(1) || !DecodeLineEntry(r.Bytes(1), &line, &candidates)) {
      return absl::DataLossError(absl::StrCat("a campaign_lines row of day ", *day,
                                              " holds a malformed line or candidates"));
    }
    int64_t first_day = to_day + 1;
    for (const AttributedClick& c : candidates) {
      if (c.campaign_id == campaign_id && c.day >= from_day) first_day = std::min(first_day, c.day);
    }
    if (*day != first_day) return absl::OkStatus();
    by_time.clear();
    for (const AttributedClick& c : candidates) by_time.push_back(&c);
    if (std::optional<LineAttribution> a =
            AttributeCandidates(&by_time, line, window, advertises)) {
      add(*a->click, line, a->kind);
    }
    return absl::OkStatus();
  };
  absl::Status st = pg::CopyOut(
      conn,
      absl::StrCat("SELECT day, entry FROM campaign_lines WHERE campaign_id = ", *campaign,
                   " AND day BETWEEN ", from_day, " AND ", to_day),
      rule);
  return st.ok() ? st : Unreadable(st);
}

}  // namespace

// A fixed set of connections; a batch borrows one for its transaction.
class PostgresEventStore::Pool {
 public:
  explicit Pool(std::vector<std::unique_ptr<pg::Connection>> conns) {
    for (auto& c : conns) free_.push_back(std::move(c));
  }

  // Borrows a connection until the returned object goes away.
  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<pg::Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (conn_ != nullptr) pool_->Return(std::move(conn_));
    }
    pg::Connection& operator*() const { return *conn_; }
    pg::Connection* operator->() const { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<pg::Connection> conn_;
  };

  Lease Acquire() {
    MutexLock lock(&mu_);
    while (free_.empty()) cv_.Wait(&mu_);
    std::unique_ptr<pg::Connection> c = std::move(free_.back());
    free_.pop_back();
    return Lease(this, std::move(c));
  }

 private:
  void Return(std::unique_ptr<pg::Connection> c) {
    MutexLock lock(&mu_);
    free_.push_back(std::move(c));
    cv_.Signal();
  }

  Mutex mu_;
  CondVar cv_;
  std::vector<std::unique_ptr<pg::Connection>> free_ ABSL_GUARDED_BY(mu_);
};

// One attempt at a batch: the rows read, the decisions, and what to write.
struct PostgresEventStore::Batch {
  explicit Batch(const EventContext& context) : rules(context.rules, context.verifier) {}
  RuleState rules;                       // loaded with the rows this batch read
  InMemoryBudgetStore charges;           // the campaigns' settings and spend
  std::vector<CampaignBudget> settings;  // of the batch's campaigns
  std::vector<EventResult> results;
  std::vector<EventRecord> records;
  std::vector<uint64_t> users;  // locked shoppers
  // The locked shoppers' purchase lines a click of this batch could become a candidate for
  // (purchase time from now to kMaxAttributionWindow later: usually none).
  std::vector<CandidateLine> lines;
  std::vector<SpendRow> totals;  // spend after this batch, for the view
};

PostgresEventStore::PostgresEventStore(PostgresStoreOptions options, const EventContext& context)
    : options_(std::move(options)), context_(context) {}

absl::StatusOr<std::unique_ptr<PostgresEventStore>> PostgresEventStore::Open(
    PostgresStoreOptions options, const EventContext& context) {
  if (options.conninfo.empty()) {
    return absl::InvalidArgumentError("the PostgreSQL connection string is empty");
  }
  if (options.connections < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("connections must be >= 1, got ", options.connections));
  }
  std::unique_ptr<PostgresEventStore> s(new PostgresEventStore(options, context));
  std::vector<std::unique_ptr<pg::Connection>> conns;
  for (int i = 0; i < options.connections; ++i) {
    auto c = pg::Connection::Open(options.conninfo);
    if (!c.ok()) return c.status();
    // An acknowledgement means committed to disk, whatever the server's default says.
    auto sync = (*c)->Exec("SET synchronous_commit = on");
    if (!sync.ok()) return sync.status();
    conns.push_back(std::move(*c));
  }
  auto applied = pg::Migrate(*conns.front(), pg::GavelMigrations());
  if (!applied.ok()) return applied.status();
  if (absl::Status computed = s->ComputeMissingCandidates(*conns.front()); !computed.ok()) {
    return computed;
  }
  absl::Status loaded = s->LoadSpend(*conns.front());
  if (!loaded.ok()) return loaded;
  s->pool_ = std::make_unique<Pool>(std::move(conns));
  s->listener_ = std::thread([p = s.get()] { p->Listen(); });
  s->pruner_ = std::thread([p = s.get()] { p->PruneLoop(); });
  return s;
}

PostgresEventStore::~PostgresEventStore() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    stop_cv_.SignalAll();
  }
  if (listener_.joinable()) listener_.join();
  if (pruner_.joinable()) pruner_.join();
}

// One caller's batch waiting to be ingested, perhaps merged with others (see Ingest).
struct PostgresEventStore::Waiting {
  absl::Span<const Event> events;
  absl::Span<const VerifyResult> verified;
  absl::StatusOr<std::vector<EventResult>> results = absl::UnknownError("not ingested");
  bool done = false;
};

absl::StatusOr<std::vector<EventResult>> PostgresEventStore::Ingest(
    absl::Span<const Event> events, absl::Span<const VerifyResult> verified) {
  // Group commit: callers queue; whoever is first in line when a connection is free takes every
  // batch waiting (up to kMaxMergedEvents events) into one transaction. Concurrent batches
  // usually touch the same hot campaign rows and would commit one after another anyway, so one
  // larger transaction per commit is what raises throughput.
  Waiting me;
  me.events = events;
  me.verified = verified;
  std::vector<Waiting*> group;
  {
    MutexLock lock(&queue_mu_);
    queue_.push_back(&me);
    while (!me.done && !(queue_.front() == &me && in_flight_ < options_.connections)) {
      queue_cv_.Wait(&queue_mu_);
    }
    if (me.done) return std::move(me.results);
    size_t n = 0;
    while (!queue_.empty() &&
           (group.empty() || n + queue_.front()->events.size() <= kMaxMergedEvents)) {
      n += queue_.front()->events.size();
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    ++in_flight_;
    queue_cv_.SignalAll();  // the next in line may lead too, if a connection is free
  }
  std::vector<Event> merged_events;
  std::vector<VerifyResult> merged_verified;
  if (group.size() > 1) {
    for (const Waiting* w : group) {
      merged_events.insert(merged_events.end(), w->events.begin(), w->events.end());
      merged_verified.insert(merged_verified.end(), w->verified.begin(), w->verified.end());
    }
  }
  absl::StatusOr<std::vector<EventResult>> results =
      group.size() > 1 ? IngestMerged(merged_events, merged_verified)
                       : IngestMerged(events, verified);
  MutexLock lock(&queue_mu_);
  --in_flight_;
  size_t offset = 0;
  for (Waiting* w : group) {
    if (results.ok()) {
      w->results = std::vector<EventResult>(
          std::make_move_iterator(results->begin() + offset),
          std::make_move_iterator(results->begin() + offset + w->events.size()));
    } else {
      w->results = results.status();
    }
    offset += w->events.size();
    w->done = true;
  }
  queue_cv_.SignalAll();
  return std::move(me.results);
}

absl::StatusOr<std::vector<EventResult>> PostgresEventStore::IngestMerged(
    absl::Span<const Event> events, absl::Span<const VerifyResult> verified) {
  Pool::Lease conn = pool_->Acquire();
  absl::Status st;
  bool optimistic = true;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (conn->IsConnectionLost()) {
      st = conn->Reset();
      if (st.ok()) st = conn->Exec("SET synchronous_commit = on").status();
      if (!st.ok()) break;
    }
    Batch batch(context_);
    const absl::Time now = context_.clock->Now();
    st = pg::InTransaction(
        *conn, [&] { return Attempt(*conn, events, verified, now, optimistic, &batch); });
    if (st.code() == absl::StatusCode::kFailedPrecondition) {
      // Spend moved under an optimistic decision: decide again, campaigns locked from the start.
      optimistic = false;
      budget_redecisions_.fetch_add(1);
      continue;
    }
    if (st.ok()) {
      // This replica sees its own charges at once; the others through the listener.
      for (const SpendRow& t : batch.totals) {
        context_.budgets->ObserveSpend(t.campaign_id, t.day, t.micros);
      }
      return std::move(batch.results);
    }
    if (st.code() != absl::StatusCode::kAborted) break;  // a deadlock or conflict: run it again
  }
  return Unavailable(st);
}

absl::Status PostgresEventStore::Attempt(pg::Connection& conn, absl::Span<const Event> events,
                                         absl::Span<const VerifyResult> verified, absl::Time now,
                                         bool optimistic, Batch* batch) const {
  absl::Status st = Decide(conn, events, verified, now, /*lock_campaigns=*/!optimistic, batch);
  if (!st.ok()) return st;
  // Campaign rows are what concurrent batches on every replica queue for, and a lock is held
  // until COMMIT. Optimistically, the rows only this batch's shoppers and events touch are written
  // before the campaigns are locked, so the locks cover the spend and statistics rows and the
  // commit, not the bulk of the writes. Spend only grows, and every budget policy's remaining
  // amount only shrinks as it grows, so the decision stands exactly when each charge still fits at
  // the locked spend: a refusal stays a refusal.
  pg::Pipeline first(&conn);
  AddRuleRows(*batch, &first);
  std::vector<std::string> campaigns;
  for (const CampaignBudget& b : batch->settings) campaigns.push_back(b.campaign_id);
  const bool recheck = optimistic && std::any_of(batch->records.begin(), batch->records.end(),
                                                 [](const EventRecord& r) {
                                                   return r.outcome == Outcome::kCharged;
                                                 });
  if (recheck) AddReadSpend(campaigns, now, /*lock=*/true, &first);
  pg::Pipeline second(&conn);
  pg::Pipeline* budget_rows = recheck ? &second : &first;
  const int totals = AddBudgetRows(*batch, budget_rows);
  if (recheck) {
    auto r = first.Run();
    if (!r.ok()) return r.status();
    st = RecheckCharges(r->back(), now, *batch);
    if (!st.ok()) return st;
  }
  if (budget_rows->size() == 0) return absl::OkStatus();
  auto r = budget_rows->Run();
  if (!r.ok()) return r.status();
  if (totals < 0) return absl::OkStatus();
  return PublishTotals(conn, (*r)[totals], batch);
}

absl::Status PostgresEventStore::Decide(pg::Connection& conn, absl::Span<const Event> events,
                                        absl::Span<const VerifyResult> verified, absl::Time now,
                                        bool lock_campaigns, Batch* batch) const {
  absl::StatusOr<absl::flat_hash_set<std::string>> fresh = ClaimEventIds(conn, events, now, batch);
  if (!fresh.ok()) return fresh.status();
  const BatchKeys keys = KeysOf(events, verified, *fresh, now);
  absl::Status st = LockAndRead(conn, keys, now, lock_campaigns, batch);
  if (!st.ok()) return st;
  // Every event, decided with the rules the embedded store runs.
  batch->results.resize(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    std::optional<EventRecord> rec = batch->rules.Decide(
        events[i], verified[i], now, *context_.budgets, &batch->charges, &batch->results[i]);
    if (!rec.has_value()) continue;
    batch->rules.Apply(*rec);
    batch->records.push_back(*std::move(rec));
  }
  if (!batch->lines.empty()) {
    for (const EventRecord& r : batch->records) {
      std::optional<AttributedClick> click = ClickOf(r);
      if (!click.has_value()) continue;
      for (CandidateLine& l : batch->lines) {
        if (l.line.user_hash == click->user_hash) OfferTo(*click, &l);
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::flat_hash_set<std::string>> PostgresEventStore::ClaimEventIds(
    pg::Connection& conn, absl::Span<const Event> events, absl::Time now, Batch* batch) const {
  // Each id once, in a fixed order; an id another event holds within its retention is not
  // returned and becomes DUPLICATE.
  std::map<std::string, int64_t> ids;  // id -> retention deadline, first occurrence's type
  for (const Event& e : events) {
    const absl::Duration keep = e.type == TokenType::kImpression
                                    ? context_.rules.impression_event_id_retention
                                    : context_.rules.event_id_retention;
    ids.emplace(e.client_event_id, DeadlineMicros(now + keep));
  }
  std::vector<std::string> id_list, id_deadlines;
  for (const auto& [id, deadline] : ids) {
    id_list.push_back(id);
    id_deadlines.push_back(absl::StrCat(deadline));
  }
  auto claimed = conn.ExecParams(
      "INSERT INTO event_ids AS e (client_event_id, expires_at) "
      "SELECT * FROM unnest($1::text[], $2::bigint[]) "
      "ON CONFLICT (client_event_id) DO UPDATE SET expires_at = EXCLUDED.expires_at "
      "WHERE e.expires_at <= $3 RETURNING client_event_id",
      {pg::TextArray(id_list), pg::TextArray(id_deadlines), Micros(now)});
  if (!claimed.ok()) return claimed.status();
  absl::flat_hash_set<std::string> fresh;
  for (int i = 0; i < claimed->rows(); ++i) fresh.insert(std::string(claimed->GetString(i, 0)));
  for (const std::string& id : id_list) {
    if (!fresh.contains(id)) batch->rules.RememberEventId(id, now + absl::Hours(1));
  }
  return fresh;
}

PostgresEventStore::BatchKeys PostgresEventStore::KeysOf(
    absl::Span<const Event> events, absl::Span<const VerifyResult> verified,
    const absl::flat_hash_set<std::string>& fresh, absl::Time now) {
  // The tokens the fresh events would consume (signature good, unexpired now), and the shoppers
  // and campaigns of the clicks among them.
  BatchKeys keys;
  absl::flat_hash_set<std::string> first_seen;
  for (size_t i = 0; i < events.size(); ++i) {
    const VerifyResult& v = verified[i];
    if (!first_seen.insert(events[i].client_event_id).second) continue;
    if (!fresh.contains(events[i].client_event_id) || !v.ok() || v.claims.expires_at <= now) {
      continue;
    }
    keys.tokens.emplace(v.token_id, DeadlineMicros(v.claims.expires_at));
    if (events[i].type != TokenType::kClick) continue;
    keys.campaigns.insert(v.claims.campaign_id);
    if (v.claims.user_hash != 0) {
      keys.users.insert(ToBigint(v.claims.user_hash));
      keys.pairs.emplace(ToBigint(v.claims.user_hash), v.claims.ad_id);
    }
  }
  return keys;
}

absl::Status PostgresEventStore::LockAndRead(pg::Connection& conn, const BatchKeys& keys,
                                             absl::Time now, bool lock_campaigns,
                                             Batch* batch) const {
  const int64_t now_us = Micros(now);
  std::vector<std::string> token_list, token_expiry;
  for (const auto& [t, exp] : keys.tokens) {
    token_list.push_back(pg::EncodeBytea(t));
    token_expiry.push_back(absl::StrCat(exp));
  }
  // One round trip: claim the tokens (one another event used is not returned and becomes
  // DUPLICATE), lock the shoppers (creating their rows), then the campaigns, each in key order,
  // and read the rows the click rules need.
  pg::Pipeline reads(&conn);
  reads.Add(
      "INSERT INTO used_tokens AS u (token_id, expires_at) "
      "SELECT * FROM unnest($1::bytea[], $2::bigint[]) "
      "ON CONFLICT (token_id) DO UPDATE SET expires_at = EXCLUDED.expires_at "
      "WHERE u.expires_at <= $3 RETURNING token_id",
      {pg::TextArray(token_list), pg::TextArray(token_expiry), now_us});
  std::vector<std::string> user_list;
  for (int64_t u : keys.users) user_list.push_back(absl::StrCat(u));
  AddLockShoppers(user_list, &reads);
  // By shopper (the key's prefix, so always an index scan); the pairs are picked out below.
  reads.Add(
      "SELECT user_hash, ad_id, expires_at FROM repeat_clicks "
      "WHERE user_hash = ANY($1::bigint[]) AND expires_at > $2",
      {pg::TextArray(user_list), now_us});
  // Lines a click decided now can be a candidate for: purchased from now on (clicks reported
  // after purchases they precede; the shoppers are locked, so no line is recorded meanwhile).
  reads.Add(absl::StrCat("SELECT ", kLineColumns,
                         ", candidates FROM purchase_lines WHERE user_hash = ANY($1::bigint[]) "
                         "AND purchased_at >= $2 AND purchased_at < $3"),
            {pg::TextArray(user_list), now_us, Micros(now + kMaxAttributionWindow)});
  std::vector<std::string> campaign_list(keys.campaigns.begin(), keys.campaigns.end());
  AddReadSpend(campaign_list, now, lock_campaigns, &reads);
  auto r = reads.Run();
  if (!r.ok()) return r.status();
  absl::Status st = LoadTokensAndShoppers((*r)[0], (*r)[1], (*r)[2], keys, batch);
  if (!st.ok()) return st;
  st = ReadCandidateLines((*r)[3], &batch->lines);
  if (!st.ok()) return st;
  for (const std::string& c : campaign_list) {
    auto view = context_.budgets->Query(c, now);
    if (view.ok()) batch->settings.push_back(*view->settings);
  }
  st = batch->charges.UpsertAll(batch->settings);
  if (!st.ok()) return st;
  const pg::Result& spend = r->back();
  for (int i = 0; i < spend.rows(); ++i) {
    auto day = spend.GetInt64(i, 1);
    auto micros = spend.GetInt64(i, 2);
    if (!day.ok() || !micros.ok()) return day.ok() ? micros.status() : day.status();
    batch->charges.AddSpend(spend.GetString(i, 0), *day, *micros);
  }
  return absl::OkStatus();
}

absl::Status PostgresEventStore::LoadTokensAndShoppers(const pg::Result& used,
                                                       const pg::Result& shoppers,
                                                       const pg::Result& repeats,
                                                       const BatchKeys& keys, Batch* batch) {
  absl::flat_hash_set<std::string> ours;
  for (int i = 0; i < used.rows(); ++i) {
    auto t = used.GetBytes(i, 0);
    if (!t.ok()) return t.status();
    ours.insert(*std::move(t));
  }
  for (const auto& [t, exp] : keys.tokens) {
    if (!ours.contains(t)) batch->rules.RememberToken(t, FromMicros(exp));
  }
  for (int i = 0; i < shoppers.rows(); ++i) {
    auto u = shoppers.GetInt64(i, 0);
    auto times = pg::ParseInt64Array(shoppers.GetString(i, 1));
    if (!u.ok() || !times.ok()) return u.ok() ? times.status() : u.status();
    batch->users.push_back(FromBigint(*u));
    batch->rules.RememberUserClicks(FromBigint(*u), *std::move(times));
  }
  for (int i = 0; i < repeats.rows(); ++i) {
    auto u = repeats.GetInt64(i, 0);
    auto until = repeats.GetInt64(i, 2);
    if (!u.ok() || !until.ok()) return u.ok() ? until.status() : u.status();
    if (keys.pairs.count({*u, std::string(repeats.GetString(i, 1))}) == 0) continue;
    batch->rules.RememberRepeatClick(FromBigint(*u), repeats.GetString(i, 1), FromMicros(*until));
  }
  return absl::OkStatus();
}

void PostgresEventStore::AddRuleRows(const Batch& batch, pg::Pipeline* writes) const {
  // The records, as the ledger's rows.
  AddEventRows(batch.records, writes);
  AddCandidateWrites(batch.lines, writes);
  std::map<std::pair<int64_t, std::string>, int64_t> repeats;  // (user, ad) -> until
  for (const EventRecord& r : batch.records) {
    if (r.outcome == Outcome::kCharged && r.user_hash != 0) {
      repeats[{ToBigint(r.user_hash), r.ad_id}] =
          DeadlineMicros(r.time + context_.rules.repeat_click_window);
    }
  }
  // The locked shoppers' click times as the rules left them.
  if (!batch.users.empty()) {
    std::vector<std::string> users, times;
    for (uint64_t u : batch.users) {
      users.push_back(absl::StrCat(ToBigint(u)));
      times.push_back(pg::Int64ArrayLiteral(batch.rules.UserClicks(u)));
    }
    // An upsert (one unique-index probe per row) rather than UPDATE ... FROM, whose join the
    // planner may turn into a scan of the whole table.
    writes->Add(
        "INSERT INTO shopper_clicks AS s (user_hash, click_times) "
        "SELECT u, t::bigint[] FROM unnest($1::bigint[], $2::text[]) AS v(u, t) "
        "ON CONFLICT (user_hash) DO UPDATE SET click_times = EXCLUDED.click_times",
        {pg::TextArray(users), pg::TextArray(times)});
  }
  if (!repeats.empty()) {
    std::vector<std::string> users, ads, until;
    for (const auto& [key, t] : repeats) {
      users.push_back(absl::StrCat(key.first));
      ads.push_back(key.second);
      until.push_back(absl::StrCat(t));
    }
    writes->Add(
        "INSERT INTO repeat_clicks (user_hash, ad_id, expires_at) "
        "SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) "
        "ON CONFLICT (user_hash, ad_id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
        {pg::TextArray(users), pg::TextArray(ads), pg::TextArray(until)});
  }
}

int PostgresEventStore::AddBudgetRows(const Batch& batch, pg::Pipeline* writes) const {
  std::map<std::pair<std::string, int64_t>, int64_t> charged;  // (campaign, day) -> micros
  std::map<std::pair<std::string, int64_t>, StatsCounters> stats;
  for (const EventRecord& r : batch.records) {
    if (r.outcome == Outcome::kCharged) charged[{r.campaign_id, r.day}] += r.charged_micros;
    if (!r.campaign_id.empty()) stats[{r.campaign_id, r.day}] += CountersFor(r);
  }
  int totals = -1;
  if (!charged.empty()) {
    std::vector<std::string> ids, days, micros;
    for (const auto& [key, m] : charged) {
      ids.push_back(key.first);
      days.push_back(absl::StrCat(key.second));
      micros.push_back(absl::StrCat(m));
    }
    totals = static_cast<int>(writes->size());
    writes->Add(
        "INSERT INTO campaign_spend AS s (campaign_id, day, spend_micros) "
        "SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[]) "
        "ON CONFLICT (campaign_id, day) DO UPDATE SET spend_micros = s.spend_micros + "
        "EXCLUDED.spend_micros RETURNING campaign_id, day, spend_micros",
        {pg::TextArray(ids), pg::TextArray(days), pg::TextArray(micros)});
  }
  if (!stats.empty()) {
    std::vector<std::string> c[7];
    for (const auto& [key, s] : stats) {
      c[0].push_back(key.first);
      c[1].push_back(absl::StrCat(key.second));
      c[2].push_back(absl::StrCat(s.impressions));
      c[3].push_back(absl::StrCat(s.clicks));
      c[4].push_back(absl::StrCat(s.invalid_clicks));
      c[5].push_back(absl::StrCat(s.budget_exhausted_clicks));
      c[6].push_back(absl::StrCat(s.spend_micros));
    }
    writes->Add(
        "INSERT INTO campaign_stats AS s (campaign_id, day, impressions, clicks, invalid_clicks, "
        "budget_exhausted_clicks, spend_micros) SELECT * FROM unnest($1::text[], $2::integer[], "
        "$3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[]) "
        "ON CONFLICT (campaign_id, day) DO UPDATE SET "
        "impressions = s.impressions + EXCLUDED.impressions, "
        "clicks = s.clicks + EXCLUDED.clicks, "
        "invalid_clicks = s.invalid_clicks + EXCLUDED.invalid_clicks, "
        "budget_exhausted_clicks = s.budget_exhausted_clicks + EXCLUDED.budget_exhausted_clicks, "
        "spend_micros = s.spend_micros + EXCLUDED.spend_micros",
        {pg::TextArray(c[0]), pg::TextArray(c[1]), pg::TextArray(c[2]), pg::TextArray(c[3]),
         pg::TextArray(c[4]), pg::TextArray(c[5]), pg::TextArray(c[6])});
  }
  AddDimensionRows(batch.records, writes);
  return totals;
}

absl::Status PostgresEventStore::RecheckCharges(const pg::Result& spend, absl::Time now,
                                                const Batch& batch) const {
  InMemoryBudgetStore locked;
  absl::Status st = locked.UpsertAll(batch.settings);
  if (!st.ok()) return st;
  for (int i = 0; i < spend.rows(); ++i) {
    auto day = spend.GetInt64(i, 1);
    auto micros = spend.GetInt64(i, 2);
    if (!day.ok() || !micros.ok()) return day.ok() ? micros.status() : day.status();
    locked.AddSpend(spend.GetString(i, 0), *day, *micros);
  }
  // The charges again, in the order the rules made them, as TryCharge made them.
  for (const EventRecord& r : batch.records) {
    if (r.outcome != Outcome::kCharged) continue;
    auto d = locked.TryCharge(r.campaign_id, r.price_micros, now);
    if (!d.ok() || !d->charged || d->day != r.day) {
      return absl::FailedPreconditionError(
          absl::StrCat("campaign ", r.campaign_id, " spent more since the batch read its spend"));
    }
  }
  return absl::OkStatus();
}

absl::Status PostgresEventStore::PublishTotals(pg::Connection& conn, const pg::Result& totals,
                                               Batch* batch) const {
  // Tell every replica the new totals: notifications are delivered at commit, in commit order.
  std::string payload;
  std::vector<std::string> payloads;
  for (int i = 0; i < totals.rows(); ++i) {
    auto day = totals.GetInt64(i, 1);
    auto micros = totals.GetInt64(i, 2);
    if (!day.ok() || !micros.ok()) return day.ok() ? micros.status() : day.status();
    batch->totals.push_back({std::string(totals.GetString(i, 0)), *day, *micros});
    absl::StrAppend(&payload, totals.GetString(i, 0), "\t", *day, "\t", *micros, "\n");
    if (payload.size() > kMaxNotifyBytes) payloads.push_back(std::move(payload)), payload.clear();
  }
  if (!payload.empty()) payloads.push_back(std::move(payload));
  for (const std::string& p : payloads) {
    auto n = conn.ExecParams("SELECT pg_notify($1, $2)", {kSpendChannel, p});
    if (!n.ok()) return n.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<CampaignStats> PostgresEventStore::Stats(absl::string_view campaign_id,
                                                        absl::CivilDay from,
                                                        absl::CivilDay to) const {
  StatsStore rows;
  const absl::CivilDay epoch(1970, 1, 1);
  // A bad range is INVALID_ARGUMENT even while the database is away.
  if (absl::Status range = StatsStore::CheckRange(from, to); !range.ok()) return range;
  Pool::Lease conn = pool_->Acquire();
  if (conn->IsConnectionLost()) conn->Reset().IgnoreError();
  auto r = conn->ExecParams(
      "SELECT day, impressions, clicks, invalid_clicks, budget_exhausted_clicks, spend_micros "
      "FROM campaign_stats WHERE campaign_id = $1 AND day BETWEEN $2 AND $3",
      {campaign_id, static_cast<int64_t>(from - epoch), static_cast<int64_t>(to - epoch)});
  if (!r.ok()) return Unreadable(r.status());
  for (int i = 0; i < r->rows(); ++i) {
    int64_t v[6];
    for (int c = 0; c < 6; ++c) {
      auto x = r->GetInt64(i, c);
      if (!x.ok()) return x.status();
      v[c] = *x;
    }
    rows.Add(campaign_id, v[0],
             {.impressions = v[1],
              .clicks = v[2],
              .invalid_clicks = v[3],
              .budget_exhausted_clicks = v[4],
              .spend_micros = v[5]});
  }
  return rows.Get(campaign_id, from, to);  // every day of the range, zeros included
}

absl::StatusOr<std::vector<PurchaseOutcome>> PostgresEventStore::IngestPurchases(
    absl::Span<const PurchaseLine> lines) {
  // A key repeated within the batch is DUPLICATE after its first line; the first lines go to the
  // database, which records those it has not seen, with their attribution candidates.
  absl::flat_hash_map<std::string, size_t> first;  // line key -> index of its first line
  std::vector<CandidateLine> fresh;
  std::set<int64_t> user_set;
  absl::Time earliest = absl::InfiniteFuture(), latest = absl::InfinitePast();
  for (size_t i = 0; i < lines.size(); ++i) {
    const PurchaseLine& l = lines[i];
    if (!first.emplace(LineKey(l.order_id, l.line), i).second) continue;
    fresh.push_back({.line = l});
    user_set.insert(ToBigint(l.user_hash));
    earliest = std::min(earliest, l.time);
    latest = std::max(latest, l.time);
  }
  std::vector<PurchaseOutcome> outcomes(lines.size(), PurchaseOutcome::kDuplicate);
  if (fresh.empty()) return outcomes;
  std::vector<std::string> users;
  for (int64_t u : user_set) users.push_back(absl::StrCat(u));
  Pool::Lease conn = pool_->Acquire();
  absl::Status st;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (conn->IsConnectionLost()) {
      st = conn->Reset();
      if (st.ok()) st = conn->Exec("SET synchronous_commit = on").status();
      if (!st.ok()) break;
    }
    std::fill(outcomes.begin(), outcomes.end(), PurchaseOutcome::kDuplicate);
    st = pg::InTransaction(*conn, [&]() -> absl::Status {
      // The shoppers' locks first (as a click batch takes them), then their clicks of the 30
      // days before the lines: every click committed before the lock is seen, and none of theirs
      // commits until this does.
      pg::Pipeline reads(&*conn);
      AddLockShoppers(users, &reads);
      AddReadShopperClicks(users, earliest - kMaxAttributionWindow, latest, &reads);
      auto r = reads.Run();
      if (!r.ok()) return r.status();
      std::vector<AttributedClick> clicks;
      if (absl::Status read = ReadClicks(r->back(), &clicks); !read.ok()) return read;
      std::vector<CandidateLine> computed = fresh;
      OfferAll(std::move(clicks), &computed);
      std::vector<std::string> cols[9];
      const std::string now = absl::StrCat(Micros(context_.clock->Now()));
      std::vector<EncodedLine> encoded;
      encoded.reserve(computed.size());
      for (const CandidateLine& c : computed) {
        const PurchaseLine& l = c.line;
        encoded.push_back(Encode(c));
        cols[0].push_back(l.order_id);
        cols[1].push_back(absl::StrCat(l.line));
        cols[2].push_back(absl::StrCat(ToBigint(l.user_hash)));
        cols[3].push_back(l.product_id);
        cols[4].push_back(absl::StrCat(l.quantity));
        cols[5].push_back(absl::StrCat(l.price_micros));
        cols[6].push_back(absl::StrCat(Micros(l.time)));
        cols[7].push_back(now);
        cols[8].push_back(encoded.back().candidates);
      }
      const std::vector<std::string> regs = CampaignLineArrays(computed, encoded);
      // The lines this statement records, and the campaign_lines rows of those only.
      auto ins = conn->ExecParams(
          absl::StrCat(
              "WITH ins AS (INSERT INTO purchase_lines (order_id, line, user_hash, product_id, "
              "quantity, price_micros, purchased_at, recorded_at, candidates) SELECT * FROM "
              "unnest($6::text[], $7::integer[], $8::bigint[], $9::text[], $10::bigint[], "
              "$11::bigint[], $12::bigint[], $13::bigint[], $14::bytea[]) "
              "ON CONFLICT (order_id, line) DO NOTHING RETURNING order_id, line), "
              "reg AS (INSERT INTO campaign_lines (",
              kCampaignLineColumns, ") SELECT r.* FROM unnest(", kCampaignLineArrays, ") AS r(",
              kCampaignLineColumns,
              ") JOIN ins ON ins.order_id = r.order_id AND ins.line = r.line "
              "ON CONFLICT DO NOTHING) SELECT order_id, line FROM ins"),
          {regs[0], regs[1], regs[2], regs[3], regs[4], pg::TextArray(cols[0]),
           pg::TextArray(cols[1]), pg::TextArray(cols[2]), pg::TextArray(cols[3]),
           pg::TextArray(cols[4]), pg::TextArray(cols[5]), pg::TextArray(cols[6]),
           pg::TextArray(cols[7]), pg::TextArray(cols[8])});
      if (!ins.ok()) return ins.status();
      for (int i = 0; i < ins->rows(); ++i) {
        auto line = ins->GetInt64(i, 1);
        if (!line.ok()) return line.status();
        auto it = first.find(LineKey(ins->GetString(i, 0), static_cast<int32_t>(*line)));
        if (it != first.end()) outcomes[it->second] = PurchaseOutcome::kRecorded;
      }
      return absl::OkStatus();
    });
    if (st.ok()) return outcomes;
    if (st.code() != absl::StatusCode::kAborted) break;  // a deadlock or conflict: run it again
  }
  return Unavailable(st);
}

absl::StatusOr<SalesReport> PostgresEventStore::SalesReportOf(
    absl::string_view campaign_id, const CampaignStats& stats, absl::Duration window,
    const AdvertisesFn& advertises, Dimension dimension, int64_t retention_from_day) const {
  SalesAccumulator acc(std::string(campaign_id), stats);
  if (stats.days.empty()) return std::move(acc).Finish();
  const absl::CivilDay epoch(1970, 1, 1);
  const int64_t from_day = stats.days.front().date - epoch;
  const int64_t to_day = stats.days.back().date - epoch;
  Pool::Lease conn = pool_->Acquire();
  if (conn->IsConnectionLost()) conn->Reset().IgnoreError();
  // By dimension: the counted rows of the range, as the embedded store's DimensionStats holds
  // them, and the sales of the same pass over the lines.
  DimensionStats rows;
  std::optional<DimensionSalesAccumulator> by_dimension;
  if (dimension != Dimension::kCampaign) {
    auto r = conn->ExecParams(
        "SELECT day, key, impressions, clicks, invalid_clicks, budget_exhausted_clicks, "
        "spend_micros FROM dimension_stats WHERE campaign_id = $1 AND dimension = $2 AND day "
        "BETWEEN $3 AND $4",
        {campaign_id, static_cast<int>(dimension), from_day, to_day});
    if (!r.ok()) return Unreadable(r.status());
    for (int i = 0; i < r->rows(); ++i) {
      int64_t v[6];
      const int cols[6] = {0, 2, 3, 4, 5, 6};
      for (int c = 0; c < 6; ++c) {
        auto x = r->GetInt64(i, cols[c]);
        if (!x.ok()) return Unreadable(x.status());
        v[c] = *x;
      }
      rows.AddCounted(campaign_id, dimension, v[0], r->GetString(i, 1),
                      {.impressions = v[1],
                       .clicks = v[2],
                       .invalid_clicks = v[3],
                       .budget_exhausted_clicks = v[4],
                       .spend_micros = v[5]});
    }
    by_dimension.emplace(rows, std::string(campaign_id), dimension, from_day, to_day,
                         retention_from_day, acc.order_numbers());
  }
  absl::Status st =
      AttributeCampaignLines(*conn, campaign_id, from_day, to_day, window, advertises,
                             [&](const AttributedClick& c, const PurchaseLine& l, SaleKind k) {
                               acc.Add(c, l, k);
                               if (by_dimension.has_value()) by_dimension->Add(c, l, k);
                             });
  if (!st.ok()) return st;
  SalesReport report = std::move(acc).Finish();
  if (by_dimension.has_value()) std::move(*by_dimension).Finish(&report);
  return report;
}

absl::Status PostgresEventStore::ComputeMissingCandidates(pg::Connection& conn) const {
  // Lines recorded before migration 4 have no candidates yet. A batch at a time: lock the
  // shoppers, read the batch's lines still without them (another replica may have computed them
  // meanwhile) and their shoppers' clicks, and write the candidates as a purchase would have.
  constexpr int kBatch = 1000;
  for (int aborted = 0; aborted < 100;) {
    auto pending = conn.ExecParams(
        "SELECT DISTINCT user_hash FROM purchase_lines WHERE candidates IS NULL LIMIT $1",
        {kBatch});
    if (!pending.ok()) return pending.status();
    if (pending->rows() == 0) return absl::OkStatus();
    std::vector<std::string> users;
    for (int i = 0; i < pending->rows(); ++i) users.emplace_back(pending->GetString(i, 0));
    std::sort(users.begin(), users.end(), [](const std::string& a, const std::string& b) {
      int64_t x = 0, y = 0;
      return absl::SimpleAtoi(a, &x) && absl::SimpleAtoi(b, &y) && x < y;
    });
    absl::Status st = pg::InTransaction(conn, [&]() -> absl::Status {
      pg::Pipeline reads(&conn);
      AddLockShoppers(users, &reads);
      reads.Add(absl::StrCat("SELECT ", kLineColumns,
                             ", '\\x00'::bytea FROM purchase_lines WHERE user_hash = "
                             "ANY($1::bigint[]) AND candidates IS NULL"),
                {pg::TextArray(users)});
      AddReadShopperClicks(users, absl::InfinitePast(), absl::InfiniteFuture(), &reads);
      auto r = reads.Run();
      if (!r.ok()) return r.status();
      std::vector<CandidateLine> lines;
      absl::Status read = ReadCandidateLines((*r)[1], &lines);
      if (!read.ok()) return read;
      std::vector<AttributedClick> clicks;
      read = ReadClicks((*r)[2], &clicks);
      if (!read.ok()) return read;
      OfferAll(std::move(clicks), &lines);
      for (CandidateLine& l : lines) l.changed = true;  // NULL becomes the (maybe empty) set
      pg::Pipeline writes(&conn);
      AddCandidateWrites(lines, &writes);
      if (writes.size() == 0) return absl::OkStatus();
      return writes.Run().status();
    });
    if (st.code() == absl::StatusCode::kAborted) {
      ++aborted;
    } else if (!st.ok()) {
      return st;
    }
  }
  return absl::AbortedError("computing the attribution candidates kept conflicting");
}

absl::StatusOr<ClickShoppers> PostgresEventStore::CampaignShoppers(absl::string_view campaign_id,
                                                                   int64_t from_day,
                                                                   int64_t to_day) const {
  Pool::Lease conn = pool_->Acquire();
  if (conn->IsConnectionLost()) conn->Reset().IgnoreError();
  auto r = conn->ExecParams(
      absl::StrCat("SELECT user_hash, min(decided_at), max(decided_at) FROM events WHERE ",
                   kChargedShopperClick,
                   " AND campaign_id = $1 AND day BETWEEN $2 AND $3 GROUP BY user_hash"),
      {campaign_id, from_day, to_day});
  if (!r.ok()) return Unreadable(r.status());
  ClickShoppers out;
  for (int i = 0; i < r->rows(); ++i) {
    int64_t v[3];
    for (int c = 0; c < 3; ++c) {
      auto x = r->GetInt64(i, c);
      if (!x.ok()) return Unreadable(x.status());
      v[c] = *x;
    }
    out.users.push_back(FromBigint(v[0]));
    out.first = std::min(out.first, FromMicros(v[1]));
    out.last = std::max(out.last, FromMicros(v[2]));
  }
  std::sort(out.users.begin(), out.users.end());  // as unsigned hashes
  return out;
}

absl::Status PostgresEventStore::ShopperActivity(absl::Span<const uint64_t> users, absl::Time from,
                                                 absl::Time to,
                                                 std::vector<AttributedClick>* clicks,
                                                 std::vector<PurchaseLine>* lines) const {
  std::vector<int64_t> ids;
  for (uint64_t u : users) ids.push_back(ToBigint(u));
  const std::string id_array = pg::Int64ArrayLiteral(ids);
  Pool::Lease conn = pool_->Acquire();
  if (conn->IsConnectionLost()) conn->Reset().IgnoreError();
  auto c = conn->ExecParams(
      absl::StrCat("SELECT ", kClickColumns, " FROM events WHERE ", kChargedShopperClick,
                   " AND user_hash = ANY($1::bigint[]) AND decided_at >= $2 AND decided_at < $3"),
      {id_array, Micros(from), Micros(to)});
  if (!c.ok()) return Unreadable(c.status());
  if (absl::Status st = ReadClicks(*c, clicks); !st.ok()) return Unreadable(st);
  auto l = conn->ExecParams(
      "SELECT order_id, line, user_hash, product_id, quantity, price_micros, purchased_at "
      "FROM purchase_lines WHERE user_hash = ANY($1::bigint[]) AND purchased_at >= $2 AND "
      "purchased_at < $3",
      {id_array, Micros(from), Micros(to)});
  if (!l.ok()) return Unreadable(l.status());
  if (absl::Status st = ReadLines(*l, lines); !st.ok()) return Unreadable(st);
  return absl::OkStatus();
}

absl::Status PostgresEventStore::LoadSpend(pg::Connection& conn) {
  const int64_t today = DayIndex(context_.clock->Now(), absl::UTCTimeZone());
  auto r =
      conn.ExecParams("SELECT campaign_id, day, spend_micros FROM campaign_spend WHERE day >= $1",
                      {today - kSpendDays});
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    auto day = r->GetInt64(i, 1);
    auto micros = r->GetInt64(i, 2);
    if (!day.ok() || !micros.ok()) return day.ok() ? micros.status() : day.status();
    context_.budgets->ObserveSpend(r->GetString(i, 0), *day, *micros);
  }
  spend_view_at_us_.store(Micros(context_.clock->Now()));
  return absl::OkStatus();
}

absl::Time PostgresEventStore::spend_view_at() const {
  const int64_t us = spend_view_at_us_.load();
  return us == 0 ? absl::InfinitePast() : FromMicros(us);
}

void PostgresEventStore::Listen() {
  std::unique_ptr<pg::Connection> conn;
  auto stopping = [&](absl::Duration wait) {
    MutexLock lock(&mu_);
    if (!stopping_ && wait > absl::ZeroDuration()) stop_cv_.WaitWithTimeout(&mu_, wait);
    return stopping_;
  };
  while (!stopping(absl::ZeroDuration())) {
    if (conn == nullptr || conn->IsConnectionLost()) {
      auto c = pg::Connection::Open(options_.conninfo);
      // Listen first, then reload: a commit between the two is in both, which ObserveSpend allows.
      if (!c.ok() || !(*c)->Exec(absl::StrCat("LISTEN ", kSpendChannel)).ok() ||
          !LoadSpend(**c).ok()) {
        conn.reset();
        if (stopping(absl::Seconds(1))) return;
        continue;
      }
      conn = std::move(*c);
    }
    PGconn* pq = conn->native_handle();
    pollfd fd = {.fd = PQsocket(pq), .events = POLLIN, .revents = 0};
    ::poll(&fd, 1, /*timeout_ms=*/100);
    if (PQconsumeInput(pq) == 0) {
      conn->Reset().IgnoreError();
      conn.reset();
      continue;
    }
    while (PGnotify* n = PQnotifies(pq)) {
      for (absl::string_view line : absl::StrSplit(n->extra, '\n', absl::SkipEmpty())) {
        std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
        int64_t day, micros;
        if (f.size() == 3 && absl::SimpleAtoi(f[1], &day) && absl::SimpleAtoi(f[2], &micros)) {
          context_.budgets->ObserveSpend(f[0], day, micros);
        }
      }
      PQfreemem(n);
    }
    spend_view_at_us_.store(Micros(context_.clock->Now()));
  }
}

void PostgresEventStore::PruneLoop() {
  absl::Time last_fold = absl::InfinitePast();
  while (true) {
    {
      MutexLock lock(&mu_);
      if (!stopping_) stop_cv_.WaitWithTimeout(&mu_, options_.prune_every);
      if (stopping_) return;
    }
    Pool::Lease conn = pool_->Acquire();
    if (conn->IsConnectionLost() && !conn->Reset().ok()) continue;
    const absl::Time now = context_.clock->Now();
    const int64_t now_us = Micros(now);
    // Expired rows are ignored by every check; deleting them only bounds the tables.
    for (const char* sql : {"DELETE FROM event_ids WHERE expires_at <= $1",
                            "DELETE FROM used_tokens WHERE expires_at <= $1",
                            "DELETE FROM repeat_clicks WHERE expires_at <= $1"}) {
      conn->ExecParams(sql, {now_us}).IgnoreError();
    }
    // Shoppers without a counted click in the rate window: their rows hold nothing the rule
    // reads (SKIP LOCKED: a shopper a batch holds is left for the next round).
    conn->ExecParams(
            "DELETE FROM shopper_clicks WHERE user_hash IN (SELECT user_hash FROM shopper_clicks "
            "WHERE coalesce(click_times[cardinality(click_times)], 0) <= $1 FOR UPDATE SKIP "
            "LOCKED)",
            {Micros(now - context_.rules.rate_window)})
        .IgnoreError();
    // Hourly: search-term rows of UTC days past the retention, folded into "(other)" as the
    // embedded store's snapshots write them (reports fold those days anyway).
    if (now - last_fold >= absl::Hours(1)) {
      last_fold = now;
      const int64_t before = DayIndex(now, absl::UTCTimeZone()) - kSearchTermRetentionDays - 1;
      conn->ExecParams(
              absl::StrCat(
                  "WITH old AS (DELETE FROM dimension_stats WHERE dimension = 4 AND day < $1 "
                  "AND key <> '(other)' RETURNING *) INSERT INTO dimension_stats AS s "
                  "(campaign_id, dimension, day, key, impressions, clicks, invalid_clicks, "
                  "budget_exhausted_clicks, spend_micros) SELECT campaign_id, 4, day, '(other)', "
                  "sum(impressions), sum(clicks), sum(invalid_clicks), "
                  "sum(budget_exhausted_clicks), sum(spend_micros) FROM old GROUP BY 1, 3",
                  kAddDimensionCounters),
              {before})
          .IgnoreError();
      conn->ExecParams("DELETE FROM search_term_days WHERE day < $1", {before}).IgnoreError();
    }
  }
}

}  // namespace gavel::billing
