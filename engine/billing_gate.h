// Connects the engine to billing: the ServingGate that asks billing whether a campaign may enter an
// auction (budget left under its policy, not paced out), and the budget settings billing needs from
// each catalog version.
//
//   BillingGate gate(billing.get());
//   billing->UpsertCampaigns(BudgetsFromCatalog(snapshot->catalog()));
//   engine.Publish(...);  // calls gate.ForCatalog(*snapshot): resolves each campaign once
//
// Does not own `billing`; it, and every CatalogGate made here, must not outlive it. Thread-safe.
#ifndef GAVEL_ENGINE_BILLING_GATE_H_
#define GAVEL_ENGINE_BILLING_GATE_H_

#include <vector>

#include "billing/billing.h"
#include "billing/budget.h"
#include "engine/engine.h"
#include "targeting/snapshot.h"

namespace gavel::engine {

class BillingGate final : public ServingGate {
 public:
  explicit BillingGate(billing::Billing* billing) : billing_(billing) {}

  // Campaigns billing does not know (caller-supplied candidates) serve.
  ServeVerdict Check(absl::string_view campaign_id, int64_t max_price_micros, absl::Time now,
                     absl::BitGenRef gen) override;
  // Resolves each of the snapshot's campaigns with billing (Billing::Resolve); its Check gives
  // Check's verdicts with no lookup by id. Campaigns added to billing later are resolved by the
  // snapshot that brings them.
  std::shared_ptr<const CatalogGate> ForCatalog(const targeting::CatalogSnapshot& catalog) override;

 private:
  billing::Billing* const billing_;
};

// Each campaign's daily budget, policy, time zone and pacing switch.
std::vector<billing::CampaignBudget> BudgetsFromCatalog(const catalog::Catalog& catalog);

}  // namespace gavel::engine

#endif  // GAVEL_ENGINE_BILLING_GATE_H_
