// Seeded random auctions for the property tests: mostly small (0 to 12 ads, 1 to 5 slots) so that
// ties, shared advertisers, shared products, per-slot reserves and empty slots are all common; one
// in 20 has up to 400 ads, so the auction's top-K selection and its fallback to ranking every ad
// are exercised too.
//
//   Instance instance = RandomInstance(seed);   // the same seed, the same instance
//   Outcome outcome = RunSeeded(auctioneer, instance.ads, instance.rules, seed);
#ifndef GAVEL_TESTS_AUCTION_RANDOM_INSTANCE_H_
#define GAVEL_TESTS_AUCTION_RANDOM_INSTANCE_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "absl/random/distributions.h"
#include "auction/auction.h"
#include "auction/money.h"
#include "gtest/gtest.h"

namespace gavel {
namespace auction {
namespace testing {

struct Instance {
  std::vector<Candidate> ads;
  Rules rules;
};

inline int64_t RandomBid(std::mt19937_64& gen) {
  // Half the bids come from a short list, so equal scores (ties) are frequent.
  static constexpr int64_t kCommon[] = {100'000, 250'000, 500'000, 1'000'000, 2'000'000};
  if (absl::Bernoulli(gen, 0.5)) return kCommon[absl::Uniform(gen, 0, 5)];
  return absl::Uniform<int64_t>(absl::IntervalClosed, gen, 1, 3'000'000);
}

inline double RandomQuality(std::mt19937_64& gen) {
  static constexpr double kCommon[] = {1.0, 0.8, 0.5, 0.25};
  if (absl::Bernoulli(gen, 0.5)) return kCommon[absl::Uniform(gen, 0, 4)];
  return absl::Uniform(absl::IntervalOpenClosed, gen, 0.0, 1.0);
}

inline Rules RandomRules(std::mt19937_64& gen) {
  Rules r;
  r.mechanism = static_cast<Mechanism>(absl::Uniform(gen, 0, 3));
  r.slots = absl::Uniform(absl::IntervalClosed, gen, 1, 5);
  if (absl::Bernoulli(gen, 0.5)) {
    double f = 1.0;
    for (int s = 0; s < r.slots; ++s) {
      r.position_factors.push_back(f);
      f *= absl::Uniform(absl::IntervalOpenClosed, gen, 0.0, 1.0);
    }
  }
  if (absl::Bernoulli(gen, 0.5)) r.reserve_micros = absl::Uniform<int64_t>(gen, 0, 1'000'000);
  if (absl::Bernoulli(gen, 0.3)) {
    const int n = absl::Uniform(absl::IntervalClosed, gen, 1, r.slots);
    for (int s = 0; s < n; ++s)
      r.slot_reserve_micros.push_back(absl::Uniform<int64_t>(gen, 0, 1'500'000));
  }
  if (absl::Bernoulli(gen, 0.5)) r.reserve_mode = ReserveMode::kQualityWeighted;
  static constexpr double kSquashing[] = {0.0, 0.5, 1.0, 1.0};
  r.squashing = absl::Bernoulli(gen, 0.8) ? kSquashing[absl::Uniform(gen, 0, 4)]
                                          : absl::Uniform(absl::IntervalClosed, gen, 0.0, 1.0);
  r.increment_micros = absl::Bernoulli(gen, 0.5) ? 10'000 : absl::Uniform<int64_t>(gen, 0, 50'000);
  r.min_cpc_micros = absl::Bernoulli(gen, 0.5) ? 10'000 : absl::Uniform<int64_t>(gen, 0, 200'000);
  r.one_winner_per_product = absl::Bernoulli(gen, 0.7);
  r.self_competition = static_cast<SelfCompetition>(absl::Uniform(gen, 0, 3));
  return r;
}

inline std::vector<Candidate> RandomAds(std::mt19937_64& gen, int max_ads = 12, int products = 8) {
  const int n = absl::Uniform(absl::IntervalClosed, gen, 0, max_ads);
  std::vector<Candidate> ads;
  for (int i = 0; i < n; ++i) {
    Candidate c;
    c.candidate_id = 1000 + 7 * i;
    c.advertiser_id = absl::Uniform(absl::IntervalClosed, gen, 1, 4);
    c.campaign_id = 10 * c.advertiser_id + absl::Uniform(gen, 0, 2);
    c.product_id = absl::Uniform(absl::IntervalClosed, gen, 1, products);
    c.bid_micros = RandomBid(gen);
    c.quality = RandomQuality(gen);
    ads.push_back(c);
  }
  return ads;
}

inline Instance RandomInstance(uint64_t seed) {
  std::mt19937_64 gen(seed);
  Instance instance;
  instance.rules = RandomRules(gen);
  if (absl::Bernoulli(gen, 0.05)) {
    instance.ads = RandomAds(gen, 400, absl::Uniform(absl::IntervalClosed, gen, 4, 400));
  } else {
    instance.ads = RandomAds(gen);
  }
  return instance;
}

// Property tests are value-parameterised by a quarter of the seeds, so that each test case stays
// quick (also under the sanitizers) and shards spread them:
//   TEST_P(AuctionProperty, X) { for (uint64_t seed : Seeds(GetParam())) ... }
inline constexpr uint64_t kInstancesPerProperty = 100'000;
inline constexpr int kSeedQuarters = 4;

class SeedRange {
 public:
  explicit SeedRange(int quarter)
      : begin_(kInstancesPerProperty / kSeedQuarters * quarter),
        end_(kInstancesPerProperty / kSeedQuarters * (quarter + 1)) {}
  struct Iterator {
    uint64_t seed;
    uint64_t operator*() const { return seed; }
    Iterator& operator++() {
      ++seed;
      return *this;
    }
    bool operator!=(const Iterator& other) const { return seed != other.seed; }
  };
  Iterator begin() const { return {begin_}; }
  Iterator end() const { return {end_}; }

