#include "billing/budget.h"

#include <algorithm>
#include <cstring>
#include <tuple>
#include <type_traits>
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

// RemainingUnderPolicy with the day of month already known.
int64_t Remaining(BudgetPolicy policy, int64_t daily, int64_t day_of_month, int64_t spent_today,
                  int64_t spent_month) {
  int64_t remaining = 0;
  switch (policy) {
    case BudgetPolicy::kUnspecified:
    case BudgetPolicy::kHard:
      remaining = daily - spent_today;
      break;
    case BudgetPolicy::kDaily2xMonthlyCap:
      // 30.4 x daily, rounded down to the micro, written in integers.
      remaining = std::min(2 * daily - spent_today, daily * 304 / 10 - spent_month);
      break;
    case BudgetPolicy::kMonthlyAverage:
      remaining = daily * day_of_month - spent_month;
      break;
  }
  return std::max<int64_t>(remaining, 0);
}

// A value that readers copy without a lock while writers replace it: a seqlock whose data are
// atomic words, so the reads racing a writer that the seqlock then discards are not data races.
// Neither side waits: a reader that meets a writer gets nothing (TryLoad is false), and of several
// writers at once all but one give up (TryStore is false).
template <typename T>
class SeqlockCell {
  static_assert(std::is_trivially_copyable_v<T> && std::has_unique_object_representations_v<T> &&
                    sizeof(T) % sizeof(uint64_t) == 0,
                "T must be plain words: padding would be copied uninitialised");
  static constexpr size_t kWords = sizeof(T) / sizeof(uint64_t);

 public:
  explicit SeqlockCell(const T& value) { TryStore(value); }

  // Copies the value to `out`; false (and `out` unchanged) if a writer was publishing meanwhile.
  bool TryLoad(T* out) const {
    const uint64_t s = seq_.load();
    if (s & 1) return false;
    uint64_t words[kWords];
    for (size_t i = 0; i < kWords; ++i) words[i] = words_[i].load();
    if (seq_.load() != s) return false;
    std::memcpy(out, words, sizeof(T));
    return true;
  }

  // Publishes `value` unless another writer is publishing right now.
  bool TryStore(const T& value) {
    uint64_t s = seq_.load();
    if ((s & 1) != 0 || !seq_.compare_exchange_strong(s, s + 1)) return false;
    uint64_t words[kWords];
    std::memcpy(words, &value, sizeof(T));
    for (size_t i = 0; i < kWords; ++i) words_[i].store(words[i]);
    seq_.store(s + 2);
    return true;
  }

 private:
  std::atomic<uint64_t> seq_{0};
  std::atomic<uint64_t> words_[kWords] = {};
};

// Reads through Query by id: the handle for stores without one of their own, and for campaigns
// the in-memory store does not know yet.
class QueryHandle final : public BudgetHandle {
 public:
  QueryHandle(const BudgetStore* store, absl::string_view campaign_id)
      : store_(store), campaign_id_(campaign_id) {}

  ServingBudget Read(absl::Time now) const override {
    absl::StatusOr<BudgetView> v = store_->Query(campaign_id_, now);
    if (!v.ok()) return {};
    const CampaignBudget& s = *v->settings;
    const absl::CivilDay day = CivilDayFromIndex(v->day);
    return {.known = true,
            .day = v->day,
            .day_start = absl::FromCivil(day, s.time_zone),
            .day_end = absl::FromCivil(day + 1, s.time_zone),
            .spent_today_micros = v->spent_today_micros,
            .remaining_micros = v->remaining_micros,
            .daily_budget_micros = s.daily_budget_micros,
            .pacing = s.pacing};
  }

 private:
  const BudgetStore* const store_;
  const std::string campaign_id_;
};

}  // namespace

int64_t DayIndex(absl::Time t, absl::TimeZone tz) { return absl::ToCivilDay(t, tz) - kEpochDay; }
absl::CivilDay CivilDayFromIndex(int64_t day) { return kEpochDay + day; }

