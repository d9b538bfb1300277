#include "billing/dimensions.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace gavel::billing {
namespace {

// By catalog::Placement, as the metrics and the training log name them.
constexpr absl::string_view kPlacementKeys[] = {"unspecified",  "top_of_search", "rest_of_search",
                                                "product_page", "category_page", "home_page",
                                                "checkout"};

bool IsTerm(absl::string_view key) { return key != kNoneKey && key != kOtherKey; }

void PutCounters(const StatsCounters& c, std::string* out) {
  for (int64_t v :
       {c.impressions, c.clicks, c.invalid_clicks, c.budget_exhausted_clicks, c.spend_micros}) {
    internal::PutSigned(out, v);
  }
}

bool GetCounters(internal::ByteReader* in, StatsCounters* c) {
  return in->Signed(&c->impressions) && in->Signed(&c->clicks) && in->Signed(&c->invalid_clicks) &&
         in->Signed(&c->budget_exhausted_clicks) && in->Signed(&c->spend_micros);
}

}  // namespace

absl::StatusOr<Dimension> DimensionFromInt(int value, absl::string_view field) {
  if (value < 0 || value > static_cast<int>(Dimension::kSearchTerm)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     " must be CAMPAIGN, AD_GROUP, TARGET, PLACEMENT or SEARCH_TERM (0-4), "
                     "got ",
                     value));
  }
  return static_cast<Dimension>(value);
}

absl::string_view RawDimensionKeyView(Dimension d, absl::string_view ad_group_id,
                                      absl::string_view target_id, int32_t placement,
                                      absl::string_view search_term, std::string* scratch) {
  absl::string_view v;
  switch (d) {
    case Dimension::kCampaign:
      return "";
    case Dimension::kAdGroup:
      v = ad_group_id;
      break;
    case Dimension::kTarget:
      v = target_id;
      break;
    case Dimension::kPlacement:
      if (placement >= 0 && placement < static_cast<int32_t>(std::size(kPlacementKeys))) {
        return kPlacementKeys[placement];
      }
      *scratch = absl::StrCat(placement);
      return *scratch;
    case Dimension::kSearchTerm:
      v = search_term;
      break;
  }
  return v.empty() ? kNoneKey : v;
}

std::string RawDimensionKey(Dimension d, absl::string_view ad_group_id, absl::string_view target_id,
                            int32_t placement, absl::string_view search_term) {
  std::string scratch;
  return std::string(
      RawDimensionKeyView(d, ad_group_id, target_id, placement, search_term, &scratch));
}

void DimensionStats::AddLocked(const std::string& campaign_id, int d, int64_t day,
                               absl::string_view key, const StatsCounters& delta) {
  by_campaign_[campaign_id][d][day][key] += delta;
}

void DimensionStats::Add(absl::string_view campaign_id, int64_t day, absl::string_view ad_group_id,
                         absl::string_view target_id, int32_t placement,
                         absl::string_view search_term, const StatsCounters& delta) {
  const std::string campaign(campaign_id);
  MutexLock lock(&mu_);
  std::array<DayKeys, 4>& dims = by_campaign_[campaign];
  for (Dimension d : {Dimension::kAdGroup, Dimension::kTarget, Dimension::kPlacement}) {
    dims[static_cast<int>(d) - 1][day]
        [RawDimensionKey(d, ad_group_id, target_id, placement, search_term)] += delta;
  }
  absl::flat_hash_map<std::string, StatsCounters>& terms =
      dims[static_cast<int>(Dimension::kSearchTerm) - 1][day];
  const std::string raw =
      RawDimensionKey(Dimension::kSearchTerm, ad_group_id, target_id, placement, search_term);
  auto it = terms.find(raw);
  if (it != terms.end()) {
    it->second += delta;
    return;
  }
  // The cap counts real terms only: (none) and (other) do not take a term's place.
  size_t kept = terms.size() - terms.count(kNoneKey) - terms.count(kOtherKey);
  const bool admit = !IsTerm(raw) || kept < static_cast<size_t>(kMaxSearchTermsPerDay);
  terms[admit ? raw : std::string(kOtherKey)] += delta;
}

void DimensionStats::AddCounted(absl::string_view campaign_id, Dimension d, int64_t day,
                                absl::string_view key, const StatsCounters& delta) {
  if (d == Dimension::kCampaign) return;
  MutexLock lock(&mu_);
  AddLocked(std::string(campaign_id), static_cast<int>(d) - 1, day, key, delta);
}

std::string DimensionStats::CountedKey(absl::string_view campaign_id, Dimension d, int64_t day,
                                       absl::string_view raw) const {
  if (d != Dimension::kSearchTerm || !IsTerm(raw)) return std::string(raw);
  ReaderMutexLock lock(&mu_);
  auto c = by_campaign_.find(campaign_id);
  if (c == by_campaign_.end()) return std::string(kOtherKey);
  const DayKeys& days = c->second[static_cast<int>(d) - 1];
  auto it = days.find(day);
  if (it == days.end() || !it->second.contains(raw)) return std::string(kOtherKey);
  return std::string(raw);
}

std::map<std::pair<int64_t, std::string>, StatsCounters> DimensionStats::Rows(
    absl::string_view campaign_id, Dimension d, int64_t from_day, int64_t to_day,
    int64_t retention_from_day) const {
  std::map<std::pair<int64_t, std::string>, StatsCounters> out;
  if (d == Dimension::kCampaign) return out;
  ReaderMutexLock lock(&mu_);
  auto c = by_campaign_.find(campaign_id);
  if (c == by_campaign_.end()) return out;
  const DayKeys& days = c->second[static_cast<int>(d) - 1];
  for (auto it = days.lower_bound(from_day); it != days.end() && it->first <= to_day; ++it) {
    for (const auto& [key, counters] : it->second) {
      const bool fold = d == Dimension::kSearchTerm &&
                        (it->first < retention_from_day || (IsTerm(key) && counters.clicks == 0));
      out[{it->first, fold ? std::string(kOtherKey) : key}] += counters;
    }
  }
  return out;
}