 private:
  uint64_t begin_;
  uint64_t end_;
};

class AuctionProperty : public ::testing::TestWithParam<int> {
 protected:
  SeedRange Seeds() const { return SeedRange(GetParam()); }
};

// Runs with a generator seeded by `seed`; fails the test on an error.
inline Outcome RunSeeded(Auctioneer& auctioneer, const std::vector<Candidate>& ads,
                         const Rules& rules, uint64_t seed, const MinBidOptions& min_bids = {}) {
  std::mt19937_64 gen(seed);
  Outcome outcome;
  const absl::Status status = auctioneer.Run(ads, rules, gen, &outcome, min_bids);
  EXPECT_TRUE(status.ok()) << status;
  return outcome;
}

// The auction's one 64-bit draw when run by RunSeeded(..., seed).
inline uint64_t TieDraw(uint64_t seed) {
  std::mt19937_64 gen(seed);
  return absl::Uniform<uint64_t>(gen);
}

// The tie-break key docs/auction.md defines: SplitMix64(draw + candidate_id x 0x9E3779B97F4A7C15).
// Of two ads with equal scores, the one with the higher key ranks first.
inline uint64_t DocumentedTieKey(uint64_t draw, int64_t candidate_id) {
  uint64_t z = draw + static_cast<uint64_t>(candidate_id) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A candidate id, used by no ad but ads[except], that loses every tie against the others under
// RunSeeded(..., seed): its documented key is below all of theirs.
inline int64_t IdThatLosesEveryTie(const std::vector<Candidate>& ads, size_t except,
                                   uint64_t seed) {
  const uint64_t draw = TieDraw(seed);
  uint64_t lowest = ~uint64_t{0};
  for (size_t j = 0; j < ads.size(); ++j) {
    if (j != except) lowest = std::min(lowest, DocumentedTieKey(draw, ads[j].candidate_id));
  }
  for (int64_t id = int64_t{1} << 40;; ++id) {  // test ids are small: none of these
    if (DocumentedTieKey(draw, id) < lowest) return id;
  }
}

// The floor of `slot` for `ad`, recomputed from the documented formula.
inline int64_t FloorOf(const Rules& rules, int slot, const Candidate& ad) {
  int64_t reserve = SlotReserveMicros(rules, slot);
  if (rules.reserve_mode == ReserveMode::kQualityWeighted && reserve > 0) {
    reserve = PerClickMicros(static_cast<double>(reserve),
                             QualityFactor(ad.quality, rules.squashing), kMaxMicros + 1);
  }
  return std::max(rules.min_cpc_micros, reserve);
}

// Everything an outcome says about each candidate, keyed by candidate id (input order free).
struct Fate {
  int slot = -1;
  int64_t price = 0;
  int64_t min_bid = 0;
  int reason = -1;
  bool operator==(const Fate& o) const {
    return slot == o.slot && price == o.price && min_bid == o.min_bid && reason == o.reason;
  }
};

inline std::map<int64_t, Fate> FatesById(const std::vector<Candidate>& ads, const Outcome& o) {
  std::map<int64_t, Fate> fates;
  for (const Winner& w : o.winners) {
    fates[ads[w.index].candidate_id] = Fate{w.slot, w.price_micros, w.min_bid_micros, -1};
  }
  for (const Loser& l : o.losers) {
    fates[ads[l.index].candidate_id] = Fate{-1, 0, 0, static_cast<int>(l.reason)};
  }
  return fates;
}

}  // namespace testing
}  // namespace auction
}  // namespace gavel

#endif  // GAVEL_TESTS_AUCTION_RANDOM_INSTANCE_H_
