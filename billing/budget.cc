#include "billing/budget.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gavel::billing {
namespace {

const absl::CivilDay kEpochDay(1970, 1, 1);
constexpr int64_t kKeepDays = 62;  // two months: enough for any month-to-date sum

int64_t MonthIndex(int64_t day) {
  const absl::CivilMonth m(CivilDayFromIndex(day));
  return m.year() * 12 + (m.month() - 1);
}

// Local days [first, last] of the month containing `day`.
std::pair<int64_t, int64_t> MonthDays(int64_t day) {
  const absl::CivilMonth m(CivilDayFromIndex(day));
  const int64_t first = absl::CivilDay(m) - kEpochDay;
  const int64_t last = absl::CivilDay(m + 1) - kEpochDay - 1;
  return {first, last};
}

}  // namespace

int64_t DayIndex(absl::Time t, absl::TimeZone tz) { return absl::ToCivilDay(t, tz) - kEpochDay; }
absl::CivilDay CivilDayFromIndex(int64_t day) { return kEpochDay + day; }

int64_t RemainingUnderPolicy(const CampaignBudget& b, int64_t day, int64_t spent_today,
                             int64_t spent_month) {
  const int64_t daily = b.daily_budget_micros;
  int64_t remaining = 0;
  switch (b.policy) {
    case BudgetPolicy::kHard:
      remaining = daily - spent_today;
      break;
    case BudgetPolicy::kDaily2xMonthlyCap:
      // 30.4 x daily, rounded down to the micro, written in integers.
      remaining = std::min(2 * daily - spent_today, daily * 304 / 10 - spent_month);
      break;
    case BudgetPolicy::kMonthlyAverage:
      remaining = daily * CivilDayFromIndex(day).day() - spent_month;
      break;
  }
  return std::max<int64_t>(remaining, 0);
}

bool BudgetStore::CanSpend(absl::string_view campaign_id, absl::Time now,
                           int64_t amount_micros) const {
  auto view = Query(campaign_id, now);
  return view.ok() && view->remaining_micros >= std::max<int64_t>(amount_micros, 1);
}

// One campaign. Writers hold `mu`; readers read `settings` with atomic_load and the counters
// through the seqlock (`seq` odd while a writer publishes), so they never wait for a charge.
struct InMemoryBudgetStore::Campaign {
  Mutex mu;
  std::map<int64_t, int64_t> spend_by_day ABSL_GUARDED_BY(mu);
  std::shared_ptr<const CampaignBudget> settings;  // atomic_load/atomic_store only
  std::atomic<uint64_t> seq{0};
  std::atomic<int64_t> pub_day{INT64_MIN};  // latest day with spend
  std::atomic<int64_t> pub_day_spend{0};
  std::atomic<int64_t> pub_month{INT64_MIN};
  std::atomic<int64_t> pub_month_spend{0};

  int64_t MonthSpend(int64_t day) const ABSL_SHARED_LOCKS_REQUIRED(mu) {
    const int64_t first = MonthDays(day).first;
    int64_t sum = 0;
    for (auto it = spend_by_day.lower_bound(first); it != spend_by_day.end() && it->first <= day;
         ++it) {
      sum += it->second;
    }
    return sum;
  }
  int64_t DaySpend(int64_t day) const ABSL_SHARED_LOCKS_REQUIRED(mu) {
    auto it = spend_by_day.find(day);
    return it == spend_by_day.end() ? 0 : it->second;
  }
  void Add(int64_t day, int64_t amount) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    spend_by_day[day] += amount;
    const int64_t latest = spend_by_day.rbegin()->first;
    while (spend_by_day.begin()->first < latest - kKeepDays) spend_by_day.erase(spend_by_day.begin());
    seq.fetch_add(1);  // odd: publishing
    pub_day.store(latest);
    pub_day_spend.store(spend_by_day.rbegin()->second);
    pub_month.store(MonthIndex(latest));
    pub_month_spend.store(MonthSpend(latest));
    seq.fetch_add(1);  // even: stable
  }
};

InMemoryBudgetStore::InMemoryBudgetStore() : table_(std::make_shared<const Table>()) {}
InMemoryBudgetStore::~InMemoryBudgetStore() = default;

std::shared_ptr<InMemoryBudgetStore::Campaign> InMemoryBudgetStore::Find(
    absl::string_view id) const {
  std::shared_ptr<const Table> table = std::atomic_load(&table_);
  auto it = table->find(id);
  return it == table->end() ? nullptr : it->second;
}

std::shared_ptr<InMemoryBudgetStore::Campaign> InMemoryBudgetStore::FindOrCreate(
    absl::string_view id) {
  if (auto c = Find(id)) return c;
  MutexLock lock(&mu_);
  std::shared_ptr<const Table> table = std::atomic_load(&table_);
  auto it = table->find(id);
  if (it != table->end()) return it->second;
  auto next = std::make_shared<Table>(*table);  // copy-on-write: campaigns are added rarely
  auto c = std::make_shared<Campaign>();
  next->emplace(std::string(id), c);
  std::atomic_store(&table_, std::shared_ptr<const Table>(std::move(next)));
  return c;
}

