// Shoppers' purchases in the simulator, sent through Gavel's own purchase path
// (billing::Billing::IngestPurchases, what EventService.ReportPurchases calls), with the ground
// truth Gavel cannot see: which purchases an ad click really caused.
//
//   PurchaseFlow flow(scenario, catalog);
//   int64_t id = flow.AddCaused(click_time, "u-17", advertiser, "p-3", 25'000'000, gen);
//   flow.MarkCharged(id);                               // billing charged that click
//   flow.MaybeOrganic(click_time, "u-17", advertiser, gen);
//   absl::Status st = flow.IngestDue(clock.Now(), billing);   // purchases due by now
//   std::vector<SalesTotals> gavel = *AdvertiserSales(*billing, catalog, first, last, advertises);
//
// Each purchase is one order of one line (quantity 1, unit price = the order value, currency USD)
// for the shopper's user id as sent in auction requests, at its simulated purchase time: the
// click's time plus a delay drawn from conversions.purchase_delay_seconds (capped at 6 days, so
// inside the 7-day attribution window). docs/simulator.md, "Purchases and attribution".
//
// Deterministic: draws only from the generator passed in, in call order. Thread-compatible.
#ifndef GAVEL_SIM_PURCHASES_H_
#define GAVEL_SIM_PURCHASES_H_

#include <cstdint>
#include <queue>
#include <string>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "billing/billing.h"
#include "catalog/model.h"
#include "sim/scenario.pb.h"

namespace gavel::sim {

// The longest purchase delay: a day inside the shortest window Gavel's reports default to (7).
inline constexpr absl::Duration kMaxPurchaseDelay = absl::Hours(6 * 24);

// The ground truth per advertiser (catalog order).
struct TrueSales {
  int64_t caused_orders = 0;  // purchases caused by a click, charged or not
  int64_t caused_sales_micros = 0;
  // ... of which caused by a click billing charged: what spend truly bought.
  int64_t caused_charged_orders = 0;
  int64_t caused_charged_sales_micros = 0;
  int64_t organic_orders = 0;  // purchases no ad caused (conversions.organic_probability)
  int64_t organic_sales_micros = 0;
};

class PurchaseFlow {
 public:
  // `catalog` (not owned) must outlive the flow; its advertisers and product ads fix the
  // advertiser indexes and each advertiser's products (for organic purchases).
  PurchaseFlow(const Scenario& s, const catalog::Catalog& catalog);

  // A purchase the click at `click_time` caused; returns its id for MarkCharged.
  int64_t AddCaused(absl::Time click_time, const std::string& user_id, int32_t advertiser,
                    const std::string& product_id, int64_t sales_micros, absl::BitGenRef gen);
  // The click behind purchase `id` was charged.
  void MarkCharged(int64_t id);
  // With probability organic_probability, a purchase the click did not cause: a product of
  // `advertiser` drawn uniformly, at price x the order value multiplier, after a delay.
  void MaybeOrganic(absl::Time click_time, const std::string& user_id, int32_t advertiser,
                    absl::BitGenRef gen);

  // Sends every purchase with time <= now to billing, oldest first, in batches of at most
  // billing::kMaxPurchasesPerRequest. Billing's errors; INTERNAL if a line is not recorded.
  absl::Status IngestDue(absl::Time now, billing::Billing* billing);
  // The time of the latest purchase not yet sent (InfinitePast if none).
  absl::Time LastPending() const { return last_pending_; }

  const std::vector<TrueSales>& truth() const { return truth_; }
  int64_t purchases_sent() const { return sent_; }

 private:
  struct Pending {
    absl::Time time;
    int64_t id = 0;
    bool operator>(const Pending& o) const { return time != o.time ? time > o.time : id > o.id; }
  };
  struct Record {
    std::string user_id, product_id;
    int32_t advertiser = 0;
    int64_t sales_micros = 0;
  };
  absl::Time Delay(absl::Time click_time, absl::BitGenRef gen) const;
  int64_t Add(absl::Time time, Record r);

  const Scenario& s_;
  const catalog::Catalog& catalog_;
  std::vector<std::vector<int32_t>> products_;  // per advertiser: indexes into catalog_.products
  std::vector<Record> records_;                 // by id
  std::vector<bool> caused_;                    // by id
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> queue_;
  absl::Time last_pending_ = absl::InfinitePast();
  std::vector<TrueSales> truth_;
  int64_t sent_ = 0;
};

// Gavel's view of one campaign: billing::Billing::Sales over its local days [from, to] with the
// default 7-day window, the report's totals (what GetSalesReport returns). Billing's errors.
struct SalesTotals {
  int64_t spend_micros = 0, sales_micros = 0, orders = 0;
  SalesTotals& operator+=(const SalesTotals& o) {
    spend_micros += o.spend_micros;
    sales_micros += o.sales_micros;
    orders += o.orders;
    return *this;
  }
};
absl::StatusOr<SalesTotals> CampaignSales(const billing::Billing& billing,
                                          absl::string_view campaign_id, absl::CivilDay from,
                                          absl::CivilDay to,
                                          const billing::AdvertisesFn& advertises);
// CampaignSales summed per advertiser (catalog order) over all the catalog's campaigns.
absl::StatusOr<std::vector<SalesTotals>> AdvertiserSales(const billing::Billing& billing,
                                                         const catalog::Catalog& catalog,
                                                         absl::CivilDay from, absl::CivilDay to,
                                                         const billing::AdvertisesFn& advertises);

// billing::AdvertisesFn over a catalog: whether the advertiser has a product ad for the product.
// The returned function holds its own index (the catalog need not outlive it).
billing::AdvertisesFn AdvertisesIn(const catalog::Catalog& catalog);

}  // namespace gavel::sim

#endif  // GAVEL_SIM_PURCHASES_H_
