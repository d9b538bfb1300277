#include "sim/market.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/random/distributions.h"
#include "catalog/limits.h"
#include "sim/scenario.h"
#include "targeting/synthetic.h"

namespace gavel::sim {
namespace {

Distribution DefaultValue() {
  Distribution d;
  d.set_kind(Distribution::LOG_NORMAL);
  d.set_median(800'000);
  d.set_sigma(0.6);
  return d;
}

}  // namespace

double Sample(const Distribution& d, absl::BitGenRef gen) {
  switch (d.kind()) {
    case Distribution::CONSTANT:
      return d.value();
    case Distribution::UNIFORM:
      return absl::Uniform<double>(gen, d.min(), d.max());
    case Distribution::LOG_NORMAL:
      return d.median() * std::exp(d.sigma() * absl::Gaussian<double>(gen, 0, 1));
  }
  return d.value();
}

Market BuildMarket(const Scenario& s) {
  const CatalogSpec& cs = s.catalog();
  const uint64_t catalog_seed = cs.has_seed() ? cs.seed() : DeriveSeed(s.seed(), Stream::kCatalog);
  std::mt19937_64 catalog_gen(catalog_seed);
  Market m;
  m.catalog =
      targeting::GenerateCatalog({.num_ads = cs.num_ads(),
                                  .ads_per_ad_group = cs.ads_per_ad_group(),
                                  .ad_groups_per_campaign = cs.ad_groups_per_campaign(),
                                  .campaigns_per_advertiser = cs.campaigns_per_advertiser(),
                                  .keywords_per_ad_group = cs.keywords_per_ad_group(),
                                  .zipf_exponent = cs.zipf_exponent(),
                                  .auto_targeting_fraction = cs.auto_targeting_fraction(),
                                  .negative_fraction = cs.negative_fraction(),
                                  .predicate_fraction = cs.predicate_fraction(),
                                  .dynamic_bidding_fraction = cs.dynamic_bidding_fraction()},
                                 catalog_gen);
  catalog::Catalog& c = m.catalog;
  c.rules.max_candidates = cs.max_candidates();
  if (s.auction().has_min_relevance()) c.rules.min_relevance = s.auction().min_relevance();

  std::mt19937_64 values_gen(DeriveSeed(s.seed(), Stream::kValues));
  const Distribution value_dist = s.bidding().has_value_per_click_micros()
                                      ? s.bidding().value_per_click_micros()
                                      : DefaultValue();
  absl::flat_hash_map<std::string, int64_t> group_value, group_bid;
  for (catalog::AdGroup& g : c.ad_groups) {
    const int64_t value = std::clamp<int64_t>(static_cast<int64_t>(Sample(value_dist, values_gen)),
                                              0, catalog::kMaxBidMicros);
    const int64_t bid = std::clamp<int64_t>(
        static_cast<int64_t>(std::floor(static_cast<double>(value) * s.bidding().shading())), 1,
        catalog::kMaxBidMicros);
    group_value[g.id] = value;
    group_bid[g.id] = bid;
    if (s.bidding().keep_catalog_bids()) continue;
    g.default_bid_micros = bid;
    for (catalog::AutoTargetSetting& a : g.auto_targeting) a.bid_micros = 0;
  }
  if (!s.bidding().keep_catalog_bids()) {
    for (catalog::Target& t : c.targets) t.bid_micros = group_bid[t.ad_group_id];
  }
  m.value_micros.reserve(c.product_ads.size());
  for (const catalog::ProductAd& ad : c.product_ads)
    m.value_micros.push_back(group_value[ad.ad_group_id]);

  const Budgets& b = s.budgets();
  for (catalog::Campaign& cmp : c.campaigns) {
    if (!s.bidding().keep_catalog_bids()) cmp.placement_multiplier_percent.fill(0);
    if (b.unlimited()) {
      cmp.daily_budget_micros = 1'000'000'000'000;
    } else {
      const double base = b.has_daily_budget_micros()
                              ? Sample(b.daily_budget_micros(), values_gen)
                              : static_cast<double>(cmp.daily_budget_micros);
      cmp.daily_budget_micros =
          std::clamp<int64_t>(static_cast<int64_t>(base * b.multiplier()), 1, 1'000'000'000'000);
    }
    cmp.pacing = b.pacing();
  }

  std::mt19937_64 conv_gen(DeriveSeed(s.seed(), Stream::kConversions));
  const double spread = s.conversions().advertiser_spread();
  for (size_t i = 0; i < c.advertisers.size(); ++i) {
    const double rate =
        s.conversions().probability() *
        std::exp(spread * absl::Gaussian<double>(conv_gen, 0, 1) - spread * spread / 2);
    m.conversion_rate.push_back(std::min(1.0, rate));
  }
  return m;
}

}  // namespace gavel::sim
