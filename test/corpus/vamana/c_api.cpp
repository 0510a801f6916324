// C ABI wrapper around diskann_lite::VamanaIndex.
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>

#include "crinn/index_abi.h"
#include "vamana.h"

struct crinn_index {
  std::unique_ptr<diskann_lite::VamanaIndex> impl;
};

namespace {

thread_local std::string g_error;

// "R=32,L=64,alpha=1.2,C=500" -> BuildConfig. Throws on anything it does not know.
diskann_lite::BuildConfig parse_config(const char* text) {
  diskann_lite::BuildConfig cfg;
  std::string s = text ? text : "";
  size_t pos = 0;
  while (pos < s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    std::string item = s.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw std::runtime_error("malformed parameter '" + item + "'");
    std::string key = item.substr(0, eq), val = item.substr(eq + 1);
    char* end = nullptr;
    errno = 0;
    if (key == "alpha") {
      float a = std::strtof(val.c_str(), &end);
      if (val.empty() || *end || errno) throw std::runtime_error("bad value for alpha: " + val);
      cfg.alpha = a;
      continue;
    }
    long v = std::strtol(val.c_str(), &end, 10);
    if (val.empty() || *end || errno || v <= 0) throw std::runtime_error("bad value for " + key + ": " + val);
    if (key == "R")
      cfg.R = (uint32_t)v;
    else if (key == "L")
      cfg.L = (uint32_t)v;
    else if (key == "C")
      cfg.max_candidates = (uint32_t)v;
    else
      throw std::runtime_error("unknown parameter '" + key + "'");
  }
  return cfg;
}

template <typename R, typename F>
R trap(R on_error, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    g_error = e.what();
  } catch (...) {
    g_error = "unknown error";
  }
  return on_error;
}

}  // namespace

extern "C" {

int crinn_abi_version(void) { return CRINN_ABI_VERSION; }

crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params) {
  return trap<crinn_index*>(nullptr, [&]() -> crinn_index* {
    if (metric == CRINN_METRIC_INNER_PRODUCT)
      throw std::runtime_error("vamana: inner-product metric is not supported");
    if (metric != CRINN_METRIC_EUCLIDEAN && metric != CRINN_METRIC_ANGULAR)
      throw std::runtime_error("vamana: unknown metric");
    if (dim <= 0) throw std::runtime_error("vamana: dim must be positive");
    auto cfg = parse_config(params);
    auto* h = new crinn_index;
    h->impl = std::make_unique<diskann_lite::VamanaIndex>((uint32_t)dim,
                                                          metric == CRINN_METRIC_ANGULAR, cfg);
    return h;
  });
}

int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  return trap(-1, [&] {
    if (!index || (!data && n > 0) || n < 0) throw std::runtime_error("vamana: bad build arguments");
    index->impl->build(data, (size_t)n);
    return 0;
  });
}

int crinn_index_search(crinn_index* index, const float* query, int k, int ef, int64_t* ids) {
  return trap(-1, [&] {
    if (!index || !query || !ids || k < 0) throw std::runtime_error("vamana: bad search arguments");
    uint32_t Ls = ef > 0 ? (uint32_t)ef : 1u;
    return (int)index->impl->search(query, (size_t)k, Ls, ids);
  });
}

int crinn_index_save(const crinn_index* index, const char* path) {
  return trap(-1, [&] {
    if (!index || !path) throw std::runtime_error("vamana: bad save arguments");
    index->impl->save(path);
    return 0;
  });
}

crinn_index* crinn_index_load(const char* path) {
  return trap<crinn_index*>(nullptr, [&]() -> crinn_index* {
    if (!path) throw std::runtime_error("vamana: null path");
    auto* h = new crinn_index;
    try {
      h->impl = diskann_lite::VamanaIndex::load(path);
    } catch (...) {
      delete h;
      throw;
    }
    return h;
  });
}

void crinn_index_destroy(crinn_index* index) { delete index; }

uint64_t crinn_index_distance_count(const crinn_index* index) {
  return index ? index->impl->distance_computations() : CRINN_NOT_COUNTED;
}

const char* crinn_last_error(void) { return g_error.c_str(); }

int crinn_index_uses_ef(void) { return 1; }

}  // extern "C"
