// crinn index ABI on top of nbhd::NeighborhoodGraph.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "crinn/index_abi.h"
#include "nbhd_graph.h"

struct crinn_index {
  nbhd::NeighborhoodGraph graph;
};

namespace {

std::string& lastError() {
  thread_local std::string msg;
  return msg;
}

template <typename Ret, typename Fn>
Ret shielded(Ret onFailure, Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    lastError() = e.what();
  } catch (...) {
    lastError() = "nbhd: unexpected failure";
  }
  return onFailure;
}

// "M=24,ef_construction=80,alpha=1.15" -> Knobs
nbhd::Knobs parseKnobs(const char* text) {
  nbhd::Knobs knobs;
  auto asCount = [](const std::string& key, const std::string& val) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(val.c_str(), &end, 10);
    if (val.empty() || *end || errno || v <= 0) throw std::invalid_argument("nbhd: bad value " + key + "=" + val);
    return std::size_t(v);
  };
  const std::map<std::string, std::function<void(const std::string&, const std::string&)>> setters = {
      {"M", [&](auto& k, auto& v) { knobs.maxLinks = asCount(k, v); }},
      {"ef_construction", [&](auto& k, auto& v) { knobs.buildPool = asCount(k, v); }},
      {"alpha", [&](auto& k, auto& v) {
         char* end = nullptr;
         knobs.slack = std::strtof(v.c_str(), &end);
         if (v.empty() || *end) throw std::invalid_argument("nbhd: bad value " + k + "=" + v);
       }},
  };
  std::stringstream ss(text ? text : "");
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw std::invalid_argument("nbhd: expected key=value, got '" + item + "'");
    const std::string key = item.substr(0, eq);
    const auto setter = setters.find(key);
    if (setter == setters.end()) throw std::invalid_argument("nbhd: unknown parameter '" + key + "'");
    setter->second(key, item.substr(eq + 1));
  }
  return knobs;
}

}  // namespace

extern "C" {

int crinn_abi_version(void) { return CRINN_ABI_VERSION; }

int crinn_index_uses_ef(void) { return 1; }

crinn_index* crinn_index_create(int dim, crinn_metric metric, const char* params) {
  return shielded<crinn_index*>(nullptr, [&] {
    if (dim <= 0) throw std::invalid_argument("nbhd: dimension must be positive");
    nbhd::Space space;
    switch (metric) {
      case CRINN_METRIC_EUCLIDEAN: space = nbhd::Space::L2; break;
      case CRINN_METRIC_ANGULAR: space = nbhd::Space::Cosine; break;
      default: throw std::invalid_argument("nbhd: metric not supported (euclidean or angular only)");
    }
    return new crinn_index{nbhd::NeighborhoodGraph(std::size_t(dim), space, parseKnobs(params))};
  });
}

int crinn_index_build(crinn_index* index, const float* data, int64_t n) {
  return shielded(-1, [&] {
    if (!index || !data || n <= 0) throw std::invalid_argument("nbhd: invalid build arguments");
    index->graph.build(data, std::size_t(n));
    return 0;
  });
}

int crinn_index_search(crinn_index* index, const float* query, int k, int ef, int64_t* ids) {
  return shielded(-1, [&] {
    if (!index || !query || !ids || k <= 0) throw std::invalid_argument("nbhd: invalid search arguments");
    const auto hits = index->graph.query(query, std::size_t(std::max(k, ef)));
    const int got = int(std::min<std::size_t>(std::size_t(k), hits.size()));
    std::transform(hits.begin(), hits.begin() + got, ids, [](const nbhd::Scored& h) { return int64_t(h.second); });
    return got;
  });
}

int crinn_index_save(const crinn_index* index, const char* path) {
  return shielded(-1, [&] {
    if (!index || !path) throw std::invalid_argument("nbhd: invalid save arguments");
    std::ofstream out(path, std::ios::binary);
    if (!out) throw std::runtime_error(std::string("nbhd: cannot create ") + path);
    index->graph.write(out);
    return 0;
  });
}

crinn_index* crinn_index_load(const char* path) {
  return shielded<crinn_index*>(nullptr, [&] {
    if (!path) throw std::invalid_argument("nbhd: null path");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(std::string("nbhd: cannot open ") + path);
    return new crinn_index{nbhd::NeighborhoodGraph::read(in)};
  });
}

void crinn_index_destroy(crinn_index* index) { delete index; }

uint64_t crinn_index_distance_count(const crinn_index* index) {
  return index ? index->graph.distanceCalls() : CRINN_NOT_COUNTED;
}

const char* crinn_last_error(void) { return lastError().c_str(); }

}  // extern "C"
