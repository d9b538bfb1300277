// Domain enums shared by the catalog, the index, the CTR model and retrieval. They mirror the
// gavel.v1 enums value for value (UNSPECIFIED = 0), so a static_cast converts either way.
// Header-only; no state.
#ifndef GAVEL_TARGETING_ENUMS_H_
#define GAVEL_TARGETING_ENUMS_H_

namespace gavel::targeting {

// Enums mirror gavel.v1 value for value, so a static_cast converts between them.
enum class Placement { kUnspecified, kTopOfSearch, kRestOfSearch, kProductPage, kCategoryPage,
                       kHomePage, kCheckout };
inline constexpr int kNumPlacements = 7;
enum class Device { kUnspecified, kDesktop, kMobileWeb, kMobileApp, kTablet };
enum class MatchType { kUnspecified, kExact, kPhrase, kBroad };
enum class AutoTargetGroup { kUnspecified, kCloseMatch, kLooseMatch, kSubstitutes, kComplements };
inline constexpr int kNumAutoTargetGroups = 5;
// UNSPECIFIED is served as ENABLED.
enum class EntityState { kUnspecified, kEnabled, kPaused, kArchived };
enum class BudgetPolicy { kUnspecified, kHard, kDaily2xMonthlyCap, kMonthlyAverage };
enum class BiddingStrategy { kUnspecified, kFixed, kDynamicDownOnly, kDynamicUpAndDown };

}  // namespace gavel::targeting

#endif  // GAVEL_TARGETING_ENUMS_H_
