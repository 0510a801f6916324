// The index ABI over faiss::IndexHNSWFlat from Debian's libfaiss-dev. Debian
// builds faiss generically (no AVX2 kernels), which its numbers must say.
// Single-threaded like every index crinn-bench measures: OpenMP is pinned to
// one thread. Angular distance is inner product on unit-length copies.
#include <crinn/abi_support.h>

#include <faiss/IndexHNSW.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <vector>

struct crinn_index {
  int dim = 0;
  crinn_metric metric = CRINN_METRIC_EUCLIDEAN;
  std::unique_ptr<faiss::IndexHNSWFlat> hnsw;

  void normalize_rows(std::vector<float>& rows) const {
    for (size_t start = 0; start < rows.size(); start += size_t(dim)) {
      double norm = 0.0;
      for (int i = 0; i < dim; ++i) norm += double(rows[start + i]) * rows[start + i];
      if (norm > 0.0)
        for (int i = 0; i < dim; ++i) rows[start + i] = float(rows[start + i] / std::sqrt(norm));
    }
  }
};

namespace {
faiss::MetricType faiss_metric(crinn_metric metric) {
  return metric == CRINN_METRIC_EUCLIDEAN ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}
}  // namespace

extern "C" {

int crinn_abi_version(void) { return CRINN_ABI_VERSION; }

crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params_text) {
  return crinn::abi::guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    omp_set_num_threads(1);
    crinn::abi::Params params(params_text);
    auto index = std::make_unique<crinn_index>();
    index->dim = dim;
    index->metric = metric;
    int M = int(params.get_int("M", 32));
    int ef_construction = int(params.get_int("ef_construction", 40));
    params.check_all_used();
    index->hnsw = std::make_unique<faiss::IndexHNSWFlat>(dim, M, faiss_metric(metric));
    index->hnsw->hnsw.efConstruction = ef_construction;
    return index.release();
  });
}

int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  return crinn::abi::guarded(-1, [&] {
    if (index->metric == CRINN_METRIC_ANGULAR) {
      std::vector<float> rows(data, data + n * index->dim);
      index->normalize_rows(rows);
      index->hnsw->add(n, rows.data());
    } else {
      index->hnsw->add(n, data);
    }
    return 0;
  });
}

int crinn_index_search(crinn_index* index, const float* query, int k, int ef, int64_t* ids) {
  return crinn::abi::guarded(-1, [&] {
    std::vector<float> prepared(query, query + index->dim);
    if (index->metric == CRINN_METRIC_ANGULAR) index->normalize_rows(prepared);
    index->hnsw->hnsw.efSearch = ef;
    std::vector<float> distances(static_cast<size_t>(k));
    std::vector<faiss::Index::idx_t> labels(static_cast<size_t>(k));
    index->hnsw->search(1, prepared.data(), k, distances.data(), labels.data());
    int count = 0;
    while (count < k && labels[count] >= 0) {
      ids[count] = labels[count];
      ++count;
    }
    return count;
  });
}

// faiss's file does not say whether rows were normalised, so the metric goes
// to a side file "<path>.meta".
int crinn_index_save(const crinn_index* index, const char* path) {
  return crinn::abi::guarded(-1, [&] {
    faiss::write_index(index->hnsw.get(), path);
    std::ofstream meta(std::string(path) + ".meta");
    meta << int(index->metric) << '\n';
    if (!meta) throw std::runtime_error(std::string("cannot write ") + path + ".meta");
    return 0;
  });
}

crinn_index* crinn_index_load(const char* path) {
  return crinn::abi::guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    omp_set_num_threads(1);
    std::ifstream meta(std::string(path) + ".meta");
    int metric = 0;
    if (!(meta >> metric)) throw std::runtime_error(std::string("cannot read ") + path + ".meta");
    std::unique_ptr<faiss::Index> loaded(faiss::read_index(path));
    auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(loaded.get());
    if (!hnsw) throw std::runtime_error(std::string(path) + " is not an IndexHNSWFlat");
    auto index = std::make_unique<crinn_index>();
    index->dim = int(hnsw->d);
    index->metric = crinn_metric(metric);
    index->hnsw.reset(hnsw);
    loaded.release();
    return index.release();
  });
}

void crinn_index_destroy(crinn_index* index) { delete index; }

// Debian's faiss 1.7.3 leaves hnsw_stats.ndis at zero for single searches.
uint64_t crinn_index_distance_count(const crinn_index*) { return CRINN_NOT_COUNTED; }

const char* crinn_last_error(void) { return crinn::abi::last_error().c_str(); }

}  // extern "C"
