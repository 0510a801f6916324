// Datasets in the shape ann-benchmarks gives them: a train matrix to index, a
// test matrix of queries, and the exact top-k neighbours of every query with
// their distances (ground truth).
#pragma once

#include "crinn/index_abi.h"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace crinn::data {

enum class Metric { Euclidean, Angular, InnerProduct };

// "euclidean", "angular", "ip" (ann-benchmarks' spellings); throws on others.
Metric parse_metric(const std::string& name);
std::string metric_name(Metric metric);
crinn_metric to_abi(Metric metric);

// Bad input: the message names the file (or dataset) and the problem.
class DataError : public std::runtime_error {
 public:
  DataError(const std::string& source, const std::string& problem)
      : std::runtime_error(source + ": " + problem) {}
};

struct Matrix {
  int64_t rows = 0;
  int dim = 0;
  std::vector<float> values;  // row-major, rows x dim; empty when the rows are mapped
  // The rows read in place from a memory-mapped file (HDF5 contiguous data),
  // so a big train set is neither copied nor resident until it is read; the
  // mapping lives as long as any copy of the matrix.
  std::shared_ptr<const void> mapping;
  const float* mapped_rows = nullptr;

  const float* data() const { return mapped_rows ? mapped_rows : values.data(); }
  size_t size() const { return size_t(rows) * size_t(dim); }
  const float* row(int64_t i) const { return data() + i * dim; }
};

struct GroundTruth {
  int k = 0;                     // neighbours per query
  std::vector<int32_t> ids;      // queries x k, nearest first
  std::vector<float> distances;  // queries x k, as ann-benchmarks stores them

  bool empty() const { return k == 0; }
};

struct Dataset {
  std::string name;
  Metric metric = Metric::Euclidean;
  Matrix train;
  Matrix test;
  GroundTruth truth;
};

// The distance ann-benchmarks reports for this metric, in double precision:
// L2 (not squared), cosine distance 1 - cos, or negative inner product.
double exact_distance(Metric metric, const float* a, const float* b, int dim);

// Throws DataError on NaN/inf values or empty matrices, naming the file the
// matrix came from (`train_source`, `test_source`: the same file for HDF5,
// the base and query files for texmex), and on a train/test dimension
// mismatch or ground truth that does not fit the test set, naming `test_source`.
void validate(const Dataset& dataset, const std::string& train_source, const std::string& test_source);

// A hash of all an index is built from, the metric and the train matrix: the
// dataset's part of an index cache key (16 hex digits).
std::string train_fingerprint(const Dataset& dataset);

// Keeps the first `count` queries (and their ground truth).
void limit_queries(Dataset& dataset, int64_t count);

}  // namespace crinn::data
