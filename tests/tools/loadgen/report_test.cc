#include "tools/loadgen/report.h"

#include <string>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace gavel::loadgen {
namespace {

LoadReport SampleReport() {
  LoadReport r;
  r.mode = "open";
  r.service = "auction";
  r.target = "127.0.0.1:5\"0";  // A quote, to check escaping.
  r.rate = 2000;
  r.duration_seconds = 2;
  r.requests = 4000;
  r.ok = 3990;
  r.errors = {{"DEADLINE_EXCEEDED", 7}, {"UNAVAILABLE", 3}};
  r.qps = 2000;
  Histogram h;
  for (int64_t v = 1; v <= 1000; ++v) h.Record(v * 1000);
  r.latency = Summarize(h);
  r.event_outcomes = {{"EVENT_OUTCOME_CHARGED", 12}};
  return r;
}

TEST(FormatJson, IsOneLineOfValidJsonWithTheReportedFields) {
  const std::string json = FormatJson(SampleReport());
  ASSERT_EQ(json.find('\n'), json.size() - 1);
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  const auto& f = parsed.fields();
  EXPECT_EQ(f.at("mode").string_value(), "open");
  EXPECT_EQ(f.at("target").string_value(), "127.0.0.1:5\"0");
  EXPECT_EQ(f.at("qps").number_value(), 2000);
  EXPECT_EQ(f.at("errors").struct_value().fields().at("DEADLINE_EXCEEDED").number_value(), 7);
  const auto& latency = f.at("latency_us").struct_value().fields();
  // Microseconds; the histogram reports the middle of the bucket holding the exact 500 us.
  EXPECT_NEAR(latency.at("p50").number_value(), 500, 500 * Histogram::kMaxRelativeError);
  EXPECT_EQ(latency.at("max").number_value(), 1000);
  EXPECT_TRUE(f.at("send_lag_us").has_struct_value());
  EXPECT_EQ(f.at("events")
                .struct_value()
                .fields()
                .at("outcomes")
                .struct_value()
                .fields()
                .at("EVENT_OUTCOME_CHARGED")
                .number_value(),
            12);
}

TEST(FormatText, NamesErrorsByStatusCodeAndShowsServiceTimeInOpenLoop) {
  const std::string text = FormatText(SampleReport());
  EXPECT_NE(text.find("DEADLINE_EXCEEDED=7 UNAVAILABLE=3"), std::string::npos) << text;
  EXPECT_NE(text.find("service time"), std::string::npos) << text;
  EXPECT_NE(text.find("send lag"), std::string::npos) << text;
  EXPECT_NE(text.find("rate 2000/s"), std::string::npos) << text;
}

}  // namespace
}  // namespace gavel::loadgen
