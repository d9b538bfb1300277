#include "sim/purchases.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "sim/market.h"

namespace gavel::sim {
namespace {

Distribution DefaultDelay() {
  Distribution d;
  d.set_kind(Distribution::LOG_NORMAL);
  d.set_median(3600);
  d.set_sigma(1);
  return d;
}

}  // namespace

PurchaseFlow::PurchaseFlow(const Scenario& s, const catalog::Catalog& catalog)
    : s_(s), catalog_(catalog) {
  absl::flat_hash_map<std::string, int32_t> advertiser, product;
  for (size_t i = 0; i < catalog.advertisers.size(); ++i) {
    advertiser[catalog.advertisers[i].id] = static_cast<int32_t>(i);
  }
  for (size_t i = 0; i < catalog.products.size(); ++i) {
    product[catalog.products[i].id] = static_cast<int32_t>(i);
  }
  absl::flat_hash_map<std::string, int32_t> campaign_advertiser, group_advertiser;
  for (const catalog::Campaign& c : catalog.campaigns) {
    campaign_advertiser[c.id] = advertiser[c.advertiser_id];
  }
  for (const catalog::AdGroup& g : catalog.ad_groups) {
    group_advertiser[g.id] = campaign_advertiser[g.campaign_id];
  }
  products_.resize(catalog.advertisers.size());
  std::vector<absl::flat_hash_set<int32_t>> seen(catalog.advertisers.size());
  for (const catalog::ProductAd& ad : catalog.product_ads) {
    const int32_t a = group_advertiser[ad.ad_group_id];
    const int32_t p = product[ad.product_id];
    if (seen[a].insert(p).second) products_[a].push_back(p);
  }
  truth_.resize(catalog.advertisers.size());
}

absl::Time PurchaseFlow::Delay(absl::Time click_time, absl::BitGenRef gen) const {
  const Distribution d = s_.conversions().has_purchase_delay_seconds()
                             ? s_.conversions().purchase_delay_seconds()
                             : DefaultDelay();
  const double seconds = std::clamp(Sample(d, gen), 0.0, absl::ToDoubleSeconds(kMaxPurchaseDelay));
  // Whole milliseconds: the time survives any store's timestamp precision unchanged.
  return click_time + absl::Milliseconds(std::llround(seconds * 1000));
}

int64_t PurchaseFlow::Add(absl::Time time, Record r) {
  const int64_t id = static_cast<int64_t>(records_.size());
  records_.push_back(std::move(r));
  caused_.push_back(false);
  queue_.push({.time = time, .id = id});
  last_pending_ = std::max(last_pending_, time);
  return id;
}

int64_t PurchaseFlow::AddCaused(absl::Time click_time, const std::string& user_id,
                                int32_t advertiser, const std::string& product_id,
                                int64_t sales_micros, absl::BitGenRef gen) {
  TrueSales& t = truth_[advertiser];
  ++t.caused_orders;
  t.caused_sales_micros += sales_micros;
  return Add(Delay(click_time, gen), {.user_id = user_id,
                                      .product_id = product_id,
                                      .advertiser = advertiser,
                                      .sales_micros = sales_micros});
}

void PurchaseFlow::MarkCharged(int64_t id) {
  if (caused_[id]) return;
  caused_[id] = true;
  TrueSales& t = truth_[records_[id].advertiser];
  ++t.caused_charged_orders;
  t.caused_charged_sales_micros += records_[id].sales_micros;
}

void PurchaseFlow::MaybeOrganic(absl::Time click_time, const std::string& user_id,
                                int32_t advertiser, absl::BitGenRef gen) {
  const double p = s_.conversions().organic_probability();
  if (p <= 0 || products_[advertiser].empty() || !absl::Bernoulli(gen, p)) return;
  const std::vector<int32_t>& mine = products_[advertiser];
  const catalog::Product& product =
      catalog_.products[mine[absl::Uniform<size_t>(gen, 0, mine.size())]];
  const double multiple = s_.conversions().has_order_value_multiplier()
                              ? Sample(s_.conversions().order_value_multiplier(), gen)
                              : 1.0;
  const int64_t sales =
      std::clamp<int64_t>(std::llround(static_cast<double>(product.price_micros) * multiple), 0,
                          billing::kMaxUnitPriceMicros);
  TrueSales& t = truth_[advertiser];
  ++t.organic_orders;
  t.organic_sales_micros += sales;
  Add(Delay(click_time, gen), {.user_id = user_id,
                               .product_id = product.id,
                               .advertiser = advertiser,
                               .sales_micros = sales});
}

absl::Status PurchaseFlow::IngestDue(absl::Time now, billing::Billing* billing) {
  std::vector<billing::Purchase> batch;
  auto send = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    absl::StatusOr<std::vector<billing::PurchaseOutcome>> out = billing->IngestPurchases(batch);
    if (!out.ok()) return out.status();
    for (billing::PurchaseOutcome o : *out) {
      if (o != billing::PurchaseOutcome::kRecorded) {
        return absl::InternalError(
            "a simulated purchase line was not recorded (duplicate order id)");
      }
    }
    sent_ += static_cast<int64_t>(batch.size());
    batch.clear();
    return absl::OkStatus();
  };
  while (!queue_.empty() && queue_.top().time <= now) {
    const Pending p = queue_.top();
    queue_.pop();
    const Record& r = records_[p.id];
    batch.push_back({.kind = billing::PurchaseKind::kSale,
                     .order_id = absl::StrCat("sim-o-", p.id),
                     .user_id = r.user_id,
                     .time = p.time,
                     .line_items = {{.line = 1,
                                     .product_id = r.product_id,
                                     .quantity = 1,
                                     .price_micros = r.sales_micros,
                                     .currency = "USD"}}});
    if (batch.size() == static_cast<size_t>(billing::kMaxPurchasesPerRequest)) {
      if (absl::Status st = send(); !st.ok()) return st;
    }
  }
  if (queue_.empty()) last_pending_ = absl::InfinitePast();
  return send();
}

