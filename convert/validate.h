// Request validation for the public API: every limit in convert/limits.h, every enum in range.
// Query text (UTF-8, tokens) is checked by the targeting normaliser, which reads it anyway.
// Each function returns OK or INVALID_ARGUMENT whose message names the field and the bad value,
// e.g. "slots must be in [1, 40], got 0". Pure functions; thread-safe.
#ifndef GAVEL_CONVERT_VALIDATE_H_
#define GAVEL_CONVERT_VALIDATE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gavel/v1/auction.pb.h"
#include "gavel/v1/events.pb.h"

namespace gavel::convert {

// 1 to kMaxIdBytes bytes of [A-Za-z0-9._:-]. `field` names it in the error.
absl::Status ValidateId(absl::string_view field, absl::string_view id);

// Also INVALID_ARGUMENT for options.tie_break_seed without options.dry_run.
absl::Status ValidateRunAuctionRequest(const gavel::v1::RunAuctionRequest& request);

absl::Status ValidateReportEventsRequest(const gavel::v1::ReportEventsRequest& request);

}  // namespace gavel::convert

#endif  // GAVEL_CONVERT_VALIDATE_H_
