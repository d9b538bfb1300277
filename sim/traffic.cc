#include "sim/traffic.h"

#include <algorithm>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "sim/scenario.h"

namespace gavel::sim {
namespace {

catalog::Device DeviceFromName(const std::string& n) {
  if (n == "desktop") return catalog::Device::kDesktop;
  if (n == "mobile_web") return catalog::Device::kMobileWeb;
  if (n == "mobile_app") return catalog::Device::kMobileApp;
  return catalog::Device::kTablet;
}

// Index of a draw from the weights whose running sums are `cumulative` (total > 0).
size_t Draw(const std::vector<double>& cumulative, std::mt19937_64& gen) {
  const double u = absl::Uniform<double>(gen, 0, cumulative.back());
  return std::min<size_t>(
      cumulative.size() - 1,
      std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin());
}

std::vector<double> Cumulative(const std::vector<double>& w) {
  std::vector<double> out;
  double sum = 0;
  for (double v : w) out.push_back(sum += v);
  if (out.empty() || !(out.back() > 0)) out.clear();
  return out;
}

}  // namespace

Traffic::Traffic(const Scenario& s, const catalog::Catalog& catalog)
    : s_(s),
      sampler_(catalog, s.traffic().zipf_exponent()),
      traffic_gen_(DeriveSeed(TrafficSeed(s), Stream::kTraffic)),
      invalid_gen_(DeriveSeed(TrafficSeed(s), Stream::kInvalid)) {
  std::vector<double> w;
  for (const DeviceShare& d : s.shoppers().devices()) w.push_back(d.weight());
  device_cumulative_ = Cumulative(w);
  w.clear();
  for (const Segment& seg : s.shoppers().segments()) w.push_back(seg.weight());
  segment_cumulative_ = Cumulative(w);
}

bool Traffic::Bernoulli(double p) { return p > 0 && absl::Bernoulli(invalid_gen_, p); }

Traffic::Search Traffic::Next(int hour, targeting::Request* r) {
  Search search;
  *r = sampler_.Sample(traffic_gen_);
  r->slots = s_.slots();
  r->shopper.local_hour = hour;
  search.bot = Bernoulli(s_.invalid().bot_query_fraction());
  r->shopper.user_id =
      search.bot
          ? absl::StrCat("bot-", absl::Uniform<int>(invalid_gen_, 0, s_.invalid().bots()))
          : absl::StrCat("u-", absl::Uniform<int>(traffic_gen_, 0, s_.shoppers().num_shoppers()));
  if (!device_cumulative_.empty()) {
    const DeviceShare& d =
        s_.shoppers().devices(static_cast<int>(Draw(device_cumulative_, traffic_gen_)));
    r->shopper.device = DeviceFromName(d.device());
    search.click_multiplier = d.click_multiplier();
  }
  if (!segment_cumulative_.empty()) {
    r->shopper.segments.clear();
    if (absl::Bernoulli(traffic_gen_, s_.shoppers().segment_probability())) {
      r->shopper.segments.push_back(
          s_.shoppers().segments(static_cast<int>(Draw(segment_cumulative_, traffic_gen_))).name());
    }
  }
  return search;
}

}  // namespace gavel::sim
