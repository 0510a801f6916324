// Seeded synthetic datasets: clustered Gaussian points, the same bytes for the
// same spec on any machine (no std:: distributions, whose output differs
// between standard libraries). By default clusters are equally likely and
// isotropic, which is fine for tests but harder than real embeddings, whose
// points lie near low-dimensional pieces: with intrinsic=k each cluster spreads
// along k random directions of decaying scale (plus faint isotropic noise) and
// cluster sizes follow Zipf's law, as in descriptor and embedding sets.
#pragma once

#include "Data/Dataset.h"

namespace crinn::data {

struct SyntheticSpec {
  int64_t train = 2000;
  int64_t test = 100;
  int dim = 16;
  int clusters = 10;
  int intrinsic = 0;  // 0: isotropic unit noise, equally likely clusters
  Metric metric = Metric::Euclidean;
  uint64_t seed = 1;
};

// The generator's version: a change to what make_synthetic makes of a spec
// must increase it, as cached sets are named with it.
constexpr int kSyntheticGenerator = 1;

// "n=2000,queries=100,dim=16,clusters=10,intrinsic=8,metric=euclidean,seed=1",
// any subset.
SyntheticSpec parse_synthetic_spec(const std::string& text);

// A name holding every field of the spec (intrinsic only when set, so that
// the names of earlier specs stay as they were).
std::string synthetic_name(const SyntheticSpec& spec);

// Train and test points without ground truth.
Dataset make_synthetic(const SyntheticSpec& spec);

}  // namespace crinn::data
