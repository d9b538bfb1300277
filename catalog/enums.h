// The catalog's enums, one definition each for every module: targeting scores with them, billing
// applies BudgetPolicy, the converters map them to and from gavel.v1. They mirror the gavel.v1
// enums value for value (UNSPECIFIED = 0), so a static_cast converts either way.
//
//   catalog::Campaign c{.budget_policy = catalog::BudgetPolicy::kDaily2xMonthlyCap};
//
// Header-only; no state.
#ifndef GAVEL_CATALOG_ENUMS_H_
#define GAVEL_CATALOG_ENUMS_H_

namespace gavel::catalog {

enum class Placement {
  kUnspecified,
  kTopOfSearch,
  kRestOfSearch,
  kProductPage,
  kCategoryPage,
  kHomePage,
  kCheckout
};
inline constexpr int kNumPlacements = 7;
enum class Device { kUnspecified, kDesktop, kMobileWeb, kMobileApp, kTablet };
enum class MatchType { kUnspecified, kExact, kPhrase, kBroad };
enum class AutoTargetGroup { kUnspecified, kCloseMatch, kLooseMatch, kSubstitutes, kComplements };
inline constexpr int kNumAutoTargetGroups = 5;
// UNSPECIFIED is served as ENABLED.
enum class EntityState { kUnspecified, kEnabled, kPaused, kArchived };
// How a campaign's daily budget caps its spend (docs/billing.md). UNSPECIFIED is applied as HARD.
enum class BudgetPolicy {
  kUnspecified,
  // Spend today <= daily budget. A click that would cross it is not charged (BUDGET_EXHAUSTED).
  kHard,
  // Spend today <= 2 x daily; spend this calendar month <= 30.4 x daily (rounded down).
  kDaily2xMonthlyCap,
  // Spend month-to-date <= daily x day-of-month (today included); single days may vary.
  kMonthlyAverage,
};
enum class BiddingStrategy { kUnspecified, kFixed, kDynamicDownOnly, kDynamicUpAndDown };

}  // namespace gavel::catalog

#endif  // GAVEL_CATALOG_ENUMS_H_
