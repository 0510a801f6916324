#include "Data/Sample.h"

#include "Data/GroundTruth.h"
#include "Data/Registry.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace crinn::data {

std::string sample_name(const std::string& full_name, int64_t rows, uint64_t seed) {
  return full_name + "-sample" + std::to_string(rows) + "-s" + std::to_string(seed);
}

Dataset sample_train(const Dataset& full, int64_t rows, uint64_t seed) {
  if (rows <= 0 || rows >= full.train.rows)
    throw DataError(full.name, "a sample of " + std::to_string(rows) + " train vectors: the set has " +
                                   std::to_string(full.train.rows) + ", so a sample must be smaller");
  // A partial Fisher-Yates shuffle over mt19937_64, whose output the standard
  // fixes: the same sample for the same seed on any machine.
  std::vector<int64_t> ids(size_t(full.train.rows));
  std::iota(ids.begin(), ids.end(), int64_t(0));
  std::mt19937_64 engine(seed);
  for (int64_t i = 0; i < rows; ++i) std::swap(ids[size_t(i)], ids[size_t(i + int64_t(engine() % uint64_t(full.train.rows - i)))]);
  ids.resize(size_t(rows));
  std::sort(ids.begin(), ids.end());

  Dataset sample;
  sample.name = sample_name(full.name, rows, seed);
  sample.metric = full.metric;
  sample.train.rows = rows;
  sample.train.dim = full.train.dim;
  sample.train.values.resize(sample.train.size());
  for (int64_t i = 0; i < rows; ++i)
    std::copy(full.train.row(ids[size_t(i)]), full.train.row(ids[size_t(i)]) + full.train.dim,
              sample.train.values.begin() + i * full.train.dim);
  sample.test = full.test;
  sample.truth = compute_ground_truth(sample, full.truth.empty() ? kGroundTruthK : full.truth.k);
  return sample;
}

}  // namespace crinn::data
