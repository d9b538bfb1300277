// Every request limit the server enforces, in one place. docs/api.md lists the same numbers; a
// request past any of them is answered INVALID_ARGUMENT naming the field (RESOURCE_EXHAUSTED for the
// message size, which gRPC checks before the handler runs).
#ifndef GAVEL_SERVER_LIMITS_H_
#define GAVEL_SERVER_LIMITS_H_

#include <cstdint>

namespace gavel::server {

inline constexpr int kMaxMessageBytes = 4 << 20;     // Any request or response.
inline constexpr int kMaxIdBytes = 128;               // Every id, request_id and client_event_id.
inline constexpr int kMinSlots = 1;
inline constexpr int kMaxSlots = 40;
inline constexpr int kMaxQueryBytes = 512;
inline constexpr int kMaxSegments = 64;
inline constexpr int kMaxSegmentBytes = 64;
inline constexpr int kMaxPageCategories = 16;
inline constexpr int kMaxCartProducts = 50;
inline constexpr int kMaxCallerCandidates = 1000;
inline constexpr int64_t kMaxBidMicros = 1'000'000'000;  // 1,000 currency units per click.
inline constexpr int kMaxEventsPerBatch = 1000;
inline constexpr int kMaxTokenBytes = 1024;
inline constexpr int kMaxListPageSize = 1000;
inline constexpr int kDefaultListPageSize = 100;
inline constexpr int kMaxStatsDays = 366;

}  // namespace gavel::server

#endif  // GAVEL_SERVER_LIMITS_H_
