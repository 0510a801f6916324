#include "Data/GroundTruth.h"
#include "Support/Progress.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace crinn::data {
namespace {

constexpr int64_t kQueryBlock = 256;
constexpr int64_t kTrainBlock = 4096;
constexpr int kRerankMargin = 32;
// Multiply-adds (train rows x queries x dimension) past which the work is
// shown as it goes: about ten seconds of single-threaded BLAS.
constexpr double kShowProgressFrom = 1e11;

// The rows ranked: the matrix's own, or for angular a copy scaled to unit
// length (`scaled` holds it).
const float* ranking_rows(const Matrix& m, Metric metric, std::vector<float>& scaled) {
  if (metric != Metric::Angular) return m.data();
  scaled.assign(m.data(), m.data() + m.size());
  for (int64_t r = 0; r < m.rows; ++r) {
    float* row = &scaled[size_t(r) * m.dim];
    double norm = 0.0;
    for (int d = 0; d < m.dim; ++d) norm += double(row[d]) * row[d];
    if (norm > 0.0)
      for (int d = 0; d < m.dim; ++d) row[d] = float(row[d] / std::sqrt(norm));
  }
  return scaled.data();
}

}  // namespace

GroundTruth compute_ground_truth(const Dataset& dataset, int k) {
  const Matrix& train = dataset.train;
  const Matrix& test = dataset.test;
  const int dim = train.dim;
  k = int(std::min<int64_t>(k, train.rows));
  const int keep = int(std::min<int64_t>(k + kRerankMargin, train.rows));

  std::vector<float> scaled_train, scaled_test;
  const float* train_rows = ranking_rows(train, dataset.metric, scaled_train);
  const float* test_rows = ranking_rows(test, dataset.metric, scaled_test);
  // Euclidean ranks by |x|^2 - 2<q, x>, the squared distance less |q|^2.
  std::vector<float> train_norms(size_t(train.rows), 0.0f);
  if (dataset.metric == Metric::Euclidean)
    for (int64_t r = 0; r < train.rows; ++r)
      train_norms[size_t(r)] = cblas_sdot(dim, &train_rows[size_t(r) * dim], 1, &train_rows[size_t(r) * dim], 1);

  GroundTruth truth;
  truth.k = k;
  truth.ids.resize(size_t(test.rows) * k);
  truth.distances.resize(size_t(test.rows) * k);

  using Scored = std::pair<float, int32_t>;
  std::vector<float> products(size_t(kQueryBlock * kTrainBlock));
  std::vector<std::vector<Scored>> heaps;  // max-heaps of the best `keep` per query

  std::optional<support::Progress> progress;
  if (double(train.rows) * double(test.rows) * dim >= kShowProgressFrom)
    progress.emplace("ground truth of " + dataset.name + " (queries)", test.rows);
  for (int64_t q0 = 0; q0 < test.rows; q0 += kQueryBlock) {
    if (progress) progress->update(q0);
    const int64_t queries = std::min(kQueryBlock, test.rows - q0);
    heaps.assign(size_t(queries), {});
    for (int64_t t0 = 0; t0 < train.rows; t0 += kTrainBlock) {
      const int64_t points = std::min(kTrainBlock, train.rows - t0);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(queries), int(points), dim, 1.0f,
                  &test_rows[size_t(q0) * dim], dim, &train_rows[size_t(t0) * dim], dim, 0.0f,
                  products.data(), int(points));
      for (int64_t q = 0; q < queries; ++q) {
        std::vector<Scored>& heap = heaps[size_t(q)];
        const float* row = &products[size_t(q * points)];
        for (int64_t t = 0; t < points; ++t) {
          float score = train_norms[size_t(t0 + t)] - (dataset.metric == Metric::Euclidean ? 2.0f : 1.0f) * row[t];
          if (int(heap.size()) < keep) {
            heap.emplace_back(score, int32_t(t0 + t));
            std::push_heap(heap.begin(), heap.end());
          } else if (score < heap.front().first) {
            std::pop_heap(heap.begin(), heap.end());
            heap.back() = {score, int32_t(t0 + t)};
            std::push_heap(heap.begin(), heap.end());
          }
        }
      }
    }
    for (int64_t q = 0; q < queries; ++q) {
      const float* query = test.row(q0 + q);
      std::vector<std::pair<double, int32_t>> exact;
      for (const Scored& candidate : heaps[size_t(q)])
        exact.emplace_back(exact_distance(dataset.metric, query, train.row(candidate.second), dim),
                           candidate.second);
      std::sort(exact.begin(), exact.end());
      for (int i = 0; i < k; ++i) {
        truth.ids[size_t((q0 + q) * k + i)] = exact[size_t(i)].second;
        truth.distances[size_t((q0 + q) * k + i)] = float(exact[size_t(i)].first);
      }
    }
  }
  if (progress) {
    progress->update(test.rows);
    progress->finish();
  }
  return truth;
}

}  // namespace crinn::data