namespace {

absl::Status ValidateBudget(const CampaignBudget& budget) {
  if (budget.campaign_id.empty()) return absl::InvalidArgumentError("campaign_id must be set");
  if (budget.daily_budget_micros <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("campaign ", budget.campaign_id,
                                                   ": daily_budget_micros must be > 0, got ",
                                                   budget.daily_budget_micros));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status BudgetStore::UpsertAll(absl::Span<const CampaignBudget> budgets) {
  for (const CampaignBudget& b : budgets) {
    absl::Status st = ValidateBudget(b);
    if (!st.ok()) return st;
  }
  for (const CampaignBudget& b : budgets) {
    absl::Status st = Upsert(b);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status InMemoryBudgetStore::Upsert(const CampaignBudget& budget) {
  absl::Status st = ValidateBudget(budget);
  if (!st.ok()) return st;
  auto c = FindOrCreate(budget.campaign_id);
  std::atomic_store(&c->settings, std::make_shared<const CampaignBudget>(budget));
  return absl::OkStatus();
}

absl::Status InMemoryBudgetStore::UpsertAll(absl::Span<const CampaignBudget> budgets) {
  for (const CampaignBudget& b : budgets) {
    absl::Status st = ValidateBudget(b);
    if (!st.ok()) return st;
  }
  {
    MutexLock lock(&mu_);
    std::shared_ptr<const Table> table = std::atomic_load(&table_);
    std::shared_ptr<Table> next;
    for (const CampaignBudget& b : budgets) {
      if (table->contains(b.campaign_id) || (next != nullptr && next->contains(b.campaign_id))) {
        continue;
      }
      if (next == nullptr) next = std::make_shared<Table>(*table);  // one copy for the batch
      next->emplace(b.campaign_id, std::make_shared<Campaign>());
    }
    if (next != nullptr) std::atomic_store(&table_, std::shared_ptr<const Table>(std::move(next)));
  }
  for (const CampaignBudget& b : budgets) {
    std::atomic_store(&Find(b.campaign_id)->settings, std::make_shared<const CampaignBudget>(b));
  }
  return absl::OkStatus();
}

absl::StatusOr<BudgetView> InMemoryBudgetStore::Query(absl::string_view campaign_id,
                                                      absl::Time now) const {
  auto c = Find(campaign_id);
  std::shared_ptr<const CampaignBudget> settings = c ? std::atomic_load(&c->settings) : nullptr;
  if (settings == nullptr) {
    return absl::NotFoundError(absl::StrCat("campaign ", campaign_id, " has no budget settings"));
  }
  BudgetView v;
  v.settings = settings;
  v.day = DayIndex(now, settings->time_zone);
  const int64_t month = MonthIndex(v.day);
  int64_t day, day_spend, pub_month, month_spend;
  while (true) {
    const uint64_t s1 = c->seq.load();
    if (s1 & 1) continue;
    day = c->pub_day.load();
    day_spend = c->pub_day_spend.load();
    pub_month = c->pub_month.load();
    month_spend = c->pub_month_spend.load();
    if (c->seq.load() == s1) break;
  }
  if (day > v.day) {
    // The clock is behind the latest charge (a simulation rewinding time): read the history.
    ReaderMutexLock lock(&c->mu);
    v.spent_today_micros = c->DaySpend(v.day);
    v.spent_month_micros = c->MonthSpend(v.day);
  } else {
    v.spent_today_micros = day == v.day ? day_spend : 0;
    v.spent_month_micros = pub_month == month ? month_spend : 0;
  }
  v.remaining_micros =
      RemainingUnderPolicy(*settings, v.day, v.spent_today_micros, v.spent_month_micros);
  return v;
}

absl::StatusOr<ChargeDecision> InMemoryBudgetStore::TryCharge(absl::string_view campaign_id,
                                                              int64_t amount_micros,
                                                              absl::Time now) {
  auto c = Find(campaign_id);
  std::shared_ptr<const CampaignBudget> settings = c ? std::atomic_load(&c->settings) : nullptr;
  if (settings == nullptr) {
    return absl::NotFoundError(absl::StrCat("campaign ", campaign_id, " has no budget settings"));
  }
  ChargeDecision d;
  d.day = DayIndex(now, settings->time_zone);
  MutexLock lock(&c->mu);
  const int64_t remaining =
      RemainingUnderPolicy(*settings, d.day, c->DaySpend(d.day), c->MonthSpend(d.day));
  if (amount_micros <= remaining) {
    c->Add(d.day, amount_micros);
    d.charged = true;
  }
  return d;
}

void InMemoryBudgetStore::AddSpend(absl::string_view campaign_id, int64_t day,
                                   int64_t amount_micros) {
  auto c = FindOrCreate(campaign_id);
  MutexLock lock(&c->mu);
  c->Add(day, amount_micros);
}

std::vector<SpendRow> InMemoryBudgetStore::ExportSpend() const {
  std::vector<SpendRow> rows;
  std::shared_ptr<const Table> table = std::atomic_load(&table_);
  for (const auto& [id, c] : *table) {
    ReaderMutexLock lock(&c->mu);
    for (const auto& [day, micros] : c->spend_by_day) rows.push_back({id, day, micros});
  }
  std::sort(rows.begin(), rows.end(), [](const SpendRow& a, const SpendRow& b) {
    return std::tie(a.campaign_id, a.day) < std::tie(b.campaign_id, b.day);
  });
  return rows;
}

}  // namespace gavel::billing
