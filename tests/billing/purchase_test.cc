// Purchase validation and the purchase ledger record (billing/sales.h).
#include "billing/sales.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace gavel::billing {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'780'000'000);

Purchase MakePurchase(PurchaseKind kind = PurchaseKind::kSale, int64_t quantity = 2) {
  return {.kind = kind,
          .order_id = "o1",
          .user_id = "u1",
          .time = kNow,
          .line_items = {{.line = 1,
                          .product_id = "p1",
                          .quantity = quantity,
                          .price_micros = 10,
                          .currency = "USD"}}};
}

std::string Error(const std::vector<Purchase>& purchases) {
  absl::Status st = ValidatePurchases(purchases, {}, kNow);
  EXPECT_TRUE(st.ok() || st.code() == absl::StatusCode::kInvalidArgument) << st;
  return std::string(st.message());
}

TEST(ValidatePurchases, SalesArePositiveAndRefundsNegative) {
  EXPECT_EQ(Error({MakePurchase()}), "");
  EXPECT_EQ(Error({MakePurchase(PurchaseKind::kRefund, -1)}), "");
  EXPECT_EQ(Error({MakePurchase(PurchaseKind::kRefund, 1)}),
            "purchases[0].line_items[0].quantity must be in [-10000, -1] in a refund, got 1");
  EXPECT_EQ(Error({MakePurchase(PurchaseKind::kSale, 10'001)}),
            "purchases[0].line_items[0].quantity must be in [1, 10000] in a sale, got 10001");
}

TEST(ValidatePurchases, NamesTheFirstBadField) {
  Purchase repeated = MakePurchase();
  repeated.line_items.push_back(repeated.line_items[0]);
  EXPECT_EQ(Error({repeated}), "purchases[0].line_items[1].line repeats line 1 of the same purchase");
  Purchase future = MakePurchase();
  future.time = kNow + kMaxPurchaseSkew + absl::Microseconds(1);
  EXPECT_EQ(Error({future}).rfind("purchases[0].time must be within 400 days before and 5 minutes "
                                  "after the server's clock, got ",
                                  0),
            0u);
  future.time = kNow + kMaxPurchaseSkew;
  EXPECT_EQ(Error({future}), "");
  Purchase no_user = MakePurchase();
  no_user.user_id.clear();
  EXPECT_EQ(Error({no_user}), "purchases[0].user_id must be 1-128 bytes, got 0");
  Purchase price = MakePurchase();
  price.line_items[0].price_micros = -1;
  EXPECT_EQ(Error({price}),
            "purchases[0].line_items[0].price_micros must be in [0, 1000000000000], got -1");
  EXPECT_EQ(Error({}), "purchases must hold 1-100 purchases, got 0");
  Purchase wide = MakePurchase();
  wide.line_items.clear();
  for (int l = 1; l <= 100; ++l) {
    wide.line_items.push_back(
        {.line = l, .product_id = "p", .quantity = 1, .price_micros = 1, .currency = "USD"});
  }
  EXPECT_EQ(Error(std::vector<Purchase>(11, wide)),
            "purchases must hold at most 1000 line items in all, got 1100");
}

TEST(PurchaseRecord, RoundTripsAndRejectsMalformedBytes) {
  const PurchaseLine line{.order_id = "o\n1",
                          .line = 3,
                          .user_hash = 0xfeedface12345678,
                          .product_id = "p1",
                          .quantity = -2,
                          .price_micros = 19'990'000,
                          .time = kNow};
  const std::string bytes = EncodePurchaseRecord(line);
  EXPECT_TRUE(IsPurchaseRecord(bytes));
  absl::StatusOr<PurchaseLine> back = DecodePurchaseRecord(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(EncodePurchaseRecord(*back), bytes);
  EXPECT_EQ(back->sales_micros(), -39'980'000);
  EXPECT_EQ(DecodePurchaseRecord(bytes.substr(0, bytes.size() - 1)).status().code(),
            absl::StatusCode::kDataLoss);
  PurchaseLine bad_line = line;
  bad_line.line = 0;
  EXPECT_EQ(DecodePurchaseRecord(EncodePurchaseRecord(bad_line)).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace gavel::billing
