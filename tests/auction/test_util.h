// Builders for auction tests: candidates from designated initializers, with every id left at zero
// filled in so that each ad is its own advertiser, campaign and product unless a test says
// otherwise.
//
//   std::vector<Candidate> ads = Ads({{.bid_micros = 2'000'000, .quality = 0.8},
//                                     {.bid_micros = 1'000'000}});
//   Outcome outcome = MustRun(ads, Rules{.slots = 2});
#ifndef GAVEL_TESTS_AUCTION_TEST_UTIL_H_
#define GAVEL_TESTS_AUCTION_TEST_UTIL_H_

#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

#include "absl/status/statusor.h"
#include "auction/auction.h"
#include "gtest/gtest.h"

namespace gavel {
namespace auction {
namespace testing {

// `c` with advertiser, campaign and product ids that are zero set to its candidate id.
inline Candidate MakeCandidate(Candidate c) {
  if (c.advertiser_id == 0) c.advertiser_id = c.candidate_id;
  if (c.campaign_id == 0) c.campaign_id = c.candidate_id;
  if (c.product_id == 0) c.product_id = c.candidate_id;
  return c;
}

// Candidates numbered 1, 2, ... in order (unless an id is given), completed by MakeCandidate.
inline std::vector<Candidate> Ads(std::initializer_list<Candidate> specs) {
  std::vector<Candidate> ads;
  int64_t next_id = 1;
  for (Candidate c : specs) {
    if (c.candidate_id == 0) c.candidate_id = next_id;
    ++next_id;
    ads.push_back(MakeCandidate(c));
  }
  return ads;
}

// Runs the auction with a fixed seed and fails the test on an error status.
inline Outcome MustRun(const std::vector<Candidate>& ads, const Rules& rules, uint64_t seed = 1) {
  std::mt19937_64 gen(seed);
  absl::StatusOr<Outcome> outcome = RunAuction(ads, rules, gen);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  return outcome.ok() ? *outcome : Outcome{};
}

// The winner placed from input index `index`, or null.
inline const Winner* WinnerOf(const Outcome& outcome, size_t index) {
  for (const Winner& w : outcome.winners) {
    if (w.index == index) return &w;
  }
  return nullptr;
}

// The loser at input index `index`, or null.
inline const Loser* LoserOf(const Outcome& outcome, size_t index) {
  for (const Loser& l : outcome.losers) {
    if (l.index == index) return &l;
  }
  return nullptr;
}

}  // namespace testing
}  // namespace auction
}  // namespace gavel

#endif  // GAVEL_TESTS_AUCTION_TEST_UTIL_H_
