// Readers and writers for the file formats ANN datasets come in. Every reader
// throws DataError naming the file on a missing, truncated or malformed file.
#pragma once

#include "Data/Dataset.h"

#include <climits>
#include <cstdint>
#include <string>

namespace crinn::data {

// What a header may declare, checked before anything of that size is made: a
// row of at most 2^24 values, rows that the int32 ids of ground truth can
// name, and no more bytes than the file can hold (for compressed data, its
// size times deflate's largest expansion).
constexpr int64_t kMaxDimension = int64_t(1) << 24;
constexpr int64_t kMaxRows = INT32_MAX;
constexpr int64_t kMaxDeflateRatio = 1032;

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