int64_t RemainingUnderPolicy(const CampaignBudget& b, int64_t day, int64_t spent_today,
                             int64_t spent_month) {
  const int64_t day_of_month =
      b.policy == BudgetPolicy::kMonthlyAverage ? CivilDayFromIndex(day).day() : 0;
  return Remaining(b.policy, b.daily_budget_micros, day_of_month, spent_today, spent_month);
}

int64_t CampaignDay(const BudgetStore& store, absl::string_view campaign_id, absl::Time now) {
  auto view = store.Query(campaign_id, now);
  return view.ok() ? view->day : DayIndex(now, absl::UTCTimeZone());
}

std::shared_ptr<const BudgetHandle> BudgetStore::Resolve(absl::string_view campaign_id) const {
  return std::make_shared<QueryHandle>(this, campaign_id);
}

bool BudgetStore::CanSpend(absl::string_view campaign_id, absl::Time now,
                           int64_t amount_micros) const {
  auto view = Query(campaign_id, now);
  return view.ok() && view->remaining_micros >= std::max<int64_t>(amount_micros, 1);
}

// One campaign, and its handle. Writers hold `mu`; readers read `settings` with atomic_load and the
// counters through the seqlock (`seq` odd while a writer publishes), so they never wait for a
// charge.
//
// Handle reads (Read) use neither `settings` nor a time-zone conversion while `now` stays within
// the cached local day: `day_cache` holds the settings the auction needs and the local day they
// were computed for, tagged with the `settings_gen` they came from. Any reader that finds the cache
// stale (another day, or settings upserted since) or being written recomputes it, and tries to
// publish it.
struct alignas(64) InMemoryBudgetStore::Campaign final : public BudgetHandle {
  // The cached local day: plain words for the SeqlockCell, one cache line.
  struct LocalDay {
    int64_t settings_gen = -1;  // -1: nothing cached yet
    // Every instant in [valid_from, end) (unix nanos) has local day `day`.
    int64_t valid_from_ns = 0;
    int64_t start_ns = 0, end_ns = 0;  // FromCivil(day), FromCivil(day + 1)
    int64_t day = 0;
    int64_t daily_budget_micros = 0;
    int32_t month = 0, day_of_month = 0;  // MonthIndex(day), CivilDayFromIndex(day).day()
    int32_t policy = 0, pacing = 0;
  };
  static_assert(sizeof(LocalDay) == 64);
  struct Counters {
    int64_t day, day_spend, month, month_spend;
  };

  // What every handle read touches comes first: with the vtable pointer, two cache lines.
  std::atomic<int64_t> settings_gen{0};  // bumped after each store to `settings`
  mutable SeqlockCell<LocalDay> day_cache{LocalDay{}};
  std::atomic<uint64_t> seq{0};
  std::atomic<int64_t> pub_day{INT64_MIN};  // latest day with spend
  std::atomic<int64_t> pub_day_spend{0};
  std::atomic<int64_t> pub_month{INT64_MIN};
  std::atomic<int64_t> pub_month_spend{0};

  mutable Mutex mu;
  std::map<int64_t, int64_t> spend_by_day ABSL_GUARDED_BY(mu);
  std::shared_ptr<const CampaignBudget> settings;  // atomic_load/atomic_store only

