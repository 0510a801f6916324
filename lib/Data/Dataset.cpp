#include "Data/Dataset.h"
#include "Support/Hash.h"

#include <cmath>

namespace crinn::data {

Metric parse_metric(const std::string& name) {
  if (name == "euclidean" || name == "l2") return Metric::Euclidean;
  if (name == "angular" || name == "cosine") return Metric::Angular;
  if (name == "ip" || name == "inner_product") return Metric::InnerProduct;
  throw std::invalid_argument("unknown metric '" + name + "' (euclidean, angular or ip)");
}

std::string metric_name(Metric metric) {
  switch (metric) {
    case Metric::Euclidean: return "euclidean";
    case Metric::Angular: return "angular";
    case Metric::InnerProduct: return "ip";
  }
  return "?";
}

crinn_metric to_abi(Metric metric) {
  switch (metric) {
    case Metric::Euclidean: return CRINN_METRIC_EUCLIDEAN;
    case Metric::Angular: return CRINN_METRIC_ANGULAR;
    case Metric::InnerProduct: return CRINN_METRIC_INNER_PRODUCT;
  }
  return CRINN_METRIC_EUCLIDEAN;
}

double exact_distance(Metric metric, const float* a, const float* b, int dim) {
  if (metric == Metric::Euclidean) {
    double sum = 0.0;
    for (int i = 0; i < dim; ++i) {
      double diff = double(a[i]) - double(b[i]);
      sum += diff * diff;
    }
    return std::sqrt(sum);
  }
  double dot = 0.0, norm_a = 0.0, norm_b = 0.0;
  for (int i = 0; i < dim; ++i) {
    dot += double(a[i]) * b[i];
    norm_a += double(a[i]) * a[i];
    norm_b += double(b[i]) * b[i];
  }
  if (metric == Metric::InnerProduct) return -dot;
  if (norm_a == 0.0 || norm_b == 0.0) return 1.0;
  return 1.0 - dot / std::sqrt(norm_a * norm_b);
}

static void check_finite(const Matrix& m, const std::string& source, const char* what) {
  if (m.rows <= 0 || m.dim <= 0) throw DataError(source, std::string(what) + " is empty");
  const float* values = m.data();
  for (size_t i = 0; i < m.size(); ++i)
    if (!std::isfinite(values[i]))
      throw DataError(source, std::string(what) + " row " + std::to_string(i / size_t(m.dim)) +
                                  " holds a NaN or infinite value");
}

void validate(const Dataset& dataset, const std::string& train_source, const std::string& test_source) {
  check_finite(dataset.train, train_source, "train");
  check_finite(dataset.test, test_source, "test");
  if (dataset.train.dim != dataset.test.dim)
    throw DataError(test_source, "dimension mismatch: train has " + std::to_string(dataset.train.dim) +
                                     " columns, test has " + std::to_string(dataset.test.dim));
  const GroundTruth& truth = dataset.truth;
  if (truth.empty()) return;
  size_t expected = size_t(dataset.test.rows) * size_t(truth.k);
  if (truth.ids.size() != expected || truth.distances.size() != expected)
    throw DataError(test_source, "ground truth does not have " + std::to_string(truth.k) + " neighbours for each of the " +
                                     std::to_string(dataset.test.rows) + " test rows");
  for (int32_t id : truth.ids)
    if (id < 0 || id >= dataset.train.rows)
      throw DataError(test_source, "ground truth id " + std::to_string(id) + " is outside train");
}

std::string train_fingerprint(const Dataset& dataset) {
  const Matrix& train = dataset.train;
  return support::Hash()
      .add(metric_name(dataset.metric))
      .add(uint64_t(train.rows))
      .add(uint64_t(train.dim))
      .add_bytes(train.data(), train.size() * sizeof(float))
      .hex();
}

void limit_queries(Dataset& dataset, int64_t count) {
  if (count <= 0 || count >= dataset.test.rows) return;
  dataset.test.rows = count;
  dataset.test.values.resize(size_t(count) * dataset.test.dim);
  if (!dataset.truth.empty()) {
    dataset.truth.ids.resize(size_t(count) * dataset.truth.k);
    dataset.truth.distances.resize(size_t(count) * dataset.truth.k);
  }
}

}  // namespace crinn::data
