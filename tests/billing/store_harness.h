// Runs a billing test over either event store, so both pass one suite and their semantics cannot
// drift: the embedded ledger in a fresh directory, or PostgreSQL in a fresh database on a
// throwaway server (tests/pg/pg_server.h) that the test binary starts once and stops at exit.
//
//   INSTANTIATE_TEST_SUITE_P(Stores, MyTest, testing::AllStores(), testing::StoreName);
//   std::unique_ptr<Billing> b = testing::OpenStore(GetParam(), MakeConfig(""), &clock, "t1");
//   b.reset();
//   b = testing::OpenStore(GetParam(), MakeConfig(""), &clock, "t1", /*fresh=*/false);  // reopen
//
// Tests that use it need the "no-sandbox" tag (PgServer switches user when run as root).
#ifndef GAVEL_TESTS_BILLING_STORE_HARNESS_H_
#define GAVEL_TESTS_BILLING_STORE_HARNESS_H_

#include <memory>
#include <string>

#include "billing/billing.h"
#include "gtest/gtest.h"

namespace gavel::billing::testing {

enum class StoreKind { kEmbedded, kPostgres };

inline auto AllStores() { return ::testing::Values(StoreKind::kEmbedded, StoreKind::kPostgres); }
std::string StoreName(const ::testing::TestParamInfo<StoreKind>& info);

// Billing over `kind`'s store named `name` (a ledger directory, or a database): emptied first if
// `fresh`, else reopened as it was left. `config`'s keyring, rules, tokens and pacing are used;
// its store fields are set here. Fails the test and returns null if the store does not open.
std::unique_ptr<Billing> OpenStore(StoreKind kind, BillingConfig config, const Clock* clock,
                                   const std::string& name, bool fresh = true);

// The conninfo of database `name` on the shared PostgreSQL server, emptied first if `fresh`; ""
// (and a test failure) if the server cannot start.
std::string PostgresDatabase(const std::string& name, bool fresh = true);

}  // namespace gavel::billing::testing

#endif  // GAVEL_TESTS_BILLING_STORE_HARNESS_H_
