#include "sim/scenario.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"

namespace gavel::sim {
namespace {

// Collects the text parser's errors (it would otherwise log them to stderr).
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first.empty()) first = absl::StrCat("line ", line + 1, ":", column + 1, ": ", message);
  }
  std::string first;
};

absl::Status Range(absl::string_view field, double v, double lo, double hi) {
  if (v >= lo && v <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " must be in [", lo, ", ", hi, "], got ", v));
}

absl::Status CheckDistribution(absl::string_view field, const Distribution& d) {
  switch (d.kind()) {
    case Distribution::CONSTANT:
      return Range(absl::StrCat(field, ".value"), d.value(), 0, 1e12);
    case Distribution::UNIFORM:
      if (!(d.min() >= 0 && d.max() > d.min() && d.max() <= 1e12)) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, " must have 0 <= min < max <= 1e12, got [", d.min(), ", ", d.max(), ")"));
      }
      return absl::OkStatus();
    case Distribution::LOG_NORMAL: {
      absl::Status st = Range(absl::StrCat(field, ".median"), d.median(), 1e-9, 1e12);
      if (!st.ok()) return st;
      return Range(absl::StrCat(field, ".sigma"), d.sigma(), 0, 5);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(field, ".kind is unknown"));
}

bool ParseBool(absl::string_view v, bool* out) {
  const std::string s = absl::AsciiStrToLower(v);
  if (s == "on" || s == "true" || s == "1") {
    *out = true;
  } else if (s == "off" || s == "false" || s == "0") {
    *out = false;
  } else {
    return false;
  }
  return true;
}

// The fields from 40 on: ground truth, learning, direct mode. The truth's weight lines are parsed
// when the truth is built (sim/truth_model.h), with the same INVALID_ARGUMENT.
absl::Status ValidateLearningAndDirect(const Scenario& s) {
  if (s.has_truth()) {
    if (s.clicks().kind() != ClickSpec::POSITION_BASED) {
      return absl::InvalidArgumentError("truth needs clicks.kind POSITION_BASED");
    }
    if (absl::Status st = Range("truth.category_sigma", s.truth().category_sigma(), 0, 5);
        !st.ok()) {
      return st;
    }
  }
  if (s.has_learning()) {
    if (!s.has_truth())
      return absl::InvalidArgumentError("learning needs a truth model (truth {})");
    if (s.has_direct()) {
      return absl::InvalidArgumentError("learning and direct cannot both be set");
    }
    if (s.days() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("learning runs one day at a time: days must be 1, got ", s.days()));
    }
  }
  if (s.has_direct()) {
    const DirectSpec& d = s.direct();
    for (const absl::Status& st :
         {Range("direct.bidders", d.bidders(), 1, 1000),
          Range("direct.auctions", static_cast<double>(d.auctions()), 2, 1e9),
          Range("direct.quality", d.quality(), 1e-9, 1)}) {
      if (!st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Scenario> ParseScenario(absl::string_view text, bool json) {
  Scenario s;
  if (json) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto st = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(text.data(), text.size()), &s, options);
    if (!st.ok()) {
      return absl::InvalidArgumentError(
          absl::string_view(st.message().data(), st.message().size()));
    }
  } else {
    google::protobuf::TextFormat::Parser parser;
    ErrorCollector errors;
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(std::string(text), &s)) {
      return absl::InvalidArgumentError(errors.first.empty() ? "cannot parse scenario"
                                                             : errors.first);
    }
  }
  absl::Status st = ValidateScenario(s);
  if (!st.ok()) return st;
  return s;
}

absl::StatusOr<Scenario> LoadScenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open scenario file"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<Scenario> s = ParseScenario(buffer.str(), absl::EndsWith(path, ".json"));
  if (!s.ok())
    return absl::Status(s.status().code(), absl::StrCat(path, ": ", s.status().message()));
  return s;
}

