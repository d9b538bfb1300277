// One line of the training log (docs/learning.md, "Training log"): an impression the server showed,
// with the click model's features as the model file names them, or a click on one. A trainer joins
// the two through (auction_id, slot), the identity the click token carries.
//
//   std::string line = EncodeImpression(impression);   // "I\t...\n"
//   absl::StatusOr<LogRecord> r = ParseRecord(line_without_newline);
//
// Pure: no I/O, no clock. Thread-safe (no state).
#ifndef GAVEL_LEARNING_TRAINING_RECORD_H_
#define GAVEL_LEARNING_TRAINING_RECORD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "targeting/ctr_model.h"

namespace gavel::learning {

// The first line of every log file; a file that starts otherwise is refused.
inline constexpr absl::string_view kLogHeader = "gavel-training-log v1";

// One click-model feature as the model file names it (targeting/ctr_model.h).
using Feature = targeting::NamedFeature;

struct Impression {
  int64_t time_micros = 0;  // Unix microseconds when the auction ran
  std::string auction_id;
  int32_t slot = 0;           // 1-based
  std::string model_version;  // CtrModel::version() of the model that scored it
  uint64_t shopper_hash = 0;  // keyed hash of the user id (0: anonymous); never the id
  // Every feature the model summed except the slot, which is `slot` above.
  std::vector<Feature> features;
};

struct Click {
  int64_t time_micros = 0;  // Unix microseconds when the server accepted it
  std::string auction_id;
  int32_t slot = 0;
};

struct LogRecord {
  enum class Kind { kImpression, kClick } kind = Kind::kImpression;
  Impression impression;  // kImpression
  Click click;            // kClick
};

// One line each, ending in '\n'. Fields are tab-separated; tab, newline, '%' and space in values
// are percent-escaped (%09, %0A, %25, %20).
std::string EncodeImpression(const Impression& r);
std::string EncodeClick(const Click& r);

// Parses one line (without its '\n'). INVALID_ARGUMENT saying what is wrong: "unknown record kind
// \"X\"", "expected at least 6 fields, got 3", "bad slot \"0\"", "bad feature \"foo\"", ...
// The caller adds the file and line.
absl::StatusOr<LogRecord> ParseRecord(absl::string_view line);

}  // namespace gavel::learning

#endif  // GAVEL_LEARNING_TRAINING_RECORD_H_
