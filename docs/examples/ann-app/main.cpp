// The application: indexes random points with ann_index (through the index
// ABI it exports) and checks its answers against an exact scan.
#include <crinn/index_abi.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

int main() {
  const int dim = 24, n = 4000, queries = 100, k = 10;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> data(size_t(n) * dim), query(size_t(queries) * dim);
  for (float& x : data) x = normal(rng);
  for (float& x : query) x = normal(rng);

  crinn_index* index = crinn_index_create(dim, CRINN_METRIC_EUCLIDEAN, "");
  if (!index || crinn_index_build(index, data.data(), n) != 0) {
    std::fprintf(stderr, "ann_app: %s\n", crinn_last_error());
    return 1;
  }
  int hits = 0;
  std::vector<int64_t> ids(k);
  for (int q = 0; q < queries; ++q) {
    const float* v = &query[size_t(q) * dim];
    std::vector<std::pair<float, int>> exact;
    for (int i = 0; i < n; ++i) {
      float d = 0;
      for (int j = 0; j < dim; ++j) d += (v[j] - data[size_t(i) * dim + j]) * (v[j] - data[size_t(i) * dim + j]);
      exact.emplace_back(d, i);
    }
    std::partial_sort(exact.begin(), exact.begin() + k, exact.end());
    int found = crinn_index_search(index, v, k, 64, ids.data());
    for (int i = 0; i < found; ++i)
      for (int j = 0; j < k; ++j) hits += ids[i] == exact[j].second;
  }
  crinn_index_destroy(index);
  std::printf("ann_app: recall@%d %.3f over %d queries\n", k, double(hits) / (queries * k), queries);
  return 0;
}
