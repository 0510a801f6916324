// crinn index ABI on top of lgraph::LayeredGraph.
#include "layered_graph.h"

#include "crinn/abi_support.h"

#include <fstream>

namespace lgraph {
namespace {

// What crinn_index* points at; the graph is created by build(), once the
// number of elements is known.
struct IndexHandle {
  int dim = 0;
  crinn_metric metric = CRINN_METRIC_EUCLIDEAN;
  size_t M = kDefaultM;
  size_t ef_construction = kDefaultEfConstruction;
  std::unique_ptr<LayeredGraph> graph;
  std::vector<float> unit;  // normalised copy of a vector, angular metric only

  const float* prepare(const float* v) {
    if (metric != CRINN_METRIC_ANGULAR) return v;
    float norm = 0.0f;
    for (int i = 0; i < dim; i++) norm += v[i] * v[i];
    float inv = norm > 0.0f ? 1.0f / std::sqrt(norm) : 0.0f;
    for (int i = 0; i < dim; i++) unit[i] = v[i] * inv;
    return unit.data();
  }
};

IndexHandle* handle(const crinn_index* index) {
  return reinterpret_cast<IndexHandle*>(const_cast<crinn_index*>(index));
}

}  // namespace
}  // namespace lgraph

using crinn::abi::guarded;
using lgraph::IndexHandle;

extern "C" {

int crinn_abi_version(void) { return CRINN_ABI_VERSION; }
int crinn_index_uses_ef(void) { return 1; }
const char* crinn_last_error(void) { return crinn::abi::last_error().c_str(); }

crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params) {
  return guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    if (dim <= 0) throw std::invalid_argument("dim must be positive");
    if (metric < CRINN_METRIC_EUCLIDEAN || metric > CRINN_METRIC_INNER_PRODUCT)
      throw std::invalid_argument("unknown metric");
    crinn::abi::Params p(params);
    auto h = std::make_unique<IndexHandle>();
    h->dim = dim;
    h->metric = metric;
    h->M = p.get_int("M", static_cast<long>(lgraph::kDefaultM));
    h->ef_construction = p.get_int("ef_construction", static_cast<long>(h->ef_construction));
    p.check_all_used();
    if (h->M < 2 || h->M > 4096 || h->ef_construction < 1)
      throw std::invalid_argument("need 2 <= M <= 4096 and ef_construction >= 1");
    h->unit.resize(dim);
    return reinterpret_cast<crinn_index*>(h.release());
  });
}

int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  return guarded<int>(-1, [&]() -> int {
    IndexHandle* h = lgraph::handle(index);
    if (h->graph || n < 0 || n > 0xffffffffLL) throw std::logic_error("bad build call");
    lgraph::Space space{static_cast<size_t>(h->dim), h->metric == CRINN_METRIC_EUCLIDEAN
                                                         ? lgraph::SpaceKind::L2
                                                         : lgraph::SpaceKind::InnerProduct};
    h->graph = std::make_unique<lgraph::LayeredGraph>(space, n, h->M, h->ef_construction);
    for (int64_t i = 0; i < n; i++) h->graph->addPoint(h->prepare(data + i * h->dim), i);
    return 0;
  });
}

int crinn_index_search(crinn_index* index, const float* query, int k, int ef, int64_t* ids) {
  return guarded<int>(-1, [&]() -> int {
    IndexHandle* h = lgraph::handle(index);
    if (!h->graph) throw std::logic_error("the index is not built");
    if (k <= 0) return 0;
    auto found = h->graph->searchKnn(h->prepare(query), k, ef > 0 ? ef : k);
    for (size_t i = 0; i < found.size(); i++) ids[i] = static_cast<int64_t>(found[i].second);
    return static_cast<int>(found.size());
  });
}

int crinn_index_save(const crinn_index* index, const char* path) {
  return guarded<int>(-1, [&]() -> int {
    const IndexHandle* h = lgraph::handle(index);
    if (!h->graph) throw std::logic_error("the index is not built");
    std::ofstream out(path, std::ios::binary);
    int metric = h->metric;
    out.write(reinterpret_cast<const char*>(&metric), sizeof(metric));
    h->graph->saveIndex(out);
    out.close();
    if (!out) throw std::runtime_error(std::string("failed writing ") + path);
    return 0;
  });
}

crinn_index* crinn_index_load(const char* path) {
  return guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    std::ifstream in(path, std::ios::binary);
    int metric = -1;
    in.read(reinterpret_cast<char*>(&metric), sizeof(metric));
    if (!in || metric < CRINN_METRIC_EUCLIDEAN || metric > CRINN_METRIC_INNER_PRODUCT)
      throw std::runtime_error(std::string("cannot read an index from ") + path);
    auto h = std::make_unique<IndexHandle>();
    h->metric = static_cast<crinn_metric>(metric);
    h->graph = lgraph::LayeredGraph::loadIndex(in);
    h->dim = static_cast<int>(h->graph->dimension());
    h->unit.resize(h->dim);
    return reinterpret_cast<crinn_index*>(h.release());
  });
}

void crinn_index_destroy(crinn_index* index) { delete lgraph::handle(index); }

uint64_t crinn_index_distance_count(const crinn_index* index) {
  const IndexHandle* h = lgraph::handle(index);
  return h->graph ? h->graph->distanceComputations() : 0;
}

}  // extern "C"