namespace {

// Purchases (conversions' delay and organic purchases) and autobidders. The advertiser index is
// checked against the catalog when the run builds it (Simulate).
absl::Status ValidateSalesAndAgents(const Scenario& s) {
  const Conversions& c = s.conversions();
  if (absl::Status st = Range("conversions.organic_probability", c.organic_probability(), 0, 1);
      !st.ok()) {
    return st;
  }
  if (c.has_purchase_delay_seconds()) {
    absl::Status st = CheckDistribution("conversions.purchase_delay_seconds",
                                        c.purchase_delay_seconds());
    if (!st.ok()) return st;
  }
  std::vector<int32_t> seen;
  for (int i = 0; i < s.autobidders_size(); ++i) {
    const Autobidder& a = s.autobidders(i);
    const std::string f = absl::StrCat("autobidders[", i, "].");
    std::vector<absl::Status> checks = {
        Range(absl::StrCat(f, "advertiser"), a.advertiser(), 0, 1e9),
        Range(absl::StrCat(f, "target_acos"), a.target_acos(), 0.001, 100),
        Range(absl::StrCat(f, "target_roas"), a.target_roas(), 0.01, 1000),
        Range(absl::StrCat(f, "daily_budget_micros"), static_cast<double>(a.daily_budget_micros()),
              1, 1e12),
        Range(absl::StrCat(f, "initial_multiplier"), a.initial_multiplier(), 0.01, 100),
    };
    for (const absl::Status& st : checks) {
      if (!st.ok()) return st;
    }
    if (std::find(seen.begin(), seen.end(), a.advertiser()) != seen.end()) {
      return absl::InvalidArgumentError(absl::StrCat(f, "advertiser ", a.advertiser(),
                                                     " already has an autobidder"));
    }
    seen.push_back(a.advertiser());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateScenario(const Scenario& s) {
  std::vector<absl::Status> checks = {
      Range("days", s.days(), 1, 366),
      Range("slots", s.slots(), 1, 40),
      Range("ingest_interval_seconds", s.ingest_interval_seconds(), 1, 3600),
      Range("catalog.num_ads", s.catalog().num_ads(), 1, 2'000'000),
      Range("catalog.ads_per_ad_group", s.catalog().ads_per_ad_group(), 1, 1000),
      Range("catalog.ad_groups_per_campaign", s.catalog().ad_groups_per_campaign(), 1, 1000),
      Range("catalog.campaigns_per_advertiser", s.catalog().campaigns_per_advertiser(), 1, 1000),
      Range("catalog.keywords_per_ad_group", s.catalog().keywords_per_ad_group(), 1, 1000),
      Range("catalog.zipf_exponent", s.catalog().zipf_exponent(), 1.0001, 10),
      Range("catalog.auto_targeting_fraction", s.catalog().auto_targeting_fraction(), 0, 1),
      Range("catalog.negative_fraction", s.catalog().negative_fraction(), 0, 1),
      Range("catalog.predicate_fraction", s.catalog().predicate_fraction(), 0, 1),
      Range("catalog.dynamic_bidding_fraction", s.catalog().dynamic_bidding_fraction(), 0, 1),
      Range("catalog.max_candidates", s.catalog().max_candidates(), 1, 100'000),
      Range("bidding.shading", s.bidding().shading(), 0.01, 10),
      Range("budgets.multiplier", s.budgets().multiplier(), 1e-6, 1e6),
      Range("traffic.queries_per_day", static_cast<double>(s.traffic().queries_per_day()), 1, 1e10),
      Range("traffic.zipf_exponent", s.traffic().zipf_exponent(), 1.0001, 10),
      Range("shoppers.num_shoppers", s.shoppers().num_shoppers(), 1, 1e9),
      Range("shoppers.segment_probability", s.shoppers().segment_probability(), 0, 1),
      Range("clicks.attractiveness_scale", s.clicks().attractiveness_scale(), 0, 1e6),
      Range("clicks.attractiveness_exponent", s.clicks().attractiveness_exponent(), 0, 100),
      Range("clicks.cascade_continue", s.clicks().cascade_continue(), 0, 1),
      Range("conversions.probability", s.conversions().probability(), 0, 1),
      Range("conversions.advertiser_spread", s.conversions().advertiser_spread(), 0, 5),
      Range("invalid.repeat_click_probability", s.invalid().repeat_click_probability(), 0, 1),
      Range("invalid.bot_query_fraction", s.invalid().bot_query_fraction(), 0, 1),
      Range("invalid.bots", s.invalid().bots(), 1, 1e6),
      Range("invalid.bot_click_probability", s.invalid().bot_click_probability(), 0, 1),
  };
  for (const absl::Status& st : checks) {
    if (!st.ok()) return st;
  }
  if (absl::Status st = ValidateLearningAndDirect(s); !st.ok()) return st;
  absl::CivilDay day;
  if (!absl::ParseCivilTime(s.start_date(), &day)) {
    return absl::InvalidArgumentError(
        absl::StrCat("start_date must be YYYY-MM-DD, got \"", s.start_date(), "\""));
  }
  if (s.bidding().has_value_per_click_micros()) {
    absl::Status st =
        CheckDistribution("bidding.value_per_click_micros", s.bidding().value_per_click_micros());
    if (!st.ok()) return st;
  }
  if (s.budgets().has_daily_budget_micros()) {
    absl::Status st =
        CheckDistribution("budgets.daily_budget_micros", s.budgets().daily_budget_micros());
    if (!st.ok()) return st;
  }
  if (s.conversions().has_order_value_multiplier()) {
    absl::Status st = CheckDistribution("conversions.order_value_multiplier",
                                        s.conversions().order_value_multiplier());
    if (!st.ok()) return st;
  }
  const auto& w = s.traffic().hourly_weights();
  if (!w.empty()) {
    if (w.size() != 24) {
      return absl::InvalidArgumentError(
          absl::StrCat("traffic.hourly_weights must have 24 values, got ", w.size()));
    }
    double sum = 0;
    for (int h = 0; h < 24; ++h) {
      if (!(w[h] >= 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("traffic.hourly_weights[", h, "] must be >= 0, got ", w[h]));
      }
      sum += w[h];
    }
    if (!(sum > 0)) return absl::InvalidArgumentError("traffic.hourly_weights must not all be 0");
  }
  const auto& e = s.clicks().examination();
  for (int i = 0; i < e.size(); ++i) {
    if (!(e[i] > 0 && e[i] <= 1) || (i > 0 && e[i] > e[i - 1])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "clicks.examination[", i, "] must be in (0, 1] and non-increasing, got ", e[i]));
    }
  }
  for (int i = 0; i < s.shoppers().segments_size(); ++i) {
    absl::Status st = Range(absl::StrCat("shoppers.segments[", i, "].weight"),
                            s.shoppers().segments(i).weight(), 0, 1e9);
    if (!st.ok()) return st;
  }
  for (int i = 0; i < s.shoppers().devices_size(); ++i) {
    const DeviceShare& d = s.shoppers().devices(i);
    const std::string& n = d.device();
    if (n != "desktop" && n != "mobile_web" && n != "mobile_app" && n != "tablet") {
      return absl::InvalidArgumentError(absl::StrCat(
          "shoppers.devices[", i,
          "].device must be desktop, mobile_web, mobile_app or tablet, got \"", n, "\""));
    }
    absl::Status st = Range(absl::StrCat("shoppers.devices[", i, "].weight"), d.weight(), 0, 1e9);
    if (st.ok()) {
      st = Range(absl::StrCat("shoppers.devices[", i, "].click_multiplier"), d.click_multiplier(),
                 0, 100);
    }
    if (!st.ok()) return st;
  }
  return ValidateSalesAndAgents(s);
}

const std::vector<std::string>& SweepParameters() {
  static const auto* const kParams = new std::vector<std::string>{
      "mechanism", "reserve_micros", "squashing",       "pacing",
      "slots",     "shading",        "queries_per_day", "bot_query_fraction",
      "organic_probability"};
  return *kParams;
}

absl::Status ApplySweepValue(absl::string_view parameter, absl::string_view value, Scenario* s) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("--sweep: bad value \"", value, "\" for ", parameter));
  };
  double d = 0;
  const bool numeric = absl::SimpleAtod(value, &d);
  if (parameter == "mechanism") {
    const std::string m = absl::AsciiStrToLower(value);
    if (m == "gsp") {
      s->mutable_auction()->set_mechanism(gavel::v1::MECHANISM_GSP);
    } else if (m == "vcg") {
      s->mutable_auction()->set_mechanism(gavel::v1::MECHANISM_VCG);
    } else if (m == "first_price") {
      s->mutable_auction()->set_mechanism(gavel::v1::MECHANISM_FIRST_PRICE);
    } else {
      return bad();
    }
  } else if (parameter == "reserve_micros") {
    int64_t v;
    if (!absl::SimpleAtoi(value, &v) || v < 0) return bad();
    s->mutable_auction()->set_reserve_micros(v);
  } else if (parameter == "squashing") {
    if (!numeric) return bad();
    s->mutable_auction()->set_squashing_exponent(d);
  } else if (parameter == "pacing") {
    bool b;
    if (!ParseBool(value, &b)) return bad();
    s->mutable_budgets()->set_pacing(b);
  } else if (parameter == "slots") {
    int v;
    if (!absl::SimpleAtoi(value, &v)) return bad();
    s->set_slots(v);
  } else if (parameter == "shading") {
    if (!numeric) return bad();
    s->mutable_bidding()->set_shading(d);
  } else if (parameter == "queries_per_day") {
    int64_t v;
    if (!absl::SimpleAtoi(value, &v)) return bad();
    s->mutable_traffic()->set_queries_per_day(v);
  } else if (parameter == "bot_query_fraction") {
    if (!numeric) return bad();
    s->mutable_invalid()->set_bot_query_fraction(d);
  } else if (parameter == "organic_probability") {
    if (!numeric) return bad();
    s->mutable_conversions()->set_organic_probability(d);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("--sweep: unknown parameter \"", parameter,
                                                   "\"; one of ",
                                                   absl::StrJoin(SweepParameters(), ", ")));
  }
  return ValidateScenario(*s);
}

