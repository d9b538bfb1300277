// Builders shared by the billing tests (and the engine's billing gate tests): a Billing over a
// fresh ledger directory, time zones, winners and events.
#ifndef GAVEL_TESTS_BILLING_BILLING_TEST_UTIL_H_
#define GAVEL_TESTS_BILLING_BILLING_TEST_UTIL_H_

#include <filesystem>
#include <memory>
#include <string>

#include "billing/billing.h"
#include "gtest/gtest.h"

namespace gavel::billing::testing {

inline const absl::Time kStart =
    absl::FromCivil(absl::CivilSecond(2026, 6, 15, 9, 0, 0), absl::UTCTimeZone());

// A time zone from the system's zoneinfo; fails the test if it is missing.
inline absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(name, &tz)) << name;
  return tz;
}

inline std::shared_ptr<const Keyring> TestKeys() {
  return *Keyring::Create({{"k1", "test-secret-0123456789abcdef"}});
}

inline std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/billing_" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

inline BillingConfig MakeConfig(const std::string& dir) {
  BillingConfig c;
  c.ledger.dir = dir;
  c.keyring = TestKeys();
  c.ledger.snapshot_every_records = 0;
  return c;
}

inline std::unique_ptr<Billing> OpenBilling(BillingConfig config, const Clock* clock) {
  auto b = Billing::Open(std::move(config), clock);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? std::move(*b) : nullptr;
}

inline CampaignBudget MakeBudget(CampaignBudget b = {}) {
  if (b.campaign_id.empty()) b.campaign_id = "c1";
  if (b.daily_budget_micros == 0) b.daily_budget_micros = 100'000'000;
  return b;
}

inline WinnerInfo MakeWinner(WinnerInfo w = {}) {
  if (w.auction_id.empty()) w.auction_id = "a1";
  if (w.ad_id.empty()) w.ad_id = "ad1";
  if (w.campaign_id.empty()) w.campaign_id = "c1";
  if (w.price_micros == 0) w.price_micros = 500'000;
  return w;
}

inline Event Click(std::string id, std::string token, std::string user = "") {
  return {std::move(id), TokenType::kClick, std::move(token), std::move(user)};
}
inline Event Impression(std::string id, std::string token, std::string user = "") {
  return {std::move(id), TokenType::kImpression, std::move(token), std::move(user)};
}

inline EventResult IngestOne(Billing& b, const Event& e) {
  auto r = b.Ingest({e});
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? (*r)[0] : EventResult{};
}

}  // namespace gavel::billing::testing

#endif  // GAVEL_TESTS_BILLING_BILLING_TEST_UTIL_H_
