// C ABI glue for quadgraph::FlatGraph.
#include <memory>
#include <stdexcept>

#include "crinn/abi_support.h"
#include "crinn/index_abi.h"
#include "flat_graph.h"

using crinn::abi::guarded;

struct crinn_index {
  std::unique_ptr<quadgraph::FlatGraph> graph;
};

extern "C" {

int crinn_abi_version(void) { return CRINN_ABI_VERSION; }

int crinn_index_uses_ef(void) { return 1; }

crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params) {
  return guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    if (dim <= 0) throw std::invalid_argument("quadgraph: dim must be positive");
    if (metric != CRINN_METRIC_EUCLIDEAN && metric != CRINN_METRIC_ANGULAR)
      throw std::invalid_argument("quadgraph: only euclidean and angular metrics are supported");
    crinn::abi::Params p(params);
    quadgraph::BuildOpts opts;
    const long R = p.get_int("R", long(opts.degree));
    const long L = p.get_int("L", long(opts.beam));
    p.check_all_used();
    if (R <= 0 || L <= 0) throw std::invalid_argument("quadgraph: R and L must be positive");
    opts.degree = unsigned(R);
    opts.beam = unsigned(L);
    auto* h = new crinn_index;
    h->graph.reset(new quadgraph::FlatGraph(unsigned(dim), metric == CRINN_METRIC_ANGULAR, opts));
    return h;
  });
}

int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  return guarded<int>(-1, [&] {
    if (!index || !data || n <= 0) throw std::invalid_argument("quadgraph: bad build arguments");
    index->graph->build(data, std::size_t(n));
    return 0;
  });
}

int crinn_index_search(crinn_index* index, const float* query, int k, int ef, int64_t* ids) {
  return guarded<int>(-1, [&] {
    if (!index || !query || !ids || k <= 0) throw std::invalid_argument("quadgraph: bad search arguments");
    return int(index->graph->query(query, unsigned(k), unsigned(ef > 0 ? ef : k), ids));
  });
}

int crinn_index_save(const crinn_index* index, const char* path) {
  return guarded<int>(-1, [&] {
    if (!index || !path) throw std::invalid_argument("quadgraph: bad save arguments");
    index->graph->save(path);
    return 0;
  });
}

crinn_index* crinn_index_load(const char* path) {
  return guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    if (!path) throw std::invalid_argument("quadgraph: null path");
    std::unique_ptr<quadgraph::FlatGraph> g(quadgraph::FlatGraph::load(path));
    auto* h = new crinn_index;
    h->graph = std::move(g);
    return h;
  });
}

void crinn_index_destroy(crinn_index* index) { delete index; }

uint64_t crinn_index_distance_count(const crinn_index* index) {
  return index ? index->graph->distances() : CRINN_NOT_COUNTED;
}

const char* crinn_last_error(void) { return crinn::abi::last_error().c_str(); }

}  // extern "C"