uint64_t DeriveSeed(uint64_t seed, Stream stream) {
  // SplitMix64 of (seed, stream): well-mixed, independent-looking streams from one seed.
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (static_cast<uint64_t>(stream) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t TrafficSeed(const Scenario& s) {
  return s.has_traffic_seed() ? s.traffic_seed() : s.seed();
}

std::vector<double> HourlyWeights(const Scenario& s) {
  if (!s.traffic().hourly_weights().empty()) {
    return {s.traffic().hourly_weights().begin(), s.traffic().hourly_weights().end()};
  }
  // A retail search curve: quiet at night, a midday peak and a larger evening peak.
  return {0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.30, 0.55, 0.75, 0.85, 0.95, 1.00,
          1.05, 1.00, 0.95, 0.90, 0.90, 0.95, 1.10, 1.30, 1.40, 1.25, 0.90, 0.50};
}

double Examination(const ClickSpec& m, int slot) {
  static constexpr double kDefault[] = {1.0, 0.7, 0.5, 0.35};
  const int n = m.examination_size();
  if (n == 0) {
    if (slot < 4) return kDefault[slot];
    double e = kDefault[3];
    for (int i = 4; i <= slot; ++i) e *= 0.7;
    return e;
  }
  if (slot < n) return m.examination(slot);
  double e = m.examination(n - 1);
  for (int i = n; i <= slot; ++i) e *= 0.7;
  return e;
}

}  // namespace gavel::sim
