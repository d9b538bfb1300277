#include "billing/records.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "billing/bytes.h"

namespace gavel::billing {
namespace {
// 3: 2 plus placement, target id, search term; 2 (still read): 1 plus ad group, product,
// advertiser; 1 (still read).
constexpr uint8_t kRecordVersion = 3;
}  // namespace

absl::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kCharged:
      return "CHARGED";
    case Outcome::kRecorded:
      return "RECORDED";
    case Outcome::kDuplicate:
      return "DUPLICATE";
    case Outcome::kInvalid:
      return "INVALID";
    case Outcome::kBudgetExhausted:
      return "BUDGET_EXHAUSTED";
  }
  return "?";
}

absl::string_view InvalidReasonName(InvalidReason r) {
  switch (r) {
    case InvalidReason::kNone:
      return "NONE";
    case InvalidReason::kForged:
      return "FORGED";
    case InvalidReason::kExpired:
      return "EXPIRED";
    case InvalidReason::kUnknownKey:
      return "UNKNOWN_KEY";
    case InvalidReason::kWrongEventType:
      return "WRONG_EVENT_TYPE";
    case InvalidReason::kRepeatClick:
      return "REPEAT_CLICK";
    case InvalidReason::kRateLimited:
      return "RATE_LIMITED";
    case InvalidReason::kUserMismatch:
      return "USER_MISMATCH";
  }
  return "?";
}

std::string EncodeEventRecord(const EventRecord& r) {
  std::string out;
  out.reserve(96 + r.client_event_id.size() + r.campaign_id.size() + r.ad_id.size());
  out.push_back(static_cast<char>(kRecordVersion));
  out.push_back(static_cast<char>(r.type));
  out.push_back(static_cast<char>(r.outcome));
  out.push_back(static_cast<char>(r.reason));
  internal::PutBytes(&out, r.client_event_id);
  internal::PutSigned(&out, absl::ToUnixMicros(r.time));
  internal::PutSigned(&out, r.charged_micros);
  internal::PutSigned(&out, r.price_micros);
  internal::PutBytes(&out, r.campaign_id);
  internal::PutBytes(&out, r.ad_id);
  internal::PutFixed64(&out, r.user_hash);
  internal::PutBytes(&out, r.token_id);
  internal::PutSigned(&out, absl::ToUnixMicros(r.token_expires_at));
  internal::PutSigned(&out, r.day);
  internal::PutBytes(&out, r.ad_group_id);
  internal::PutBytes(&out, r.product_id);
  internal::PutBytes(&out, r.advertiser_id);
  internal::PutVarint(&out, static_cast<uint32_t>(r.placement));
  internal::PutBytes(&out, r.target_id);
  internal::PutBytes(&out, r.search_term);
  return out;
}

absl::StatusOr<EventRecord> DecodeEventRecord(absl::string_view payload) {
  internal::ByteReader in(payload);
  EventRecord r;
  uint8_t version, type, outcome, reason;
  int64_t time, expires;
  uint64_t placement = 0;
  if (!in.Byte(&version) || version < 1 || version > kRecordVersion || !in.Byte(&type) || type < 1 || type > 2 ||
      !in.Byte(&outcome) || outcome < 1 || outcome > 5 || !in.Byte(&reason) || reason > 7 ||
      !in.Bytes(&r.client_event_id) || !in.Signed(&time) || !in.Signed(&r.charged_micros) ||
      !in.Signed(&r.price_micros) || !in.Bytes(&r.campaign_id) || !in.Bytes(&r.ad_id) ||
      !in.Fixed64(&r.user_hash) || !in.Bytes(&r.token_id) || !in.Signed(&expires) ||
      !in.Signed(&r.day) ||
      (version >= 2 &&
       (!in.Bytes(&r.ad_group_id) || !in.Bytes(&r.product_id) || !in.Bytes(&r.advertiser_id))) ||
      (version >= 3 && (!in.Varint(&placement) || placement > INT32_MAX ||
                        !in.Bytes(&r.target_id) || !in.Bytes(&r.search_term))) ||
      !in.empty()) {
    return absl::DataLossError("malformed billing record in the ledger");
  }
  r.type = static_cast<TokenType>(type);
  r.placement = static_cast<int32_t>(placement);
  r.outcome = static_cast<Outcome>(outcome);
  r.reason = static_cast<InvalidReason>(reason);
  r.time = absl::FromUnixMicros(time);
  r.token_expires_at = absl::FromUnixMicros(expires);
  return r;
}

std::string FormatEventRecord(const EventRecord& r) {
  return absl::StrFormat(
      "time=%s event_id=%s type=%s outcome=%s reason=%s charged_micros=%d price_micros=%d "
      "campaign=%s ad=%s product=%s user_hash=%016x token_id=%s day=%d",
      absl::FormatTime(absl::RFC3339_full, r.time, absl::UTCTimeZone()), r.client_event_id,
      r.type == TokenType::kClick ? "CLICK" : "IMPRESSION", OutcomeName(r.outcome),
      InvalidReasonName(r.reason), r.charged_micros, r.price_micros, r.campaign_id, r.ad_id,
      r.product_id, r.user_hash, absl::BytesToHexString(r.token_id), r.day);
}

}  // namespace gavel::billing
