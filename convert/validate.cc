#include "convert/validate.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "convert/limits.h"

namespace gavel::convert {
namespace {

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

absl::Status CheckCount(absl::string_view field, int count, int max) {
  if (count > max)
    return Invalid(absl::StrFormat("%s has %d entries, at most %d", field, count, max));
  return absl::OkStatus();
}

absl::Status CheckLength(absl::string_view field, absl::string_view value, int max) {
  if (static_cast<int>(value.size()) > max) {
    return Invalid(absl::StrFormat("%s is %d bytes, at most %d", field, value.size(), max));
  }
  return absl::OkStatus();
}

// Optional ids: empty is fine, otherwise the id rules apply.
absl::Status ValidateOptionalId(absl::string_view field, absl::string_view id) {
  return id.empty() ? absl::OkStatus() : ValidateId(field, id);
}

absl::Status ValidateShopper(const gavel::v1::ShopperSignals& s) {
  absl::Status st = CheckLength("shopper.user_id", s.user_id(), kMaxIdBytes);
  if (!st.ok()) return st;
  st = CheckCount("shopper.segments", s.segments_size(), kMaxSegments);
  if (!st.ok()) return st;
  for (int i = 0; i < s.segments_size(); ++i) {
    st = CheckLength(absl::StrCat("shopper.segments[", i, "]"), s.segments(i), kMaxSegmentBytes);
    if (!st.ok()) return st;
  }
  if (!gavel::v1::Device_IsValid(s.device())) {
    return Invalid(absl::StrCat("shopper.device has unknown value ", s.device()));
  }
  if (!s.country().empty() && s.country().size() != 2) {
    return Invalid(absl::StrCat("shopper.country must be an ISO 3166-1 alpha-2 code, got \"",
                                s.country(), "\""));
  }
  st = CheckLength("shopper.region", s.region(), 16);
  if (!st.ok()) return st;
  st = CheckLength("shopper.time_zone", s.time_zone(), 64);
  if (!st.ok()) return st;
  if (s.has_local_hour() && (s.local_hour() < -1 || s.local_hour() > 23)) {
    return Invalid(
        absl::StrCat("shopper.local_hour must be in [0, 23] or -1, got ", s.local_hour()));
  }
  return absl::OkStatus();
}

absl::Status ValidateCandidates(const gavel::v1::RunAuctionRequest& r) {
  absl::Status st = CheckCount("candidates", r.candidates_size(), kMaxCallerCandidates);
  if (!st.ok()) return st;
  absl::flat_hash_set<absl::string_view> seen;
  for (int i = 0; i < r.candidates_size(); ++i) {
    const auto& c = r.candidates(i);
    const std::string at = absl::StrCat("candidates[", i, "]");
    for (const auto& [name, value] :
         {std::pair<const char*, const std::string&>{"candidate_id", c.candidate_id()},
          {"advertiser_id", c.advertiser_id()},
          {"campaign_id", c.campaign_id()},
          {"product_id", c.product_id()}}) {
      st = ValidateId(absl::StrCat(at, ".", name), value);
      if (!st.ok()) return st;
    }
    if (!seen.insert(c.candidate_id()).second) {
      return Invalid(absl::StrCat(at, ".candidate_id \"", c.candidate_id(), "\" is repeated"));
    }
    if (c.bid_micros() <= 0 || c.bid_micros() > kMaxBidMicros) {
      return Invalid(absl::StrCat(at, ".bid_micros must be in [1, ", kMaxBidMicros, "], got ",
                                  c.bid_micros()));
    }
    if (!(c.quality() >= 0.0 && c.quality() <= 1.0)) {  // Also rejects NaN.
      return Invalid(absl::StrCat(
          at, ".quality must be in (0, 1] or 0 to let the server score, got ", c.quality()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return Invalid(absl::StrCat(field, " is required"));
  if (static_cast<int>(id.size()) > kMaxIdBytes) {
    return Invalid(absl::StrFormat("%s is %d bytes, at most %d", field, id.size(), kMaxIdBytes));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (!IsIdChar(id[i])) {
      return Invalid(
          absl::StrFormat("%s has a character outside [A-Za-z0-9._:-] at byte %d", field, i));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRunAuctionRequest(const gavel::v1::RunAuctionRequest& r) {
  absl::Status st = ValidateOptionalId("request_id", r.request_id());
  if (!st.ok()) return st;
  if (r.placement() == gavel::v1::PLACEMENT_UNSPECIFIED) return Invalid("placement is required");
  if (!gavel::v1::Placement_IsValid(r.placement())) {
    return Invalid(absl::StrCat("placement has unknown value ", r.placement()));
  }
  if (r.slots() < kMinSlots || r.slots() > kMaxSlots) {
    return Invalid(
        absl::StrFormat("slots must be in [%d, %d], got %d", kMinSlots, kMaxSlots, r.slots()));
  }
  st = CheckLength("query", r.query(), kMaxQueryBytes);
  if (!st.ok()) return st;
  st = CheckCount("page.category_ids", r.page().category_ids_size(), kMaxPageCategories);
  if (!st.ok()) return st;
  for (int i = 0; i < r.page().category_ids_size(); ++i) {
    st = ValidateId(absl::StrCat("page.category_ids[", i, "]"), r.page().category_ids(i));
    if (!st.ok()) return st;
  }
  st = ValidateOptionalId("page.viewed_product_id", r.page().viewed_product_id());
  if (!st.ok()) return st;
  st = CheckCount("page.cart_product_ids", r.page().cart_product_ids_size(), kMaxCartProducts);
  if (!st.ok()) return st;
  for (int i = 0; i < r.page().cart_product_ids_size(); ++i) {
    st = ValidateId(absl::StrCat("page.cart_product_ids[", i, "]"), r.page().cart_product_ids(i));
    if (!st.ok()) return st;
  }
  if (r.placement() == gavel::v1::PLACEMENT_PRODUCT_PAGE && r.page().viewed_product_id().empty() &&
      r.candidates_size() == 0) {
    return Invalid("page.viewed_product_id is required for PLACEMENT_PRODUCT_PAGE");
  }
  st = ValidateShopper(r.shopper());
  if (!st.ok()) return st;
  if (!gavel::v1::Mechanism_IsValid(r.options().mechanism())) {
    return Invalid(absl::StrCat("options.mechanism has unknown value ", r.options().mechanism()));
  }
  // A seed replays an auction; a live one would issue tokens for ties the caller chose.
  if (r.options().has_tie_break_seed() && !r.options().dry_run()) {
    return Invalid(absl::StrCat("options.tie_break_seed is accepted only with options.dry_run, ",
                                "got ", r.options().tie_break_seed(), " on a live auction"));
  }
  return ValidateCandidates(r);
}

absl::Status ValidateReportEventsRequest(const gavel::v1::ReportEventsRequest& r) {
  if (r.events_size() == 0) return Invalid("events must not be empty");
  absl::Status st = CheckCount("events", r.events_size(), kMaxEventsPerBatch);
  if (!st.ok()) return st;
  for (int i = 0; i < r.events_size(); ++i) {
    const auto& e = r.events(i);
    const std::string at = absl::StrCat("events[", i, "]");
    st = ValidateId(absl::StrCat(at, ".client_event_id"), e.client_event_id());
    if (!st.ok()) return st;
    if (e.type() == gavel::v1::EVENT_TYPE_UNSPECIFIED || !gavel::v1::EventType_IsValid(e.type())) {
      return Invalid(absl::StrCat(
          at, ".type must be EVENT_TYPE_IMPRESSION or EVENT_TYPE_CLICK, got ", e.type()));
    }
    if (e.token().empty()) return Invalid(absl::StrCat(at, ".token is required"));
    st = CheckLength(absl::StrCat(at, ".token"), e.token(), kMaxTokenBytes);
    if (!st.ok()) return st;
    st = CheckLength(absl::StrCat(at, ".user_id"), e.user_id(), kMaxIdBytes);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace gavel::convert
