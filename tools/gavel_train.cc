// gavel_train: trains the click model from training logs (docs/learning.md, "Training"). Reads every
// file given (a directory: its training-*.log files), joins clicks to impressions, trains on all but
// the latest --holdout_fraction, prints the metrics, and writes the model file gavel_server reads.
// The work is learning/'s; this file reads files, parses flags and prints.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/flags_help.h"
#include "learning/dataset.h"
#include "learning/trainer.h"
#include "targeting/ctr_model.h"

ABSL_FLAG(std::string, log, "",
          "Training log files or directories (their training-*.log files), comma-separated");
ABSL_FLAG(std::string, out, "", "Where to write the trained model file (required)");
ABSL_FLAG(std::string, reference_model, "",
          "A model to compare on the held-out slice; empty = the built-in default");
ABSL_FLAG(int, hash_bits, 18, "hash_bits of the written model, 8-20");
ABSL_FLAG(double, baseline_ctr, 0.02, "baseline_ctr of the written model, (0, 1)");
ABSL_FLAG(double, alpha, 0.05, "FTRL learning-rate scale, > 0");
ABSL_FLAG(double, beta, 1.0, "FTRL learning-rate smoothing, >= 0");
ABSL_FLAG(double, l1, 0.0, "FTRL L1 regularisation, >= 0");
ABSL_FLAG(double, l2, 1.0, "FTRL L2 regularisation, >= 0");
ABSL_FLAG(int, epochs, 5, "passes over the training slice, 1-100");
ABSL_FLAG(double, holdout_fraction, 0.2,
          "the latest fraction of impressions, held out for evaluation, [0, 0.9]");

namespace {

using gavel::learning::Example;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The files --log names, directories expanded to their training-*.log files in name order.
absl::StatusOr<std::vector<std::string>> LogFiles(const std::string& flag) {
  std::vector<std::string> files;
  for (absl::string_view item : absl::StrSplit(flag, ',', absl::SkipEmpty())) {
    const std::string path(item);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat("--log: ", path, ": no such file or directory"));
    }
    if (!S_ISDIR(st.st_mode)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> in_dir;
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return absl::NotFoundError(absl::StrCat("--log: ", path, ": cannot list"));
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (absl::StartsWith(name, "training-") && absl::EndsWith(name, ".log")) {
        in_dir.push_back(absl::StrCat(path, "/", name));
      }
    }
    ::closedir(d);
    std::sort(in_dir.begin(), in_dir.end());
    files.insert(files.end(), in_dir.begin(), in_dir.end());
  }
  if (files.empty()) return absl::InvalidArgumentError("--log names no training log file");
  return files;
}

absl::Status WriteModel(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return absl::InternalError(absl::StrCat(tmp, ": cannot write"));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat(path, ": cannot replace"));
  }
  return absl::OkStatus();
}

absl::Status Run() {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) return absl::InvalidArgumentError("--out is required");
  absl::StatusOr<std::vector<std::string>> files = LogFiles(absl::GetFlag(FLAGS_log));
  if (!files.ok()) return files.status();
  std::shared_ptr<const gavel::targeting::CtrModel> reference =
      gavel::targeting::CtrModel::Default();
  if (!absl::GetFlag(FLAGS_reference_model).empty()) {
    auto m = gavel::targeting::CtrModel::LoadFile(absl::GetFlag(FLAGS_reference_model));
    if (!m.ok()) {
      return absl::Status(m.status().code(),
                          absl::StrCat("--reference_model: ", m.status().message()));
    }
    reference = *std::move(m);
  }
  const gavel::learning::TrainOptions options = {
      .ftrl = {.alpha = absl::GetFlag(FLAGS_alpha),
               .beta = absl::GetFlag(FLAGS_beta),
               .l1 = absl::GetFlag(FLAGS_l1),
               .l2 = absl::GetFlag(FLAGS_l2)},
      .hash_bits = absl::GetFlag(FLAGS_hash_bits),
      .baseline_ctr = absl::GetFlag(FLAGS_baseline_ctr),
      .epochs = absl::GetFlag(FLAGS_epochs),
      .holdout_fraction = absl::GetFlag(FLAGS_holdout_fraction)};
  if (absl::Status st = gavel::learning::ValidateTrainOptions(options); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", st.message()));
  }
  gavel::learning::LogJoiner joiner;
  for (const std::string& file : *files) {
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) return text.status();
    if (absl::Status st = joiner.AddFile(file, *text); !st.ok()) return st;
  }
  gavel::learning::JoinStats stats;
  const std::vector<Example> examples = joiner.Finish(&stats);
  std::printf(
      "read %zu files: %lld impressions, %lld clicks (%lld without an impression), %lld duplicate "
      "impressions ignored\n",
      files->size(), static_cast<long long>(stats.impressions),
      static_cast<long long>(stats.clicks), static_cast<long long>(stats.clicks_without_impression),
      static_cast<long long>(stats.duplicate_impressions));
  absl::StatusOr<gavel::learning::TrainReport> r =
      gavel::learning::Train(examples, options, reference.get());
  if (!r.ok()) return r.status();
  std::printf("trained on %lld, held out %lld; background CTR %.6f; %lld weights\n",
              static_cast<long long>(r->train_examples),
              static_cast<long long>(r->holdout_examples), r->background_ctr,
              static_cast<long long>(r->weights));
  std::printf("progressive validation (first pass):\n%s",
              gavel::learning::FormatMetrics(r->progressive).c_str());
  if (r->holdout_examples > 0) {
    std::printf("held out, learned model:\n%s", gavel::learning::FormatMetrics(r->holdout).c_str());
    std::printf("held out, reference model %s:\n%s", reference->version().c_str(),
                gavel::learning::FormatMetrics(r->holdout_reference).c_str());
  }
  if (absl::Status st = WriteModel(out, r->model_text); !st.ok()) return st;
  auto written = gavel::targeting::CtrModel::Parse(r->model_text);
  std::printf("wrote %s (model version %s)\n", out.c_str(), (*written)->version().c_str());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("gavel_train --log=DIR_OR_FILES --out=MODEL.txt [options]");
  gavel::ListOwnFlagsInHelp();
  absl::ParseCommandLine(argc, argv);
  if (absl::Status st = Run(); !st.ok()) {
    std::fprintf(stderr, "gavel_train: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  return 0;
}
