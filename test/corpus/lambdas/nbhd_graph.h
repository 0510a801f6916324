#ifndef NBHD_GRAPH_H
#define NBHD_GRAPH_H

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <utility>
#include <vector>

namespace nbhd {

struct Knobs {
  std::size_t maxLinks = 24;    // M
  std::size_t buildPool = 80;   // ef_construction
  float slack = 1.15f;          // alpha: >1 keeps some longer edges
};

enum class Space { L2, Cosine };

using Scored = std::pair<float, std::uint32_t>;

class NeighborhoodGraph {
 public:
  NeighborhoodGraph(std::size_t dim, Space space, Knobs knobs);

  void build(const float* data, std::size_t count);
  // Raw user query: normalised first for cosine.
  std::vector<Scored> query(const float* q, std::size_t ef) const;
  // Query already in row space (normalised when cosine).
  std::vector<Scored> search(const float* query, std::size_t ef) const;

  void write(std::ostream& out) const;
  static NeighborhoodGraph read(std::istream& in);

  std::uint64_t distanceCalls() const { return mDistCalls; }
  std::size_t size() const { return mRows.size(); }
  std::size_t dim() const { return mDim; }

 private:
  auto metric() const;
  void insert(std::uint32_t id);
  std::vector<std::uint32_t> select(std::uint32_t base, std::vector<Scored> candidates) const;
  std::vector<float> prepare(const float* v) const;

  std::size_t mDim;
  Space mSpace;
  Knobs mKnobs;
  std::vector<std::vector<float>> mRows;
  std::vector<std::vector<std::uint32_t>> mLinks;
  std::uint32_t mEntry = 0;
  mutable std::uint64_t mDistCalls = 0;
};

}  // namespace nbhd

#endif
