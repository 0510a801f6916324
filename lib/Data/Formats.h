// Readers and writers for the file formats ANN datasets come in. Every reader
// throws DataError naming the file on a missing, truncated or malformed file.
#pragma once

#include "Data/Dataset.h"

#include <string>

namespace crinn::data {

// ann-benchmarks HDF5: datasets train, test and (optional) neighbors and
// distances; attribute "distance" names the metric.
Dataset load_hdf5(const std::string& path);

// Writes the ann-benchmarks layout to a temporary file renamed over `path`, so
// a reader never sees half a file.
void save_hdf5(const Dataset& dataset, const std::string& path);

// TEXMEX: each vector is an int32 dimension followed by that many values
// (float for fvecs, uint8 for bvecs, int32 for ivecs).
Matrix load_fvecs(const std::string& path);
Matrix load_bvecs(const std::string& path);
std::vector<std::vector<int32_t>> load_ivecs(const std::string& path);

// IDX (the MNIST image format), gzip-compressed or not: unsigned-byte images
// as float rows of height x width values.
Matrix load_idx_images(const std::string& path);

}  // namespace crinn::data
