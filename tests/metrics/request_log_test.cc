#include "metrics/request_log.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gavel::metrics {
namespace {

using ::testing::HasSubstr;

TEST(AuctionLogLine, IsOneJsonLineWithTheWinnersAndEscapedIds) {
  engine::AuctionResult r;
  r.request_id = "req \"1\"\n";
  r.auction_id = "a-7";
  r.catalog_version = 3;
  r.winners.resize(2);
  r.winners[0].slot = 1;
  r.winners[0].ad_id = "ad-1";
  r.winners[0].campaign_id = "c-1";
  r.winners[0].cpc_micros = 450'000;
  r.winners[1].slot = 2;
  r.winners[1].ad_id = "ad-2";
  r.winners[1].campaign_id = "c-2";
  r.winners[1].cpc_micros = 300'000;
  EXPECT_EQ(
      AuctionLogLine(absl::FromUnixMicros(1'790'000'000'123'456), 182'999, r),
      "{\"time\":\"2026-09-21T14:13:20.123456Z\",\"request_id\":\"req \\\"1\\\"\\n\","
      "\"auction_id\":\"a-7\",\"latency_us\":182,\"mechanism\":\"GSP\",\"catalog_version\":3,"
      "\"winners\":[{\"slot\":1,\"ad_id\":\"ad-1\",\"campaign_id\":\"c-1\",\"cpc_micros\":"
      "450000},{\"slot\":2,\"ad_id\":\"ad-2\",\"campaign_id\":\"c-2\",\"cpc_micros\":300000}]}"
      "\n");
}

TEST(RequestLog, WritesEveryLineInOrderByTheTimeItIsDestroyed) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/requests.jsonl");
  {
    auto log = RequestLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    for (int i = 0; i < 1000; ++i) (*log)->Append(absl::StrCat("{\"n\":", i, "}\n"));
    EXPECT_EQ((*log)->dropped(), 0);
  }
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    EXPECT_EQ(line, absl::StrCat("{\"n\":", n, "}"));
    ++n;
  }
  EXPECT_EQ(n, 1000);
}

TEST(RequestLog, AnUnwritablePathIsInvalidArgumentNamingIt) {
  auto log = RequestLog::Open("/nonexistent-dir/requests.jsonl");
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(log.status().message(),
              HasSubstr("--request_log: cannot open /nonexistent-dir/requests.jsonl"));
}

}  // namespace
}  // namespace gavel::metrics
