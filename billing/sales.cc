#include "billing/sales.h"

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "billing/bytes.h"

namespace gavel::billing {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", rule));
}

absl::Status CheckId(absl::string_view field, absl::string_view id) {
  if (id.empty() || id.size() > catalog::kMaxIdBytes) {
    return Bad(field, absl::StrCat("must be 1-", catalog::kMaxIdBytes, " bytes, got ", id.size()));
  }
  return absl::OkStatus();
}

absl::Status CheckLine(const std::string& field, PurchaseKind kind, const LineItem& item,
                       const SalesOptions& options) {
  if (item.line < 1 || item.line > kMaxLineNumber) {
    return Bad(field + ".line",
               absl::StrCat("must be in [1, ", kMaxLineNumber, "], got ", item.line));
  }
  if (absl::Status st = CheckId(field + ".product_id", item.product_id); !st.ok()) return st;
  const bool sale = kind == PurchaseKind::kSale;
  const int64_t low = sale ? 1 : -kMaxQuantity, high = sale ? kMaxQuantity : -1;
  if (item.quantity < low || item.quantity > high) {
    return Bad(field + ".quantity",
               absl::StrCat("must be in [", low, ", ", high, "] in a ", sale ? "sale" : "refund",
                            ", got ", item.quantity));
  }
  if (item.price_micros < 0 || item.price_micros > kMaxUnitPriceMicros) {
    return Bad(field + ".price_micros",
               absl::StrCat("must be in [0, ", kMaxUnitPriceMicros, "], got ", item.price_micros));
  }
  if (item.currency != options.currency) {
    return Bad(field + ".currency",
               absl::StrCat("must be the marketplace currency \"", options.currency, "\", got \"",
                            absl::CHexEscape(item.currency), "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckPurchase(int index, const Purchase& p, const SalesOptions& options,
                           absl::Time now) {
  const std::string field = absl::StrCat("purchases[", index, "]");
  if (absl::Status st = CheckId(field + ".order_id", p.order_id); !st.ok()) return st;
  if (absl::Status st = CheckId(field + ".user_id", p.user_id); !st.ok()) return st;
  if (p.time < now - kMaxPurchaseAge || p.time > now + kMaxPurchaseSkew) {
    return Bad(field + ".time",
               absl::StrCat("must be within 400 days before and 5 minutes after the server's "
                            "clock, got ",
                            absl::FormatTime(absl::RFC3339_full, p.time, absl::UTCTimeZone())));
  }
  if (p.line_items.empty() || p.line_items.size() > kMaxLinesPerPurchase) {
    return Bad(field + ".line_items", absl::StrCat("must hold 1-", kMaxLinesPerPurchase,
                                                   " lines, got ", p.line_items.size()));
  }
  absl::flat_hash_set<int32_t> lines;
  for (size_t j = 0; j < p.line_items.size(); ++j) {
    const std::string item = absl::StrCat(field, ".line_items[", j, "]");
    if (absl::Status st = CheckLine(item, p.kind, p.line_items[j], options); !st.ok()) return st;
    if (!lines.insert(p.line_items[j].line).second) {
      return Bad(item + ".line",
                 absl::StrCat("repeats line ", p.line_items[j].line, " of the same purchase"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidatePurchases(absl::Span<const Purchase> purchases, const SalesOptions& options,
                               absl::Time now) {
  if (purchases.empty() || purchases.size() > kMaxPurchasesPerRequest) {
    return Bad("purchases", absl::StrCat("must hold 1-", kMaxPurchasesPerRequest,
                                         " purchases, got ", purchases.size()));
  }
  size_t lines = 0;
  for (size_t i = 0; i < purchases.size(); ++i) {
    if (absl::Status st = CheckPurchase(i, purchases[i], options, now); !st.ok()) return st;
    lines += purchases[i].line_items.size();
  }
  if (lines > kMaxLinesPerRequest) {
    return Bad("purchases", absl::StrCat("must hold at most ", kMaxLinesPerRequest,
                                         " line items in all, got ", lines));
  }
  return absl::OkStatus();
}

std::vector<PurchaseLine> LinesOf(absl::Span<const Purchase> purchases,
                                  const std::function<uint64_t(absl::string_view)>& user_hash) {
  std::vector<PurchaseLine> out;
  for (const Purchase& p : purchases) {
    const uint64_t user = user_hash(p.user_id);
    for (const LineItem& item : p.line_items) {
      out.push_back({.order_id = p.order_id,
                     .line = item.line,
                     .user_hash = user,
                     .product_id = item.product_id,
                     .quantity = item.quantity,
                     .price_micros = item.price_micros,
                     .time = p.time});
    }
  }
  return out;
}

std::string LineKey(absl::string_view order_id, int32_t line) {
  // Unique: the line number is the digits after the last newline, whatever the order id holds.
  return absl::StrCat(order_id, "\n", line);
}

std::string EncodePurchaseRecord(const PurchaseLine& l) {
  std::string out;
  out.push_back(static_cast<char>(kPurchaseRecordTag));
  out.push_back(1);  // version
  internal::PutBytes(&out, l.order_id);
  internal::PutSigned(&out, l.line);
  internal::PutFixed64(&out, l.user_hash);
  internal::PutBytes(&out, l.product_id);
  internal::PutSigned(&out, l.quantity);
  internal::PutSigned(&out, l.price_micros);
  internal::PutSigned(&out, absl::ToUnixMicros(l.time));
  return out;
}

absl::StatusOr<PurchaseLine> DecodePurchaseRecord(absl::string_view payload) {
  PurchaseLine l;
  if (!DecodePurchaseRecordInto(payload, &l)) {
    return absl::DataLossError("malformed purchase record in the ledger");
  }
  return l;
}

bool DecodePurchaseRecordInto(absl::string_view payload, PurchaseLine* l) {
  internal::ByteReader in(payload);
  uint8_t tag, version;
  int64_t line, time;
  if (!in.Byte(&tag) || tag != kPurchaseRecordTag || !in.Byte(&version) || version != 1 ||
      !in.Bytes(&l->order_id) || !in.Signed(&line) || !in.Fixed64(&l->user_hash) ||
      !in.Bytes(&l->product_id) || !in.Signed(&l->quantity) || !in.Signed(&l->price_micros) ||
      !in.Signed(&time) || !in.empty() || line < 1 || line > kMaxLineNumber) {
    return false;
  }
  l->line = static_cast<int32_t>(line);
  l->time = absl::FromUnixMicros(time);
  return true;
}

std::string FormatPurchaseRecord(const PurchaseLine& l) {
  return absl::StrFormat(
      "time=%s PURCHASE order=%s line=%d user_hash=%016x product=%s quantity=%d price_micros=%d",
      absl::FormatTime(absl::RFC3339_full, l.time, absl::UTCTimeZone()), l.order_id, l.line,
      l.user_hash, l.product_id, l.quantity, l.price_micros);
}

}  // namespace gavel::billing
