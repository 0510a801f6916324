// A flat (single-layer) proximity graph built by greedy incremental insertion
// with an alpha-relaxed RNG prune. Adjacency lives in fixed-size slot rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quadgraph {

constexpr float kAlpha = 1.2f;       // occlusion slack of the prune
constexpr unsigned kDegreeCap = 128;  // gather buffer is a stack array of this size

struct BuildOpts {
  unsigned degree = 32;  // R: max out-degree
  unsigned beam = 96;    // L: beam width of the insertion search
};

struct Hit {
  float d;
  uint32_t id;
};
inline bool operator<(const Hit& a, const Hit& b) { return a.d < b.d; }

class FlatGraph {
 public:
  FlatGraph(unsigned dim, bool cosine, BuildOpts opts);
  ~FlatGraph();
  FlatGraph(const FlatGraph&) = delete;
  FlatGraph& operator=(const FlatGraph&) = delete;

  void build(const float* rows, std::size_t n);
  std::size_t query(const float* q, unsigned k, unsigned ef, int64_t* ids);

  void save(const char* path) const;
  static FlatGraph* load(const char* path);

  uint64_t distances() const { return ndist; }

 private:
  const float* row(uint32_t i) const { return vecs + std::size_t(i) * pdim; }
  uint32_t* nbrs(uint32_t i) { return links.data() + std::size_t(i) * opts.degree; }

  void allocate(std::size_t n);
  void load_row(const float* src, float* dst) const;
  std::vector<Hit> beam_search(const float* q, unsigned L);
  unsigned prune(uint32_t p, std::vector<Hit>& pool, uint32_t* out);
  void link_back(uint32_t from, uint32_t to);

  unsigned dim;
  unsigned pdim;  // dim rounded up to kLane
  bool cosine;
  BuildOpts opts;

  std::size_t count = 0;
  float* vecs = nullptr;        // count x pdim, 64-byte aligned
  std::vector<uint32_t> links;  // count x opts.degree slots
  std::vector<uint32_t> degree; // used slots per row
  std::vector<uint32_t> stamp;  // visited tags: stamp[v] == epoch
  uint32_t epoch = 0;
  uint32_t entry = 0;
  uint64_t ndist = 0;
};

}  // namespace quadgraph
