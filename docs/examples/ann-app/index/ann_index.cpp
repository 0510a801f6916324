// hnswlib (vendored in hnswlib/) behind CRINN's index ABI, Euclidean only:
// what the application links, and what crinn-tune measures and rewrites.
#include <crinn/abi_support.h>

#include <hnswlib/hnswlib.h>

#include <memory>

struct crinn_index {
  explicit crinn_index(int d) : dim(d), space(d) {}
  int dim;
  hnswlib::L2Space space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
};

extern "C" {

int crinn_abi_version(void) { return CRINN_ABI_VERSION; }

const char* crinn_last_error(void) { return crinn::abi::last_error().c_str(); }

crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params) {
  if (metric != CRINN_METRIC_EUCLIDEAN || (params && *params)) {
    crinn::abi::last_error() = "ann_index: Euclidean distance and default parameters only";
    return nullptr;
  }
  return new crinn_index(dim);
}

int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  return crinn::abi::guarded(-1, [&] {
    index->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&index->space, size_t(n), 16, 200, 100);
    for (int64_t i = 0; i < n; ++i) index->graph->addPoint(data + i * index->dim, hnswlib::labeltype(i));
    return 0;
  });
}

int crinn_index_search(crinn_index* index, const float* query, int k, int ef, int64_t* ids) {
  return crinn::abi::guarded(-1, [&] {
    index->graph->setEf(size_t(ef));
    auto nearest = index->graph->searchKnn(query, size_t(k));
    int found = int(nearest.size());
    for (int i = found - 1; i >= 0; --i, nearest.pop()) ids[i] = int64_t(nearest.top().second);
    return found;
  });
}

// Not cached by crinn-tune (it builds the index of every candidate).
int crinn_index_save(const crinn_index*, const char*) {
  crinn::abi::last_error() = "ann_index: no save";
  return -1;
}
crinn_index* crinn_index_load(const char*) {
  crinn::abi::last_error() = "ann_index: no load";
  return nullptr;
}
void crinn_index_destroy(crinn_index* index) { delete index; }
uint64_t crinn_index_distance_count(const crinn_index*) { return CRINN_NOT_COUNTED; }

}  // extern "C"
