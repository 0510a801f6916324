// Exact search by a full scan: the floor every approximate index must beat,
// and the one index whose recall is 1 by construction.
#include <crinn/abi_support.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <queue>
#include <vector>

struct crinn_index {
  int dim = 0;
  crinn_metric metric = CRINN_METRIC_EUCLIDEAN;
  std::vector<float> rows;
  uint64_t distance_count = 0;

  void normalize(float* vec) const {
    double norm = 0.0;
    for (int i = 0; i < dim; ++i) norm += double(vec[i]) * vec[i];
    if (norm > 0.0)
      for (int i = 0; i < dim; ++i) vec[i] = float(vec[i] / std::sqrt(norm));
  }

  float distance(const float* a, const float* b) const {
    float sum = 0.0f;
    if (metric == CRINN_METRIC_EUCLIDEAN) {
      for (int i = 0; i < dim; ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
      return sum;
    }
    for (int i = 0; i < dim; ++i) sum += a[i] * b[i];
    return -sum;
  }
};

extern "C" {

int crinn_abi_version(void) { return CRINN_ABI_VERSION; }

int crinn_index_uses_ef(void) { return 0; }

crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params_text) {
  return crinn::abi::guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    crinn::abi::Params(params_text).check_all_used();
    auto* index = new crinn_index;
    index->dim = dim;
    index->metric = metric;
    return index;
  });
}

int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  return crinn::abi::guarded(-1, [&] {
    index->rows.assign(data, data + n * index->dim);
    if (index->metric == CRINN_METRIC_ANGULAR)
      for (int64_t i = 0; i < n; ++i) index->normalize(&index->rows[size_t(i) * index->dim]);
    return 0;
  });
}

int crinn_index_search(crinn_index* index, const float* query, int k, int, int64_t* ids) {
  return crinn::abi::guarded(-1, [&] {
    std::vector<float> q(query, query + index->dim);
    if (index->metric == CRINN_METRIC_ANGULAR) index->normalize(q.data());
    std::priority_queue<std::pair<float, int64_t>> nearest;  // the furthest on top
    int64_t n = int64_t(index->rows.size() / size_t(index->dim));
    for (int64_t i = 0; i < n; ++i) {
      float d = index->distance(q.data(), &index->rows[size_t(i) * index->dim]);
      if (int(nearest.size()) < k) {
        nearest.emplace(d, i);
      } else if (d < nearest.top().first) {
        nearest.pop();
        nearest.emplace(d, i);
      }
    }
    index->distance_count += uint64_t(n);
    int count = int(nearest.size());
    for (int i = count - 1; i >= 0; --i, nearest.pop()) ids[i] = nearest.top().second;
    return count;
  });
}

int crinn_index_save(const crinn_index* index, const char* path) {
  return crinn::abi::guarded(-1, [&] {
    std::ofstream out(path, std::ios::binary);
    uint64_t count = index->rows.size();
    out.write(reinterpret_cast<const char*>(&index->dim), sizeof(int));
    out.write(reinterpret_cast<const char*>(&index->metric), sizeof(int));
    out.write(reinterpret_cast<const char*>(&count), sizeof(count));
    out.write(reinterpret_cast<const char*>(index->rows.data()), count * sizeof(float));
    if (!out) throw std::runtime_error(std::string("cannot write ") + path);
    return 0;
  });
}

crinn_index* crinn_index_load(const char* path) {
  return crinn::abi::guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    std::ifstream in(path, std::ios::binary);
    auto index = std::make_unique<crinn_index>();
    uint64_t count = 0;
    in.read(reinterpret_cast<char*>(&index->dim), sizeof(int));
    in.read(reinterpret_cast<char*>(&index->metric), sizeof(int));
    in.read(reinterpret_cast<char*>(&count), sizeof(count));
    index->rows.resize(count);
    in.read(reinterpret_cast<char*>(index->rows.data()), count * sizeof(float));
    if (!in) throw std::runtime_error(std::string(path) + " is not a complete brute-force index");
    return index.release();
  });
}

void crinn_index_destroy(crinn_index* index) { delete index; }

uint64_t crinn_index_distance_count(const crinn_index* index) { return index->distance_count; }

const char* crinn_last_error(void) { return crinn::abi::last_error().c_str(); }

}  // extern "C"
