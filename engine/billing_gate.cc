#include "engine/billing_gate.h"

#include <utility>

namespace gavel::engine {
namespace {

ServeVerdict FromEligibility(billing::Eligibility e) {
  switch (e) {
    case billing::Eligibility::kBudgetExhausted:
      return ServeVerdict::kBudgetExhausted;
    case billing::Eligibility::kPacedOut:
      return ServeVerdict::kPacedOut;
    case billing::Eligibility::kSpendUnknown:
      return ServeVerdict::kSpendUnknown;
    case billing::Eligibility::kEligible:
    case billing::Eligibility::kUnknownCampaign:
      return ServeVerdict::kServe;
  }
  return ServeVerdict::kServe;
}

// One snapshot's campaigns, resolved: handles[i] is campaign i's.
class BillingCatalogGate final : public CatalogGate {
 public:
  BillingCatalogGate(billing::Billing* billing, std::vector<billing::CampaignHandle> handles)
      : billing_(billing), handles_(std::move(handles)) {}

  ServeVerdict Check(int32_t campaign, int64_t max_price_micros, absl::Time /*now*/,
                     absl::BitGenRef gen) const override {
    return FromEligibility(billing_->EligibleToServe(handles_[campaign], gen, max_price_micros));
  }

 private:
  billing::Billing* const billing_;
  const std::vector<billing::CampaignHandle> handles_;
};

}  // namespace

ServeVerdict BillingGate::Check(absl::string_view campaign_id, int64_t max_price_micros,
                                absl::Time /*now*/, absl::BitGenRef gen) {
  // Billing reads the same injected clock the engine does.
  return FromEligibility(billing_->EligibleToServe(campaign_id, gen, max_price_micros));
}

std::shared_ptr<const CatalogGate> BillingGate::ForCatalog(
    const targeting::CatalogSnapshot& catalog) {
  std::vector<billing::CampaignHandle> handles;
  handles.reserve(catalog.catalog().campaigns.size());
  for (const catalog::Campaign& c : catalog.catalog().campaigns) {
    handles.push_back(billing_->Resolve(c.id));
  }
  return std::make_shared<BillingCatalogGate>(billing_, std::move(handles));
}

std::vector<billing::CampaignBudget> BudgetsFromCatalog(const catalog::Catalog& catalog) {
  std::vector<billing::CampaignBudget> budgets;
  budgets.reserve(catalog.campaigns.size());
  for (const catalog::Campaign& c : catalog.campaigns) {
    budgets.push_back(billing::CampaignBudget{.campaign_id = c.id,
                                              .daily_budget_micros = c.daily_budget_micros,
                                              .policy = c.budget_policy,
                                              .time_zone = c.time_zone,
                                              .pacing = c.pacing});
  }
  return budgets;
}

}  // namespace gavel::engine
