// The index ABI over hnsw::Index.
#include "hnsw.h"

#include <crinn/abi_support.h>

#include <vector>

struct crinn_index {
  hnsw::Index index;
};

namespace {
hnsw::Metric to_hnsw_metric(crinn_metric metric) {
  switch (metric) {
    case CRINN_METRIC_EUCLIDEAN: return hnsw::Metric::L2;
    case CRINN_METRIC_ANGULAR: return hnsw::Metric::Cosine;
    case CRINN_METRIC_INNER_PRODUCT: return hnsw::Metric::InnerProduct;
  }
  throw std::invalid_argument("unknown metric");
}
}  // namespace

extern "C" {

int crinn_abi_version(void) { return CRINN_ABI_VERSION; }

crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params_text) {
  return crinn::abi::guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    crinn::abi::Params params(params_text);
    hnsw::Params hnsw_params;
    hnsw_params.M = int(params.get_int("M", hnsw_params.M));
    hnsw_params.ef_construction = int(params.get_int("ef_construction", hnsw_params.ef_construction));
    hnsw_params.seed = unsigned(params.get_int("seed", hnsw_params.seed));
    params.check_all_used();
    return new crinn_index{hnsw::Index(dim, to_hnsw_metric(metric), hnsw_params)};
  });
}

int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  return crinn::abi::guarded(-1, [&] {
    for (int64_t i = 0; i < n; ++i) index->index.add(data + i * index->index.dim());
    return 0;
  });
}

int crinn_index_search(crinn_index* index, const float* query, int k, int ef, int64_t* ids) {
  return crinn::abi::guarded(-1, [&] {
    std::vector<int> found = index->index.search(query, k, ef);
    for (size_t i = 0; i < found.size(); ++i) ids[i] = found[i];
    return int(found.size());
  });
}

int crinn_index_save(const crinn_index* index, const char* path) {
  return crinn::abi::guarded(-1, [&] {
    index->index.save(path);
    return 0;
  });
}

crinn_index* crinn_index_load(const char* path) {
  return crinn::abi::guarded<crinn_index*>(
      nullptr, [&] { return new crinn_index{hnsw::Index::load(path)}; });
}

void crinn_index_destroy(crinn_index* index) { delete index; }

uint64_t crinn_index_distance_count(const crinn_index* index) {
  return index->index.distance_computations();
}

const char* crinn_last_error(void) { return crinn::abi::last_error().c_str(); }

}  // extern "C"
