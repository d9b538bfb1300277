// Training examples from training log files (docs/learning.md, "Training log"): impressions joined
// with their clicks through (auction_id, slot), in time order.
//
//   LogJoiner joiner;
//   absl::Status st = joiner.AddFile("training-...-0.log", text);   // for every file, any order
//   std::vector<Example> examples = joiner.Finish(&stats);
//
// Pure: the caller reads the files. Not thread-safe.
#ifndef GAVEL_LEARNING_DATASET_H_
#define GAVEL_LEARNING_DATASET_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "learning/training_record.h"

namespace gavel::learning {

struct Example {
  int64_t time_micros = 0;
  int32_t slot = 1;  // where it was shown
  bool clicked = false;
  std::vector<Feature> features;  // as logged: without the slot
};

struct JoinStats {
  int64_t impressions = 0;
  int64_t clicks = 0;                 // click records read
  int64_t clicks_without_impression = 0;  // their impression is in no file read
  int64_t duplicate_impressions = 0;      // a second record for one (auction_id, slot): ignored
};

class LogJoiner {
 public:
  // Parses one file's text. INVALID_ARGUMENT naming the file and line, on: a first line that is
  // not the header ("<file> line 1: unknown training log version \"gavel-training-log v2\", this
  // trainer reads v1", or "... not a training log ..."), a last line without its newline
  // ("<file> line 9: truncated record (no newline at the end of the file)"), a bad record
  // ("<file> line 3: bad slot \"0\" (want 1-40)"), or a feature the model format does not know
  // ("<file> line 3: unknown feature \"colour\""). Nothing of a refused file is kept.
  absl::Status AddFile(absl::string_view name, absl::string_view text);
  // Every impression read, sorted by time (stable), labelled clicked if any click joins it.
  std::vector<Example> Finish(JoinStats* stats);

 private:
  std::vector<Example> examples_;
  absl::flat_hash_map<std::pair<std::string, int32_t>, size_t> index_;
  std::vector<std::pair<std::string, int32_t>> clicks_;
  JoinStats stats_;
};

}  // namespace gavel::learning

#endif  // GAVEL_LEARNING_DATASET_H_
