// Click-model training throughput (docs/learning.md, "Training"): gavel_train's work per training
// record, on the synthetic truth of learning/synthetic.h (about 7 features and a slot per record).
//   BM_FtrlUpdate: one FTRL-Proximal step on an already encoded record (the inner loop).
//   BM_TrainOneEpoch: Train() end to end: encoding (hashing every feature string), one pass,
//     writing and re-parsing the model. items_per_second is training records per second, one core.
//
//   bazel run -c opt //bench:learning_bench
#include <cstdint>
#include <vector>

#include "benchmark/benchmark.h"
#include "learning/ftrl.h"
#include "learning/synthetic.h"
#include "learning/trainer.h"
#include "targeting/ctr_model.h"

namespace gavel::learning {
namespace {

using targeting::CtrModel;

const std::vector<Example>& Examples() {
  static const auto* const kExamples =
      new std::vector<Example>(SyntheticExamples(*MakeTruth(1).model, 200'000, 2));
  return *kExamples;
}

void BM_FtrlUpdate(benchmark::State& state) {
  constexpr int kHashBits = 18;
  std::vector<std::vector<uint32_t>> encoded;
  for (const Example& ex : Examples()) {
    std::vector<uint32_t> x = {0};
    for (const Feature& f : ex.features) {
      x.push_back(static_cast<uint32_t>(CtrModel::BucketOf(kHashBits, *CtrModel::KeyOf(f))));
    }
    encoded.push_back(std::move(x));
  }
  Ftrl ftrl(size_t{CtrModel::kTemplates} << kHashBits, FtrlOptions{});
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ftrl.Update(encoded[i], Examples()[i].clicked));
    if (++i == encoded.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FtrlUpdate);

void BM_TrainOneEpoch(benchmark::State& state) {
  const std::vector<Example>& examples = Examples();
  for (auto _ : state) {
    auto r = Train(examples, {.epochs = 1, .holdout_fraction = 0});
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(examples.size()));
}
BENCHMARK(BM_TrainOneEpoch)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gavel::learning
