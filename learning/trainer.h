// Trains the click model from joined training examples (docs/learning.md, "Training"): FTRL-Proximal
// logistic regression over the server's own hashed feature space, with the slot as a feature so that
// position bias is learned apart from the ad, and the model written in the file format the server
// reads. The server predicts every ad at slot 1 (the reference slot), so the file's `slot 1` weight
// is the only slot weight it uses.
//
//   absl::StatusOr<TrainReport> r = Train(examples, {.hash_bits = 18}, reference.get());
//   WriteFile("model.txt", r->model_text);
//
// Examples must be in time order (LogJoiner::Finish's); the last `holdout_fraction` of them are the
// held-out time slice. Pure and deterministic. Thread-safe (no state).
#ifndef GAVEL_LEARNING_TRAINER_H_
#define GAVEL_LEARNING_TRAINER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "learning/dataset.h"
#include "learning/ftrl.h"
#include "learning/metrics.h"
#include "targeting/ctr_model.h"

namespace gavel::learning {

struct TrainOptions {
  FtrlOptions ftrl;
  int hash_bits = 18;            // of the written model, 8-20
  double baseline_ctr = 0.02;    // written to the model, (0, 1)
  int epochs = 5;                 // passes over the training slice, 1-100
  double holdout_fraction = 0.2;  // [0, 0.9]: the latest examples, never trained on
};

struct TrainReport {
  int64_t train_examples = 0, holdout_examples = 0;
  double background_ctr = 0;  // the training slice's CTR: what NE divides by
  Metrics progressive;        // first pass: each example predicted before it is trained on
  Metrics holdout;            // the written model on the held-out slice
  Metrics holdout_reference;  // the reference model on it (when one is given)
  int64_t weights = 0;        // non-zero weights written
  std::string model_text;     // the model file
};

// INVALID_ARGUMENT naming the option ("epochs must be in [1, 100], got 0"); FTRL's as
// ValidateFtrlOptions.
absl::Status ValidateTrainOptions(const TrainOptions& options);

// INVALID_ARGUMENT as ValidateTrainOptions, or when the training slice is empty.
absl::StatusOr<TrainReport> Train(absl::Span<const Example> examples, const TrainOptions& options,
                                  const targeting::CtrModel* reference = nullptr);

// `model`'s predictions for `examples`, each at the slot it was shown in.
std::vector<double> Predict(const targeting::CtrModel& model, absl::Span<const Example> examples);

}  // namespace gavel::learning

#endif  // GAVEL_LEARNING_TRAINER_H_
