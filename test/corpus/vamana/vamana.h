// vamana.h -- a compact in-memory Vamana graph (the DiskANN construction).
//
// Build: random R-regular start graph, then two linking passes over a random
// permutation of the points, the first with alpha = 1 and the second with the
// configured alpha. Search: greedy best-first from the medoid with a list of
// L candidates kept sorted by distance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace diskann_lite {

struct BuildConfig {
  uint32_t R = 32;                // out-degree bound
  uint32_t L = 64;                // candidate list size while building
  float alpha = 1.2f;             // pruning slack for the second pass
  uint32_t max_candidates = 500;  // "C": how many candidates RobustPrune looks at
};

struct Candidate {
  uint32_t id;
  float dist;
  bool expanded;
};

class VamanaIndex {
 public:
  VamanaIndex(uint32_t dim, bool cosine, const BuildConfig& cfg);

  void build(const float* data, size_t npts);
  size_t search(const float* query, size_t k, uint32_t Ls, int64_t* ids_out) const;

  void save(const std::string& path) const;
  static std::unique_ptr<VamanaIndex> load(const std::string& path);

  uint64_t distance_computations() const { return dist_cmps_; }
  uint32_t dim() const { return dim_; }

 private:
  const float* point(uint32_t id) const { return points_.get() + (size_t)id * stride_; }
  float* point(uint32_t id) { return points_.get() + (size_t)id * stride_; }

  float distance(const float* q, uint32_t id) const;
  float distance(uint32_t a, uint32_t b) const { return distance(point(a), b); }

  void allocate(size_t npts);
  uint32_t compute_medoid() const;
  void link_pass(float alpha, uint64_t seed);
  std::vector<Candidate> greedy_search(const float* q, uint32_t Ls,
                                       std::vector<Candidate>* expanded) const;
  void robust_prune(uint32_t p, std::vector<Candidate>& pool, float alpha,
                    std::vector<uint32_t>& out) const;

  uint32_t dim_;
  size_t stride_;  // floats per row, dim_ rounded up to 8
  bool cosine_;
  BuildConfig cfg_;

  size_t npts_ = 0;
  std::unique_ptr<float[]> points_;
  std::vector<std::vector<uint32_t>> graph_;
  uint32_t medoid_ = 0;

  mutable uint64_t dist_cmps_ = 0;
};

}  // namespace diskann_lite