absl::StatusOr<SalesTotals> CampaignSales(const billing::Billing& billing,
                                          absl::string_view campaign_id, absl::CivilDay from,
                                          absl::CivilDay to,
                                          const billing::AdvertisesFn& advertises) {
  absl::StatusOr<billing::SalesReport> r =
      billing.Sales(campaign_id, from, to, billing::kDefaultAttributionWindowDays, advertises);
  if (!r.ok()) return r.status();
  return SalesTotals{.spend_micros = r->total.delivery.spend_micros,
                     .sales_micros = r->total.sales.sales_micros(),
                     .orders = r->total.sales.orders};
}

absl::StatusOr<std::vector<SalesTotals>> AdvertiserSales(const billing::Billing& billing,
                                                         const catalog::Catalog& catalog,
                                                         absl::CivilDay from, absl::CivilDay to,
                                                         const billing::AdvertisesFn& advertises) {
  absl::flat_hash_map<std::string, size_t> advertiser;
  for (size_t i = 0; i < catalog.advertisers.size(); ++i) {
    advertiser[catalog.advertisers[i].id] = i;
  }
  std::vector<SalesTotals> out(catalog.advertisers.size());
  for (const catalog::Campaign& c : catalog.campaigns) {
    absl::StatusOr<SalesTotals> t = CampaignSales(billing, c.id, from, to, advertises);
    if (!t.ok()) return t.status();
    out[advertiser[c.advertiser_id]] += *t;
  }
  return out;
}

billing::AdvertisesFn AdvertisesIn(const catalog::Catalog& catalog) {
  absl::flat_hash_map<std::string, std::string> campaign_advertiser, group_advertiser;
  for (const catalog::Campaign& c : catalog.campaigns) campaign_advertiser[c.id] = c.advertiser_id;
  for (const catalog::AdGroup& g : catalog.ad_groups) {
    group_advertiser[g.id] = campaign_advertiser[g.campaign_id];
  }
  auto pairs = std::make_shared<absl::flat_hash_set<std::pair<std::string, std::string>>>();
  for (const catalog::ProductAd& ad : catalog.product_ads) {
    pairs->insert({group_advertiser[ad.ad_group_id], ad.product_id});
  }
  return [pairs](absl::string_view advertiser_id, absl::string_view product_id) {
    return pairs->contains(std::make_pair(std::string(advertiser_id), std::string(product_id)));
  };
}

}  // namespace gavel::sim
