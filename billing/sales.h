// Purchases as Gavel ingests them (docs/billing.md, "Sales"): an order's line items, each kept
// once under its (order id, line) key, refunds and cancellations as lines with a negative
// quantity. This header is the purchase's domain type, its validation (the limits the API
// documents) and its ledger record. Stateless functions; thread-safe.
//
//   absl::Status st = ValidatePurchases(purchases, {.currency = "USD"}, now);
//   std::vector<PurchaseLine> lines = LinesOf(purchases, user_hash_of);
//   std::string payload = EncodePurchaseRecord(lines[0]);
#ifndef GAVEL_BILLING_SALES_H_
#define GAVEL_BILLING_SALES_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "catalog/limits.h"  // catalog::kMaxIdBytes bounds order_id, user_id and product_id

namespace gavel::billing {

struct LineItem {
  int32_t line =
      0;  // 1..kMaxLineNumber, unique within the order: with order_id, the idempotency key
  std::string product_id;
  int64_t quantity = 0;      // > 0 in a sale, < 0 in a refund
  int64_t price_micros = 0;  // unit price, >= 0
  std::string currency;      // must be SalesOptions::currency
};

// A sale, or a refund or cancellation of (part of) one: its lines take quantities back, so they
// are negative lines of the same order under new line numbers.
enum class PurchaseKind { kSale, kRefund };

struct Purchase {
  PurchaseKind kind = PurchaseKind::kSale;
  std::string order_id;
  std::string user_id;  // the shopper, as in auction requests; hashed like the click tokens
  absl::Time time;      // when the order (or the refund) happened, from the client
  std::vector<LineItem> line_items;
};

// One line as stored and attributed.
struct PurchaseLine {
  std::string order_id;
  int32_t line = 0;
  uint64_t user_hash = 0;
  std::string product_id;
  int64_t quantity = 0;
  int64_t price_micros = 0;
  absl::Time time;
  // quantity x price_micros: what the line adds to (or, negative, takes from) sales.
  int64_t sales_micros() const { return quantity * price_micros; }
};

// Limits (docs/api.md, "ReportPurchases").
inline constexpr int kMaxPurchasesPerRequest = 100;
inline constexpr int kMaxLinesPerPurchase = 100;
inline constexpr int kMaxLinesPerRequest = 1'000;
inline constexpr int kMaxLineNumber = 10'000;
inline constexpr int64_t kMaxQuantity = 10'000;
inline constexpr int64_t kMaxUnitPriceMicros = 1'000'000'000'000;  // 1,000,000 currency units
// A purchase may be reported up to this long after it happened, and no later than this ahead of
// the server's clock (clock skew).
inline constexpr absl::Duration kMaxPurchaseAge = absl::Hours(24 * 400);
inline constexpr absl::Duration kMaxPurchaseSkew = absl::Minutes(5);

struct SalesOptions {
  std::string currency = "USD";  // the marketplace currency (ISO 4217), the only one accepted
};

// OK, or kInvalidArgument naming the first bad field ("purchases[1].line_items[0].quantity must
// be in [1, 10000] in a sale, got -1"): an empty or oversized batch, an empty or oversized id, a
// line number out of range or repeated within the purchase, a quantity not in [1, kMaxQuantity]
// in a sale or [-kMaxQuantity, -1] in a refund, a negative or oversized price, another currency, a
// time outside [now - kMaxPurchaseAge, now + kMaxPurchaseSkew].
absl::Status ValidatePurchases(absl::Span<const Purchase> purchases, const SalesOptions& options,
                               absl::Time now);

// The lines of valid `purchases`, in order, each with its shopper's hash.
std::vector<PurchaseLine> LinesOf(absl::Span<const Purchase> purchases,
                                  const std::function<uint64_t(absl::string_view)>& user_hash);

// What ingesting a line did: kRecorded the first time its (order id, line) is seen, kDuplicate
// after (nothing changes, whatever the repeated line says).
enum class PurchaseOutcome : uint8_t { kRecorded = 1, kDuplicate = 2 };

// The idempotency key of a line.
std::string LineKey(absl::string_view order_id, int32_t line);

// The ledger record of a recorded line. Its first byte (kPurchaseRecordTag) tells it from an
// event record (billing/records.h), whose first byte is its version (1 or 2).
inline constexpr uint8_t kPurchaseRecordTag = 0x50;
std::string EncodePurchaseRecord(const PurchaseLine& line);
// kDataLoss if `payload` is not a well-formed purchase record.
absl::StatusOr<PurchaseLine> DecodePurchaseRecord(absl::string_view payload);
// The same into `out`, reusing its storage (for decoding many); false if malformed.
bool DecodePurchaseRecordInto(absl::string_view payload, PurchaseLine* out);
inline bool IsPurchaseRecord(absl::string_view payload) {
  return !payload.empty() && static_cast<uint8_t>(payload[0]) == kPurchaseRecordTag;
}
std::string FormatPurchaseRecord(const PurchaseLine& line);

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_SALES_H_