void DimensionStats::Serialize(int64_t prune_before_day, std::string* out) const {
  ReaderMutexLock lock(&mu_);
  internal::PutVarint(out, by_campaign_.size());
  for (const auto& [campaign, dims] : by_campaign_) {
    internal::PutBytes(out, campaign);
    for (int d = 0; d < 4; ++d) {
      const bool terms = d == static_cast<int>(Dimension::kSearchTerm) - 1;
      internal::PutVarint(out, dims[d].size());
      for (const auto& [day, keys] : dims[d]) {
        internal::PutSigned(out, day);
        if (terms && day < prune_before_day) {
          StatsCounters all;
          for (const auto& kv : keys) all += kv.second;
          internal::PutVarint(out, 1);
          internal::PutBytes(out, kOtherKey);
          PutCounters(all, out);
          continue;
        }
        internal::PutVarint(out, keys.size());
        for (const auto& [key, counters] : keys) {
          internal::PutBytes(out, key);
          PutCounters(counters, out);
        }
      }
    }
  }
}

bool DimensionStats::Restore(internal::ByteReader* in) {
  MutexLock lock(&mu_);
  uint64_t campaigns;
  if (!in->Varint(&campaigns)) return false;
  for (uint64_t i = 0; i < campaigns; ++i) {
    std::string campaign;
    if (!in->Bytes(&campaign)) return false;
    for (int d = 0; d < 4; ++d) {
      uint64_t days;
      if (!in->Varint(&days)) return false;
      for (uint64_t j = 0; j < days; ++j) {
        int64_t day;
        uint64_t keys;
        if (!in->Signed(&day) || !in->Varint(&keys)) return false;
        for (uint64_t k = 0; k < keys; ++k) {
          std::string key;
          StatsCounters c;
          if (!in->Bytes(&key) || !GetCounters(in, &c)) return false;
          AddLocked(campaign, d, day, key, c);
        }
      }
    }
  }
  return true;
}

DimensionSalesAccumulator::DimensionSalesAccumulator(const DimensionStats& stats,
                                                     std::string campaign_id, Dimension d,
                                                     int64_t from_day, int64_t to_day,
                                                     int64_t retention_from_day,
                                                     OrderNumbers* order_numbers)
    : stats_(stats),
      campaign_id_(std::move(campaign_id)),
      dimension_(d),
      from_day_(from_day),
      to_day_(to_day),
      retention_from_day_(retention_from_day),
      order_numbers_(order_numbers != nullptr ? order_numbers : &own_numbers_) {}

void DimensionSalesAccumulator::Add(const AttributedClick& click, const PurchaseLine& line,
                                    SaleKind kind) {
  if (click.campaign_id != campaign_id_ || click.day < from_day_ || click.day > to_day_) return;
  std::string scratch;
  const absl::string_view raw = RawDimensionKeyView(dimension_, click.ad_group_id, click.target_id,
                                                    click.placement, click.search_term, &scratch);
  auto by_day = row_of_raw_.find(raw);
  if (by_day == row_of_raw_.end()) by_day = row_of_raw_.try_emplace(std::string(raw)).first;
  Row*& row = by_day->second[click.day];
  if (row == nullptr) {
    std::string key = dimension_ == Dimension::kSearchTerm && click.day < retention_from_day_
                          ? std::string(kOtherKey)
                          : stats_.CountedKey(campaign_id_, dimension_, click.day, raw);
    row = &rows_[{click.day, std::move(key)}];
  }
  (kind == SaleKind::kSameProduct ? row->sales.same_product_sales_micros
                                  : row->sales.halo_sales_micros) += line.sales_micros();
  if (line.quantity > 0) row->orders.push_back(order_numbers_->Of(line.order_id));
}

void DimensionSalesAccumulator::Finish(SalesReport* report) && {
  const absl::CivilDay epoch(1970, 1, 1);
  std::map<std::pair<int64_t, std::string>, StatsCounters> delivery =
      stats_.Rows(campaign_id_, dimension_, from_day_, to_day_, retention_from_day_);
  for (const auto& kv : rows_) delivery.try_emplace(kv.first);  // sales without delivery rows
  std::map<std::string, SalesDay> totals;
  std::map<std::string, std::vector<uint32_t>> total_orders;
  report->rows.clear();
  for (const auto& [day_key, counters] : delivery) {
    SalesDay row{.date = epoch + day_key.first, .delivery = counters, .key = day_key.second};
    if (auto s = rows_.find(day_key); s != rows_.end()) {
      row.sales = s->second.sales;
      std::vector<uint32_t>& orders = s->second.orders;
      std::vector<uint32_t>& key_orders = total_orders[day_key.second];
      key_orders.insert(key_orders.end(), orders.begin(), orders.end());
      row.sales.orders = CountDistinct(&orders);
    }
    SalesDay& t = totals[day_key.second];
    t.key = day_key.second;
    t.date = epoch + from_day_;
    t.delivery += row.delivery;
    t.sales.same_product_sales_micros += row.sales.same_product_sales_micros;
    t.sales.halo_sales_micros += row.sales.halo_sales_micros;
    report->rows.push_back(std::move(row));
  }
  report->key_totals.clear();
  for (auto& [key, t] : totals) {
    t.sales.orders = CountDistinct(&total_orders[key]);
    report->key_totals.push_back(std::move(t));
  }
}

}  // namespace gavel::billing
