// The billing record stored in each ledger entry: one ingested event and its outcome. Replaying
// these records in order rebuilds spend, dedupe state, invalid-click windows and statistics.
// Layout: docs/billing.md. Stateless functions; thread-safe.
//
//   std::string payload = EncodeEventRecord(record);
//   absl::StatusOr<EventRecord> back = DecodeEventRecord(payload);
#ifndef GAVEL_BILLING_RECORDS_H_
#define GAVEL_BILLING_RECORDS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "billing/token.h"

namespace gavel::billing {

// Values match gavel.v1.EventOutcome.
enum class Outcome : uint8_t {
  kCharged = 1,
  kRecorded = 2,
  kDuplicate = 3,
  kInvalid = 4,
  kBudgetExhausted = 5,
};

// Values match gavel.v1.InvalidReason.
enum class InvalidReason : uint8_t {
  kNone = 0,
  kForged = 1,
  kExpired = 2,
  kUnknownKey = 3,
  kWrongEventType = 4,
  kRepeatClick = 5,
  kRateLimited = 6,
  kUserMismatch = 7,
};

absl::string_view OutcomeName(Outcome o);
absl::string_view InvalidReasonName(InvalidReason r);

struct EventRecord {
  std::string client_event_id;
  TokenType type = TokenType::kClick;
  Outcome outcome = Outcome::kInvalid;
  InvalidReason reason = InvalidReason::kNone;
  absl::Time time;             // server time of the decision
  int64_t charged_micros = 0;  // > 0 only for kCharged
  int64_t price_micros = 0;    // the token's price, when its signature verified
  std::string campaign_id;     // empty when the token did not verify (unattributable)
  std::string ad_id;
  // From the token, for click attribution (billing/attribution.h); empty in version-1 records.
  std::string ad_group_id;
  std::string product_id;
  std::string advertiser_id;
  uint64_t user_hash = 0;
  std::string token_id;         // set when this event consumed the token
  absl::Time token_expires_at;  // with token_id
  int64_t day = 0;              // campaign-local day (DayIndex) the event counts for
  // From the token, the report dimensions (docs/billing.md, "Sales"); 0/empty before version 3.
  int32_t placement = 0;
  std::string target_id;
  std::string search_term;
};

// Writes version 3 (version 2 plus placement, target id and search term; version 2 is version 1
// plus ad group, product and advertiser).
std::string EncodeEventRecord(const EventRecord& r);
// Reads versions 1 to 3. kDataLoss if `payload` is not a well-formed record.
absl::StatusOr<EventRecord> DecodeEventRecord(absl::string_view payload);
// One line of text, for ledger_tool and logs.
std::string FormatEventRecord(const EventRecord& r);

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_RECORDS_H_
