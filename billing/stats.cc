#include "billing/stats.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gavel::billing {
namespace {

const absl::CivilDay kEpochDay(1970, 1, 1);

DailyStats Finish(absl::CivilDay date, const StatsCounters& c) {
  DailyStats d;
  d.date = date;
  d.counters = c;
  d.ctr =
      c.impressions > 0 ? static_cast<double>(c.clicks) / static_cast<double>(c.impressions) : 0;
  d.average_cpc_micros = c.clicks > 0 ? c.spend_micros / c.clicks : 0;
  return d;
}

}  // namespace

StatsCounters& StatsCounters::operator+=(const StatsCounters& o) {
  impressions += o.impressions;
  clicks += o.clicks;
  invalid_clicks += o.invalid_clicks;
  budget_exhausted_clicks += o.budget_exhausted_clicks;
  spend_micros += o.spend_micros;
  return *this;
}

void StatsStore::Add(absl::string_view campaign_id, int64_t day, const StatsCounters& delta) {
  MutexLock lock(&mu_);
  by_campaign_[campaign_id][day] += delta;
}

absl::StatusOr<CampaignStats> StatsStore::Get(absl::string_view campaign_id, absl::CivilDay from,
                                              absl::CivilDay to) const {
  if (absl::Status range = CheckRange(from, to); !range.ok()) return range;
  CampaignStats out;
  StatsCounters total;
  ReaderMutexLock lock(&mu_);
  auto it = by_campaign_.find(campaign_id);
  for (absl::CivilDay d = from; d <= to; ++d) {
    StatsCounters c;
    if (it != by_campaign_.end()) {
      auto day = it->second.find(d - kEpochDay);
      if (day != it->second.end()) c = day->second;
    }
    total += c;
    out.days.push_back(Finish(d, c));
  }
  out.total = Finish(from, total);
  return out;
}

absl::Status StatsStore::CheckRange(absl::CivilDay from, absl::CivilDay to) {
  if (from > to) {
    return absl::InvalidArgumentError(absl::StrFormat("start date %s is after end date %s",
                                                      absl::FormatCivilTime(from),
                                                      absl::FormatCivilTime(to)));
  }
  if (to - from + 1 > 366) {
    return absl::InvalidArgumentError(
        absl::StrCat("date range must be at most 366 days, got ", to - from + 1));
  }
  return absl::OkStatus();
}

std::vector<StatsRow> StatsStore::Export() const {
  std::vector<StatsRow> rows;
  ReaderMutexLock lock(&mu_);
  for (const auto& [id, days] : by_campaign_) {
    for (const auto& [day, c] : days) rows.push_back({id, day, c});
  }
  return rows;
}

}  // namespace gavel::billing
