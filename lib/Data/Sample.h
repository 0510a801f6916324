// A sample of a big dataset to tune on (crinn-tune --tune-sample): a seeded
// uniform choice of train vectors, the same queries, and exact ground truth
// computed for the sample, so recall on it is recall against what it holds.
#pragma once

#include "Data/Dataset.h"

namespace crinn::data {

// `rows` train vectors of `full` (fewer than it has), in their original order.
Dataset sample_train(const Dataset& full, int64_t rows, uint64_t seed);

// The name sample_train gives that sample ("<full name>-sample<rows>-s<seed>").
std::string sample_name(const std::string& full_name, int64_t rows, uint64_t seed);

}  // namespace crinn::data