  void SetSettings(const CampaignBudget& budget) {
    std::atomic_store(&settings, std::make_shared<const CampaignBudget>(budget));
    settings_gen.fetch_add(1);
  }

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
    while (spend_by_day.begin()->first < latest - kKeepDays)
      spend_by_day.erase(spend_by_day.begin());
    seq.fetch_add(1);  // odd: publishing
    pub_day.store(latest);
    pub_day_spend.store(spend_by_day.rbegin()->second);
    pub_month.store(MonthIndex(latest));
    pub_month_spend.store(MonthSpend(latest));
    seq.fetch_add(1);  // even: stable
  }

  Counters ReadCounters() const {
    Counters c;
    while (true) {
      const uint64_t s1 = seq.load();
      if (s1 & 1) continue;
      c.day = pub_day.load();
      c.day_spend = pub_day_spend.load();
      c.month = pub_month.load();
      c.month_spend = pub_month_spend.load();
      if (seq.load() == s1) return c;
    }
  }

  // Spend today and this month for local day `day` (month index `month`) at a reader's `now`.
  std::pair<int64_t, int64_t> SpendFor(int64_t day, int64_t month) const {
    const Counters c = ReadCounters();
    if (c.day > day) {
      // The clock is behind the latest charge (a simulation rewinding time): read the history.
      ReaderMutexLock lock(&mu);
      return {DaySpend(day), MonthSpend(day)};
    }
    return {c.day == day ? c.day_spend : 0, c.month == month ? c.month_spend : 0};
  }

  // Recomputes the local day at `now`; false without settings. Publishes it if no other reader is.
  bool RefreshDay(absl::Time now, LocalDay* d) const {
    const int64_t gen = settings_gen.load();  // before the settings: a newer tag forces a refresh
    const std::shared_ptr<const CampaignBudget> s = std::atomic_load(&settings);
    if (s == nullptr) return false;
    const absl::CivilDay civil = absl::ToCivilDay(now, s->time_zone);
    const absl::Time start = absl::FromCivil(civil, s->time_zone);
    const absl::Time end = absl::FromCivil(civil + 1, s->time_zone);
    d->settings_gen = gen;
    d->day = civil - kEpochDay;
    d->month = static_cast<int32_t>(MonthIndex(d->day));
    d->day_of_month = civil.day();
    d->start_ns = absl::ToUnixNanos(start);
    d->end_ns = absl::ToUnixNanos(end);
    // [start, end) is the local day except where local midnight repeats (clocks set back across
    // it): instants between the two midnights may be the previous day, so the cache starts at the
    // second one and readers before it recompute.
    const absl::TimeZone::TimeInfo midnight = s->time_zone.At(absl::CivilSecond(civil));
    d->valid_from_ns = midnight.kind == absl::TimeZone::TimeInfo::REPEATED
                           ? absl::ToUnixNanos(midnight.post)
                           : d->start_ns;
    d->daily_budget_micros = s->daily_budget_micros;
    d->policy = static_cast<int32_t>(s->policy);
    d->pacing = s->pacing ? 1 : 0;
    day_cache.TryStore(*d);
    return true;
  }

  ServingBudget Read(absl::Time now) const override {
    const int64_t now_ns = absl::ToUnixNanos(now);
    LocalDay d;
    if (!day_cache.TryLoad(&d) || d.settings_gen != settings_gen.load() ||
        now_ns < d.valid_from_ns || now_ns >= d.end_ns) {
      if (!RefreshDay(now, &d)) return {};
    }
    const auto [spent_today, spent_month] = SpendFor(d.day, d.month);
    return {
        .known = true,
        .day = d.day,
        .day_start = absl::FromUnixNanos(d.start_ns),
        .day_end = absl::FromUnixNanos(d.end_ns),
        .spent_today_micros = spent_today,
        .remaining_micros = Remaining(static_cast<BudgetPolicy>(d.policy), d.daily_budget_micros,
                                      d.day_of_month, spent_today, spent_month),
        .daily_budget_micros = d.daily_budget_micros,
        .pacing = d.pacing != 0};
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
  FindOrCreate(budget.campaign_id)->SetSettings(budget);
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
  for (const CampaignBudget& b : budgets) Find(b.campaign_id)->SetSettings(b);
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
  std::tie(v.spent_today_micros, v.spent_month_micros) = c->SpendFor(v.day, MonthIndex(v.day));
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

void InMemoryBudgetStore::ObserveSpend(absl::string_view campaign_id, int64_t day,
                                       int64_t total_micros) {
  auto c = FindOrCreate(campaign_id);
  MutexLock lock(&c->mu);
  const int64_t below = total_micros - c->DaySpend(day);
  if (below > 0) c->Add(day, below);
}

std::shared_ptr<const BudgetHandle> InMemoryBudgetStore::Resolve(
    absl::string_view campaign_id) const {
  if (std::shared_ptr<Campaign> c = Find(campaign_id)) return c;
  return BudgetStore::Resolve(campaign_id);
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
