#include "metrics/ops_page.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "billing/budget.h"

namespace gavel::metrics {
namespace {

constexpr absl::Duration kWindow = absl::Seconds(60);
constexpr absl::Duration kKeep = absl::Seconds(65);

std::string Html(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A query-string value: everything but unreserved characters percent-encoded.
std::string UrlEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// Micros as currency units with two decimals, rounded down (display only: money itself stays in
// micros everywhere).
std::string Money(int64_t micros) {
  const bool negative = micros < 0;
  const int64_t cents = (negative ? -micros : micros) / 10'000;
  return absl::StrFormat("%s%d.%02d", negative ? "-" : "", cents / 100, cents % 100);
}

// Whether `haystack` contains `lowered_needle` (already lowercase), ASCII case-insensitively.
bool ContainsLowered(absl::string_view haystack, absl::string_view lowered_needle) {
  return std::search(haystack.begin(), haystack.end(), lowered_needle.begin(), lowered_needle.end(),
                     [](char a, char b) { return absl::ascii_tolower(a) == b; }) != haystack.end();
}

std::string StateOf(const catalog::Campaign& c, int64_t remaining_micros) {
  if (c.state == catalog::EntityState::kPaused) return "paused";
  if (c.state == catalog::EntityState::kArchived) return "archived";
  return remaining_micros <= 0 ? "exhausted" : "serving";
}

// Fills the pacing and statistics figures of one row (the page's rows only).
void FillDetails(const billing::Billing& billing, absl::Time now, CampaignRow* row) {
  const billing::ServingBudget b = billing.budgets().Resolve(row->id)->Read(now);
  if (b.known && b.day_end > b.day_start) {
    row->day_fraction =
        std::clamp(absl::FDivDuration(now - b.day_start, b.day_end - b.day_start), 0.0, 1.0);
    row->target_fraction = billing.pacer().TargetFraction(now, b.day_start, b.day_end);
    const absl::Duration hour = (b.day_end - b.day_start) / 24;
    for (int h = 0; h <= 24; ++h) {
      row->curve[h] =
          billing.pacer().TargetFraction(b.day_start + h * hour, b.day_start, b.day_end);
    }
  }
  const absl::CivilDay today = billing.Today(row->id);
  absl::StatusOr<billing::CampaignStats> stats = billing.Stats(row->id, today, today);
  if (!stats.ok()) return;
  const billing::DailyStats& t = stats->total;
  row->impressions = t.counters.impressions;
  row->clicks = t.counters.clicks;
  row->invalid_clicks = t.counters.invalid_clicks;
  row->ctr = t.ctr;
  row->average_cpc_micros = t.average_cpc_micros;
  // A click refused for budget today means the budget is spent, even if a remainder smaller than
  // a click's price is left.
  if (row->state == "serving" && t.counters.budget_exhausted_clicks > 0) row->state = "exhausted";
}

// Spend against budget: a bar for the spend, a line for the pacing target now.
std::string SpendBar(const CampaignRow& r) {
  const double budget = static_cast<double>(std::max<int64_t>(r.daily_budget_micros, 1));
  const double spent = std::min(1.0, static_cast<double>(r.spent_today_micros) / budget);
  return absl::StrFormat(
      "<svg class=\"bar\" width=\"120\" height=\"14\" viewBox=\"0 0 120 14\">"
      "<rect width=\"120\" height=\"14\" fill=\"#e6e6e6\"/>"
      "<rect width=\"%.1f\" height=\"14\" fill=\"%s\"/>"
      "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" y2=\"14\" stroke=\"#222\" stroke-width=\"2\"/></svg>",
      120 * spent, r.state == "exhausted" ? "#c0392b" : "#2e86c1", 120 * r.target_fraction,
      120 * r.target_fraction);
}

// The day's pacing target curve (share of budget due by each hour) and today's spend so far.
std::string PacingCurve(const CampaignRow& r) {
  constexpr double kW = 120, kH = 36;
  std::string points;
  for (int h = 0; h <= 24; ++h) {
    absl::StrAppendFormat(&points, "%s%.1f,%.1f", h == 0 ? "" : " ", kW * h / 24,
                          kH * (1 - r.curve[h]));
  }
  const double budget = static_cast<double>(std::max<int64_t>(r.daily_budget_micros, 1));
  const double spent = std::min(1.0, static_cast<double>(r.spent_today_micros) / budget);
  return absl::StrFormat(
      "<svg class=\"pacing\" width=\"120\" height=\"36\" viewBox=\"0 0 120 36\">"
      "<rect width=\"120\" height=\"36\" fill=\"#fafafa\" stroke=\"#ccc\"/>"
      "<polyline points=\"%s\" fill=\"none\" stroke=\"#888\"/>"
      "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#c0392b\"/></svg>",
      points, kW * r.day_fraction, kH * (1 - spent));
}

void RenderRecent(const RecentTraffic& t, std::string* out) {
  absl::StrAppendFormat(
      out,
      "<section id=\"recent\"><h2>Last %.0f s</h2><p>"
      "<span id=\"auctions-per-second\">%.1f</span> auctions/s &middot; "
      "p50 <span id=\"p50-ms\">%.2f</span> ms &middot; p99 <span id=\"p99-ms\">%.2f</span> ms</p>",
      t.window_seconds, t.auctions_per_second, t.p50_seconds * 1e3, t.p99_seconds * 1e3);
  const engine::LossReason shown[] = {
      engine::LossReason::kBelowReserve, engine::LossReason::kOutranked,
      engine::LossReason::kBudgetExhausted, engine::LossReason::kPacedOut};
  int64_t total = 0;
  for (int64_t n : t.losses) total += n;
  *out += "<table id=\"losses\"><tr><th>losing candidates by reason</th><th>share</th></tr>";
  int64_t other = total;
  const auto share_row = [&](const std::string& label, int64_t n) {
    const double share = total > 0 ? static_cast<double>(n) / static_cast<double>(total) : 0;
    absl::StrAppendFormat(out,
                          "<tr data-reason=\"%s\"><td>%s</td><td>%.1f%% "
                          "<svg width=\"100\" height=\"10\"><rect width=\"%.1f\" height=\"10\" "
                          "fill=\"#7d3c98\"/></svg></td></tr>",
                          label, label, 100 * share, 100 * share);
  };
  for (engine::LossReason r : shown) {
    const int64_t n = t.losses[static_cast<int>(r)];
    other -= n;
    share_row(LossReasonLabel(r), n);
  }
  // Duplicate product, the viewed product, spend unknown.
  share_row("other", other);
  *out += "</table></section>";
}

void RenderRow(const CampaignRow& r, std::string* out) {
  absl::StrAppendFormat(
      out,
      "<tr class=\"campaign\" data-campaign=\"%s\" data-state=\"%s\" data-spend-micros=\"%d\" "
      "data-clicks=\"%d\" data-invalid-clicks=\"%d\">"
      "<td class=\"id\">%s</td><td>%s</td><td class=\"state %s\">%s</td>"
      "<td class=\"spend\">%s / %s</td><td>%s</td><td>%s</td>"
      "<td class=\"clicks\">%d</td><td class=\"invalid\">%d</td><td>%d</td><td>%.2f%%</td>"
      "<td>%s</td></tr>",
      Html(r.id), r.state, r.spent_today_micros, r.clicks, r.invalid_clicks, Html(r.id),
      Html(r.name), r.state, r.state, Money(r.spent_today_micros), Money(r.daily_budget_micros),
      SpendBar(r), PacingCurve(r), r.clicks, r.invalid_clicks, r.impressions, 100 * r.ctr,
      Money(r.average_cpc_micros));
}

void RenderPager(const OpsView& v, std::string* out) {
  const std::string q = v.search.empty() ? "" : absl::StrCat("&amp;q=", UrlEncode(v.search));
  absl::StrAppendFormat(out, "<p id=\"pager\">page %d of %d", v.page, v.pages);
  if (v.page > 1)
    absl::StrAppendFormat(out, " &middot; <a href=\"/?page=%d%s\">previous</a>", v.page - 1, q);
  if (v.page < v.pages)
    absl::StrAppendFormat(out, " &middot; <a href=\"/?page=%d%s\">next</a>", v.page + 1, q);
  *out += "</p>";
}

constexpr char kStyle[] =
    "body{font:14px sans-serif;margin:1em 2em;color:#222}table{border-collapse:collapse}"
    "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:middle}"
    "th{background:#f0f0f0}.exhausted{color:#c0392b;font-weight:bold}.paused,.archived{color:#888}"
    "#recent p{font-size:18px}";

}  // namespace

OpsQuery ParseOpsQuery(const std::multimap<std::string, std::string>& params) {
  OpsQuery q;
  if (auto it = params.find("page"); it != params.end()) {
    int page = 0;
    if (absl::SimpleAtoi(it->second, &page) && page >= 1) q.page = page;
  }
  if (auto it = params.find("q"); it != params.end()) {
    q.search = std::string(absl::StripAsciiWhitespace(it->second)).substr(0, kMaxSearchBytes);
  }
  return q;
}

OpsView CollectOps(const targeting::CatalogSnapshot& catalog, const billing::Billing& billing,
                   absl::Time now, const OpsQuery& query) {
  OpsView v;
  const std::vector<catalog::Campaign>& campaigns = catalog.catalog().campaigns;
  v.catalog_version = catalog.version();
  v.campaigns = static_cast<int>(campaigns.size());
  v.search = query.search;
  const std::string needle = absl::AsciiStrToLower(query.search);
  struct Ranked {
    int64_t spent, remaining;
    int32_t index;
  };
  std::vector<Ranked> ranked;
  ranked.reserve(campaigns.size());
  for (size_t i = 0; i < campaigns.size(); ++i) {
    if (!needle.empty() && !ContainsLowered(campaigns[i].id, needle)) continue;
    absl::StatusOr<billing::BudgetView> b = billing.budgets().Query(campaigns[i].id, now);
    ranked.push_back({b.ok() ? b->spent_today_micros : 0, b.ok() ? b->remaining_micros : 0,
                      static_cast<int32_t>(i)});
  }
  v.matching = static_cast<int>(ranked.size());
  v.pages = std::max(1, (v.matching + kOpsPageSize - 1) / kOpsPageSize);
  v.page = std::min(query.page, v.pages);
  const size_t begin = static_cast<size_t>(v.page - 1) * kOpsPageSize;
  const size_t end = std::min(ranked.size(), begin + kOpsPageSize);
  const auto by_spend = [&](const Ranked& a, const Ranked& b) {
    if (a.spent != b.spent) return a.spent > b.spent;
    return campaigns[a.index].id < campaigns[b.index].id;
  };
  // Only the page's rows need their order: nth_element then a sort of the prefix.
  std::partial_sort(ranked.begin(), ranked.begin() + end, ranked.end(), by_spend);
  for (size_t i = begin; i < end; ++i) {
    const catalog::Campaign& c = campaigns[ranked[i].index];
    CampaignRow row;
    row.id = c.id;
    row.name = c.name;
    row.daily_budget_micros = c.daily_budget_micros;
    row.spent_today_micros = ranked[i].spent;
    row.remaining_micros = ranked[i].remaining;
    row.state = StateOf(c, ranked[i].remaining);
    FillDetails(billing, now, &row);
    v.rows.push_back(std::move(row));
  }
  return v;
}

std::string RenderOpsPage(const OpsView& v) {
  std::string out;
  out.reserve(64 << 10);
  absl::StrAppend(&out,
                  "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta http-equiv=\"refresh\" content=\"10\">"
                  "<title>Gavel ad operations</title><style>",
                  kStyle, "</style></head><body><h1>Gavel ad operations</h1>");
  absl::StrAppendFormat(&out,
                        "<p>catalog version <span id=\"catalog-version\">%d</span> &middot; "
                        "<span id=\"campaign-count\">%d</span> campaigns</p>",
                        v.catalog_version, v.campaigns);
  RenderRecent(v.recent, &out);
  absl::StrAppendFormat(
      &out,
      "<h2>Campaigns today, by spend</h2><form method=\"get\" action=\"/\">"
      "<input type=\"search\" name=\"q\" value=\"%s\" placeholder=\"campaign id\" maxlength=\"%d\">"
      "<button type=\"submit\">search</button></form>"
      "<p id=\"matching\">%d matching</p>",
      Html(v.search), kMaxSearchBytes, v.matching);
  RenderPager(v, &out);
  out +=
      "<table id=\"campaigns\"><tr><th>campaign</th><th>name</th><th>state</th>"
      "<th>spend / daily budget</th><th>spend vs pacing now</th><th>pacing curve</th>"
      "<th>charged clicks</th><th>invalid clicks</th><th>impressions</th><th>CTR</th>"
      "<th>avg CPC</th></tr>";
  for (const CampaignRow& r : v.rows) RenderRow(r, &out);
  out += "</table>";
  RenderPager(v, &out);
  out += "</body></html>\n";
  return out;
}

RecentWindow::Point RecentWindow::Take(absl::Time now, const GavelMetrics& metrics) {
  Point p;
  p.at = now;
  p.latency = metrics.auction_latency().Read();
  for (int r = 0; r < engine::kNumLossReasons; ++r) {
    p.losses[r] = metrics.LossesTotal(static_cast<engine::LossReason>(r));
  }
  return p;
}

void RecentWindow::Sample(absl::Time now, const GavelMetrics& metrics) {
  Point p = Take(now, metrics);
  MutexLock lock(&mu_);
  points_.push_back(std::move(p));
  while (!points_.empty() && now - points_.front().at > kKeep) points_.pop_front();
}

RecentTraffic RecentWindow::Last(absl::Time now, const GavelMetrics& metrics) const {
  const Point current = Take(now, metrics);
  RecentTraffic t;
  MutexLock lock(&mu_);
  const Point* base = nullptr;
  for (const Point& p : points_) {
    if (now - p.at <= kWindow) {
      base = &p;
      break;
    }
  }
  if (base == nullptr && !points_.empty()) base = &points_.back();
  if (base == nullptr || now <= base->at) return t;
  const Histogram::Snapshot d = current.latency.Minus(base->latency);
  const double unit = metrics.auction_latency().unit();
  t.window_seconds = absl::ToDoubleSeconds(now - base->at);
  t.auctions_per_second = static_cast<double>(d.count) / t.window_seconds;
  t.p50_seconds = d.Quantile(0.5) / unit;
  t.p99_seconds = d.Quantile(0.99) / unit;
  for (int r = 0; r < engine::kNumLossReasons; ++r)
    t.losses[r] = current.losses[r] - base->losses[r];
  return t;
}

}  // namespace gavel::metrics
