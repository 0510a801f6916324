// A textbook Hierarchical Navigable Small World index (Malkov & Yashunin,
// "Efficient and robust approximate nearest neighbor search using HNSW
// graphs", 2016): the baseline that CRINN rewrites.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace hnsw {

// Cosine stores and queries unit-length copies and ranks them by inner product.
enum class Metric { L2, InnerProduct, Cosine };

struct Params {
  int M = 16;                 // neighbours per node on the upper layers
  int ef_construction = 200;  // beam width while inserting
  unsigned seed = 100;        // for the random level of each node
};

class Index {
 public:
  Index(int dim, Metric metric, const Params& params);

  // Inserts one vector; its id is the number of vectors inserted before it.
  void add(const float* vec);

  // The k nearest ids to query, nearest first, exploring a beam of width ef.
  std::vector<int> search(const float* query, int k, int ef);

  void save(const std::string& path) const;
  static Index load(const std::string& path);

  int dim() const { return dim_; }
  int size() const { return static_cast<int>(levels_.size()); }
  uint64_t distance_computations() const { return distance_computations_; }

 private:
  using Candidate = std::pair<float, int>;  // (distance to the query, node)

  const float* vector_of(int node) const { return &data_[size_t(node) * dim_]; }
  float distance(const float* a, const float* b);
  std::vector<float> normalized(const float* vec) const;
  int random_level();
  int max_neighbours(int level) const { return level == 0 ? 2 * M_ : M_; }

  int greedy_closest(const float* query, int entry, int level);
  std::vector<Candidate> search_layer(const float* query, int entry, int ef, int level);
  std::vector<int> select_neighbours(std::vector<Candidate> candidates, int max_count);
  void connect(int node, const std::vector<int>& neighbours, int level);

  int dim_;
  Metric metric_;
  int M_;
  int ef_construction_;
  double level_multiplier_;
  std::mt19937 rng_;

  std::vector<float> data_;                            // size() x dim_ vectors
  std::vector<int> levels_;                            // top layer of each node
  std::vector<std::vector<std::vector<int>>> links_;  // links_[node][level]
  int entry_point_ = -1;
  int max_level_ = -1;
  uint64_t distance_computations_ = 0;
};

}  // namespace hnsw
