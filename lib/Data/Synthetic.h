// Seeded synthetic datasets for tests: clustered Gaussian points, the same
// bytes for the same spec on any machine (no std:: distributions, whose
// output differs between standard libraries).
#pragma once

#include "Data/Dataset.h"

namespace crinn::data {

struct SyntheticSpec {
  int64_t train = 2000;
  int64_t test = 100;
  int dim = 16;
  int clusters = 10;
  Metric metric = Metric::Euclidean;
  uint64_t seed = 1;
};

// The generator's version: a change to what make_synthetic makes of a spec
// must increase it, as cached sets are named with it.
constexpr int kSyntheticGenerator = 1;

// "n=2000,queries=100,dim=16,clusters=10,metric=euclidean,seed=1", any subset.
SyntheticSpec parse_synthetic_spec(const std::string& text);

// A name holding every field of the spec.
std::string synthetic_name(const SyntheticSpec& spec);

// Train and test points without ground truth.
Dataset make_synthetic(const SyntheticSpec& spec);

}  // namespace crinn::data
