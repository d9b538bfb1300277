// Synthetic training examples with a known logistic truth, for tests and benchmarks of the trainer:
// each example draws a placement, device, match, category, 1-3 query tokens and a slot, and is
// clicked with probability sigmoid(truth's logit at its slot).
//
//   SyntheticTruth truth = MakeTruth(/*seed=*/1);
//   std::vector<Example> examples = SyntheticExamples(*truth.model, 100000, /*seed=*/2);
//
// Deterministic for a seed on one build. Thread-safe (no state).
#ifndef GAVEL_LEARNING_SYNTHETIC_H_
#define GAVEL_LEARNING_SYNTHETIC_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "learning/dataset.h"
#include "targeting/ctr_model.h"

namespace gavel::learning {

struct SyntheticTruth {
  std::string text;  // the model file
  std::shared_ptr<const targeting::CtrModel> model;
};

// Random weights (normal, sd 0.5) on every feature the examples use; bias -3.5; slots 1, 2, 3 at
// 0, -0.5, -0.9 (position bias). Features: 3 placements, 3 devices, 3 matches, 10 categories,
// 30 tokens x 10 categories.
SyntheticTruth MakeTruth(uint64_t seed);
// `n` examples one microsecond apart.
std::vector<Example> SyntheticExamples(const targeting::CtrModel& truth, int64_t n, uint64_t seed);

}  // namespace gavel::learning

#endif  // GAVEL_LEARNING_SYNTHETIC_H_
