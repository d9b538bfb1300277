// The searches a scenario's shoppers (and bots) issue: a query and page from the catalog's query
// sampler (Zipf-popular categories and modifiers), a shopper id, device and segment, and whether
// the searcher is a bot. Shared by the in-process and the gRPC simulator so both send the same
// traffic for the same seed.
//
//   Traffic traffic(scenario, market.catalog);
//   targeting::Request request;
//   Traffic::Search search = traffic.Next(/*hour=*/13, &request);
//   if (search.bot && traffic.BotClicks()) { ... }
//
// Seeds its own generators from the scenario seed. Not thread-safe (one per run).
#ifndef GAVEL_SIM_TRAFFIC_H_
#define GAVEL_SIM_TRAFFIC_H_

#include <random>
#include <vector>

#include "sim/scenario.pb.h"
#include "targeting/retrieve.h"
#include "targeting/snapshot.h"
#include "targeting/synthetic.h"

namespace gavel::sim {

class Traffic {
 public:
  struct Search {
    bool bot = false;
    double click_multiplier = 1;  // the device's
  };
  // Reads `catalog`'s categories; keeps no reference to it. `s` must be valid and outlive this.
  Traffic(const Scenario& s, const catalog::Catalog& catalog);

  // Overwrites `*r` with the next search at UTC hour `hour` (shopper.local_hour = hour).
  Search Next(int hour, targeting::Request* r);
  // Whether a bot clicks an ad it was shown (bot_click_probability).
  bool BotClicks() { return Bernoulli(s_.invalid().bot_click_probability()); }
  // Whether a shopper who clicked clicks the same ad again (repeat_click_probability).
  bool RepeatClick() { return Bernoulli(s_.invalid().repeat_click_probability()); }

 private:
  bool Bernoulli(double p);

  const Scenario& s_;
  targeting::QuerySampler sampler_;
  std::mt19937_64 traffic_gen_, invalid_gen_;
  std::vector<double> device_cumulative_, segment_cumulative_;
};

}  // namespace gavel::sim

#endif  // GAVEL_SIM_TRAFFIC_H_
