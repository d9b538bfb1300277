// Every request limit the server enforces, in one place. docs/api.md lists the same numbers; a
// request past any of them is answered INVALID_ARGUMENT naming the field (RESOURCE_EXHAUSTED for
// the message size, which gRPC checks before the handler runs).
#ifndef GAVEL_CONVERT_LIMITS_H_
#define GAVEL_CONVERT_LIMITS_H_

#include <cstdint>

#include "auction/types.h"
#include "billing/sales.h"
#include "billing/token.h"
#include "catalog/limits.h"

namespace gavel::convert {

// Limits whose home is a core module, named here so this file lists every request limit.
using ::gavel::auction::kMaxSlots;       // 40
using ::gavel::billing::kMaxTokenBytes;  // 1,024
// ReportPurchases (billing/sales.h, which validates them).
using ::gavel::billing::kMaxLineNumber;           // 10,000
using ::gavel::billing::kMaxLinesPerPurchase;     // 100
using ::gavel::billing::kMaxLinesPerRequest;      // 1,000
using ::gavel::billing::kMaxPurchaseAge;          // 400 days
using ::gavel::billing::kMaxPurchaseSkew;         // 5 minutes
using ::gavel::billing::kMaxPurchasesPerRequest;  // 100
using ::gavel::billing::kMaxQuantity;             // 10,000 (and -10,000 in a refund)
using ::gavel::billing::kMaxUnitPriceMicros;      // 10^12
using ::gavel::catalog::kMaxBidMicros;   // 1,000 currency units per click
using ::gavel::catalog::kMaxIdBytes;     // every id, request_id and client_event_id: 128 bytes

inline constexpr int kMaxMessageBytes = 4 << 20;  // Any request or response.
inline constexpr int kMinSlots = 1;
inline constexpr int kMaxQueryBytes = 512;
inline constexpr int kMaxSegments = 64;
inline constexpr int kMaxSegmentBytes = 64;
inline constexpr int kMaxPageCategories = 16;
inline constexpr int kMaxCartProducts = 50;
inline constexpr int kMaxCallerCandidates = 1000;
inline constexpr int kMaxEventsPerBatch = 1000;
inline constexpr int kMaxListPageSize = 1000;
inline constexpr int kDefaultListPageSize = 100;
inline constexpr int kMaxStatsDays = 366;

}  // namespace gavel::convert

#endif  // GAVEL_CONVERT_LIMITS_H_
