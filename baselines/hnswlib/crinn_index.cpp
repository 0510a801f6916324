// The index ABI over hnswlib (the headers of Debian's libhnswlib-dev), as
// hnswlib's own users call it: addPoint for every row, setEf, searchKnn.
// Angular distance is inner product on unit-length copies, as in hnswlib's
// Python binding.
#include <crinn/abi_support.h>

#include <hnswlib/hnswlib.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <vector>

struct crinn_index {
  int dim = 0;
  crinn_metric metric = CRINN_METRIC_EUCLIDEAN;
  size_t M = 16;
  size_t ef_construction = 200;
  size_t seed = 100;
  std::unique_ptr<hnswlib::SpaceInterface<float>> space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw;

  const float* prepare(const float* vec, std::vector<float>& scratch) const {
    if (metric != CRINN_METRIC_ANGULAR) return vec;
    double norm = 0.0;
    for (int i = 0; i < dim; ++i) norm += double(vec[i]) * vec[i];
    scratch.assign(vec, vec + dim);
    if (norm > 0.0)
      for (float& x : scratch) x = float(x / std::sqrt(norm));
    return scratch.data();
  }

  void make_space() {
    if (metric == CRINN_METRIC_EUCLIDEAN)
      space = std::make_unique<hnswlib::L2Space>(dim);
    else
      space = std::make_unique<hnswlib::InnerProductSpace>(dim);
  }
};

extern "C" {

int crinn_abi_version(void) { return CRINN_ABI_VERSION; }

crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params_text) {
  return crinn::abi::guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    crinn::abi::Params params(params_text);
    auto index = std::make_unique<crinn_index>();
    index->dim = dim;
    index->metric = metric;
    index->M = size_t(params.get_int("M", long(index->M)));
    index->ef_construction = size_t(params.get_int("ef_construction", long(index->ef_construction)));
    index->seed = size_t(params.get_int("seed", 100));
    params.check_all_used();
    index->make_space();
    return index.release();
  });
}

int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  return crinn::abi::guarded(-1, [&] {
    index->hnsw = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        index->space.get(), size_t(n), index->M, index->ef_construction, index->seed);
    std::vector<float> scratch;
    for (int64_t i = 0; i < n; ++i)
      index->hnsw->addPoint(index->prepare(data + i * index->dim, scratch), hnswlib::labeltype(i));
    index->hnsw->metric_distance_computations = 0;
    return 0;
  });
}

int crinn_index_search(crinn_index* index, const float* query, int k, int ef, int64_t* ids) {
  return crinn::abi::guarded(-1, [&] {
    std::vector<float> scratch;
    index->hnsw->setEf(size_t(ef));
    auto nearest = index->hnsw->searchKnn(index->prepare(query, scratch), size_t(k));
    int count = int(nearest.size());
    for (int i = count - 1; i >= 0; --i, nearest.pop()) ids[i] = int64_t(nearest.top().second);
    return count;
  });
}

// hnswlib's file holds the graph and vectors but not the metric, so that and
// the dimension go to a small side file "<path>.meta".
int crinn_index_save(const crinn_index* index, const char* path) {
  return crinn::abi::guarded(-1, [&] {
    index->hnsw->saveIndex(path);
    std::ofstream meta(std::string(path) + ".meta");
    meta << index->dim << ' ' << int(index->metric) << '\n';
    if (!meta) throw std::runtime_error(std::string("cannot write ") + path + ".meta");
    return 0;
  });
}

crinn_index* crinn_index_load(const char* path) {
  return crinn::abi::guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    std::ifstream meta(std::string(path) + ".meta");
    auto index = std::make_unique<crinn_index>();
    int metric = 0;
    if (!(meta >> index->dim >> metric))
      throw std::runtime_error(std::string("cannot read ") + path + ".meta");
    index->metric = crinn_metric(metric);
    index->make_space();
    index->hnsw = std::make_unique<hnswlib::HierarchicalNSW<float>>(index->space.get(), path);
    return index.release();
  });
}

void crinn_index_destroy(crinn_index* index) { delete index; }

uint64_t crinn_index_distance_count(const crinn_index* index) {
  return index->hnsw ? uint64_t(index->hnsw->metric_distance_computations.load()) : 0;
}

const char* crinn_last_error(void) { return crinn::abi::last_error().c_str(); }

}  // extern "C"
