// c_api.cpp - crinn index ABI over proxg::GraphIndex<Dist>.
//
// Parameters: degree (max out-degree), beam (insertion beam width).
// Euclidean uses L2Sqr; angular normalises every vector and uses
// InnerProduct (1 - cos). Inner-product search is not supported.
#include "graph_index.hpp"

#include "crinn/abi_support.h"
#include "crinn/index_abi.h"

#include <cmath>
#include <cstring>
#include <fstream>

namespace {

using proxg::GraphIndex;

constexpr char kFileTag[8] = {'P', 'R', 'O', 'X', 'G', '0', '0', '1'};

void Normalize(std::vector<float>& v, size_t dim) {
  for (size_t off = 0; off + dim <= v.size(); off += dim) {
    float* x = v.data() + off;
    double norm = 0.0;
    for (size_t i = 0; i < dim; ++i) norm += double(x[i]) * double(x[i]);
    if (norm == 0.0) continue;
    const float scale = float(1.0 / std::sqrt(norm));
    for (size_t i = 0; i < dim; ++i) x[i] *= scale;
  }
}

// Type-erased face of GraphIndex<Dist> so one handle type serves all metrics.
class AnyIndex {
 public:
  virtual ~AnyIndex() = default;
  virtual void Build(const float* data, size_t n) = 0;
  virtual int Search(const float* q, int k, int ef, int64_t* ids) = 0;
  virtual void Save(std::ostream& out) const = 0;
  virtual uint64_t DistanceEvals() const = 0;
};

template <class Dist>
class Holder final : public AnyIndex {
 public:
  Holder(std::unique_ptr<GraphIndex<Dist>> g, bool unit)
      : g_(std::move(g)), unit_(unit) {}

  void Build(const float* data, size_t n) override {
    if (!unit_) {
      g_->Add(data, n);
      return;
    }
    std::vector<float> copy(data, data + n * g_->dim());
    Normalize(copy, g_->dim());
    g_->Add(copy.data(), n);
  }

  int Search(const float* q, int k, int ef, int64_t* ids) override {
    const float* query = q;
    if (unit_) {
      scratch_.assign(q, q + g_->dim());
      Normalize(scratch_, g_->dim());
      query = scratch_.data();
    }
    auto hits = g_->Search(query, size_t(std::max(k, 0)), size_t(std::max(ef, 1)));
    for (size_t i = 0; i < hits.size(); ++i) ids[i] = hits[i].id;
    return int(hits.size());
  }

  void Save(std::ostream& out) const override { g_->Serialize(out); }
  uint64_t DistanceEvals() const override { return g_->distance_evals(); }

 private:
  std::unique_ptr<GraphIndex<Dist>> g_;
  bool unit_;
  std::vector<float> scratch_;
};

template <class Dist>
std::unique_ptr<AnyIndex> MakeIndex(int dim, crinn::abi::Params& params, bool unit) {
  const GraphIndex<Dist> defaults(static_cast<size_t>(dim));
  long degree = params.get_int("degree", long(defaults.degree()));
  long beam = params.get_int("beam", long(defaults.beam()));
  params.check_all_used();
  if (degree < 2 || beam < 1) throw std::invalid_argument("degree >= 2 and beam >= 1 required");
  auto g = std::make_unique<GraphIndex<Dist>>(size_t(dim), size_t(degree), size_t(beam));
  return std::make_unique<Holder<Dist>>(std::move(g), unit);
}

}  // namespace

struct crinn_index {
  crinn_metric metric;
  std::unique_ptr<AnyIndex> impl;
};

extern "C" {

int crinn_abi_version(void) { return CRINN_ABI_VERSION; }

const char* crinn_last_error(void) { return crinn::abi::last_error().c_str(); }

crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params) {
  return crinn::abi::guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    if (dim <= 0) throw std::invalid_argument("dim must be positive");
    crinn::abi::Params p(params);
    auto h = std::make_unique<crinn_index>();
    h->metric = metric;
    switch (metric) {
      case CRINN_METRIC_EUCLIDEAN:
        h->impl = MakeIndex<proxg::L2Sqr>(dim, p, false);
        break;
      case CRINN_METRIC_ANGULAR:
        h->impl = MakeIndex<proxg::InnerProduct>(dim, p, true);
        break;
      default:
        throw std::invalid_argument("templated: metric not supported (euclidean, angular only)");
    }
    return h.release();
  });
}

int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  return crinn::abi::guarded(-1, [&] {
    if (!index || n < 0 || (n > 0 && !data)) throw std::invalid_argument("bad build arguments");
    if (n > int64_t(UINT32_MAX)) throw std::invalid_argument("too many vectors");
    index->impl->Build(data, size_t(n));
    return 0;
  });
}

int crinn_index_search(crinn_index* index, const float* query, int k, int ef,
                       int64_t* ids) {
  return crinn::abi::guarded(-1, [&] {
    if (!index || !query || (k > 0 && !ids)) throw std::invalid_argument("bad search arguments");
    return index->impl->Search(query, k, ef, ids);
  });
}

int crinn_index_save(const crinn_index* index, const char* path) {
  return crinn::abi::guarded(-1, [&] {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(std::string("cannot write ") + path);
    out.write(kFileTag, sizeof kFileTag);
    int32_t metric = index->metric;
    out.write(reinterpret_cast<const char*>(&metric), sizeof metric);
    index->impl->Save(out);
    out.flush();
    if (!out) throw std::runtime_error(std::string("write failed: ") + path);
    return 0;
  });
}

crinn_index* crinn_index_load(const char* path) {
  return crinn::abi::guarded<crinn_index*>(nullptr, [&]() -> crinn_index* {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(std::string("cannot read ") + path);
    char tag[sizeof kFileTag];
    int32_t metric = -1;
    in.read(tag, sizeof tag);
    in.read(reinterpret_cast<char*>(&metric), sizeof metric);
    if (!in || std::memcmp(tag, kFileTag, sizeof tag) != 0)
      throw std::runtime_error(std::string("not a templated index: ") + path);
    auto h = std::make_unique<crinn_index>();
    h->metric = crinn_metric(metric);
    if (metric == CRINN_METRIC_EUCLIDEAN)
      h->impl = std::make_unique<Holder<proxg::L2Sqr>>(
          GraphIndex<proxg::L2Sqr>::Deserialize(in), false);
    else if (metric == CRINN_METRIC_ANGULAR)
      h->impl = std::make_unique<Holder<proxg::InnerProduct>>(
          GraphIndex<proxg::InnerProduct>::Deserialize(in), true);
    else
      throw std::runtime_error("corrupt index file (metric)");
    return h.release();
  });
}

void crinn_index_destroy(crinn_index* index) { delete index; }

uint64_t crinn_index_distance_count(const crinn_index* index) {
  return index ? index->impl->DistanceEvals() : 0;
}

}  // extern "C"
