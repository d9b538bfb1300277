#include "engine/billing_gate.h"

namespace gavel::engine {

ServeVerdict BillingGate::Check(absl::string_view campaign_id, int64_t max_price_micros,
                                absl::Time /*now*/, absl::BitGenRef gen) {
  // Billing reads the same injected clock the engine does.
  switch (billing_->EligibleToServe(campaign_id, gen, max_price_micros)) {
    case billing::Eligibility::kBudgetExhausted:
      return ServeVerdict::kBudgetExhausted;
    case billing::Eligibility::kPacedOut:
      return ServeVerdict::kPacedOut;
    case billing::Eligibility::kEligible:
    case billing::Eligibility::kUnknownCampaign:
      return ServeVerdict::kServe;
  }
  return ServeVerdict::kServe;
}

std::vector<billing::CampaignBudget> BudgetsFromCatalog(const targeting::Catalog& catalog) {
  std::vector<billing::CampaignBudget> budgets;
  budgets.reserve(catalog.campaigns.size());
  for (const targeting::Campaign& c : catalog.campaigns) {
    billing::BudgetPolicy policy = billing::BudgetPolicy::kHard;
    if (c.budget_policy == targeting::BudgetPolicy::kDaily2xMonthlyCap) {
      policy = billing::BudgetPolicy::kDaily2xMonthlyCap;
    } else if (c.budget_policy == targeting::BudgetPolicy::kMonthlyAverage) {
      policy = billing::BudgetPolicy::kMonthlyAverage;
    }
    budgets.push_back(billing::CampaignBudget{.campaign_id = c.id,
                                              .daily_budget_micros = c.daily_budget_micros,
                                              .policy = policy,
                                              .time_zone = c.time_zone,
                                              .pacing = c.pacing});
  }
  return budgets;
}

}  // namespace gavel::engine
