// Turns what a user types after --dataset into a Dataset with ground truth:
//   fashion-mnist-784-euclidean         Debian's dataset-fashion-mnist package
//   path/to/file.hdf5                   an ann-benchmarks file
//   texmex:base=B.fvecs,query=Q.fvecs[,groundtruth=G.ivecs][,metric=euclidean]
//   synthetic:n=2000,queries=100,dim=16,clusters=10,metric=euclidean,seed=1
// Ground truth missing from the source is computed once and cached in
// cache_dir as an ann-benchmarks HDF5 file, which later runs load instead.
#pragma once

#include "Data/Dataset.h"

#include <string>

namespace crinn::data {

constexpr int kGroundTruthK = 100;

// $XDG_CACHE_HOME/crinn, else $HOME/.cache/crinn.
std::string default_cache_dir();

Dataset open_dataset(const std::string& spec, const std::string& cache_dir);

// The Fashion-MNIST IDX files of dataset-fashion-mnist, located with dpkg -L.
struct FashionMnistFiles {
  std::string train_images;
  std::string test_images;
};
FashionMnistFiles find_fashion_mnist_files();

}  // namespace crinn::data
