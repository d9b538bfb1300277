#include "sim/scenario.h"

#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace gavel::sim {
namespace {

TEST(ParseScenario, EmptyScenarioIsValidWithDefaults) {
  absl::StatusOr<Scenario> s = ParseScenario("", false);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->days(), 1);
  EXPECT_EQ(s->slots(), 4);
  EXPECT_EQ(s->catalog().num_ads(), 10000);
  EXPECT_EQ(s->traffic().queries_per_day(), 100000);
  EXPECT_TRUE(s->budgets().pacing());
}

TEST(ParseScenario, JsonAndTextFormatAgree) {
  auto text = ParseScenario("seed: 3 slots: 2 auction { reserve_micros: 50000 }", false);
  auto json =
      ParseScenario(R"({"seed": "3", "slots": 2, "auction": {"reserveMicros": "50000"}})", true);
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(text->SerializeAsString(), json->SerializeAsString());
}

TEST(ParseScenario, SyntaxErrorNamesTheLine) {
  auto s = ParseScenario("seed: 3\nslots: two\n", false);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("line 2"), std::string::npos) << s.status();
}

TEST(ValidateScenario, NamesTheFieldAndValue) {
  auto s = ParseScenario("days: 0", false);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(), "days must be in [1, 366], got 0");
  s = ParseScenario("shoppers { devices { device: \"fridge\" } }", false);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("shoppers.devices[0].device"), std::string::npos);
  s = ParseScenario("clicks { examination: [0.5, 0.7] }", false);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("clicks.examination[1]"), std::string::npos);
  s = ParseScenario("traffic { hourly_weights: [1, 2] }", false);
  EXPECT_EQ(s.status().message(), "traffic.hourly_weights must have 24 values, got 2");
}

TEST(ApplySweepValue, SetsEachParameter) {
  Scenario s;
  ASSERT_TRUE(ApplySweepValue("mechanism", "vcg", &s).ok());
  EXPECT_EQ(s.auction().mechanism(), gavel::v1::MECHANISM_VCG);
  ASSERT_TRUE(ApplySweepValue("reserve_micros", "100000", &s).ok());
  EXPECT_EQ(s.auction().reserve_micros(), 100000);
  ASSERT_TRUE(ApplySweepValue("pacing", "off", &s).ok());
  EXPECT_FALSE(s.budgets().pacing());
  ASSERT_TRUE(ApplySweepValue("slots", "2", &s).ok());
  EXPECT_EQ(s.slots(), 2);
  ASSERT_TRUE(ApplySweepValue("squashing", "0.5", &s).ok());
  EXPECT_DOUBLE_EQ(s.auction().squashing_exponent(), 0.5);
  absl::Status st = ApplySweepValue("colour", "red", &s);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("unknown parameter \"colour\""), std::string::npos);
  st = ApplySweepValue("slots", "0", &s);
  EXPECT_EQ(st.message(), "slots must be in [1, 40], got 0");
}

TEST(DeriveSeed, StreamsDifferAndAreStable) {
  EXPECT_NE(DeriveSeed(1, Stream::kTraffic), DeriveSeed(1, Stream::kClicks));
  EXPECT_NE(DeriveSeed(1, Stream::kTraffic), DeriveSeed(2, Stream::kTraffic));
  EXPECT_EQ(DeriveSeed(1, Stream::kTraffic), DeriveSeed(1, Stream::kTraffic));
}

TEST(ExampleScenarios, AllLoadAndValidate) {
  for (const char* name : {"quick.textproto", "compare_mechanisms.textproto",
                           "reserve_sweep.textproto", "pacing.textproto", "quick.json",
                           "autobidding.textproto"}) {
    absl::StatusOr<Scenario> s =
        LoadScenario(gavel::testing::Runfile(absl::StrCat("sim/scenarios/", name)));
    EXPECT_TRUE(s.ok()) << name << ": " << s.status();
  }
}

}  // namespace
}  // namespace gavel::sim
