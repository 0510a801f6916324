// Helpers for crinn-opt's prefetch-insertion and loop-fission rewrites.
#ifndef CRINN_RUNTIME_PREFETCH_H
#define CRINN_RUNTIME_PREFETCH_H

#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

namespace crinn::runtime {

// Prefetches `Lines` consecutive 64-byte cache lines from p for reading, with
// temporal locality 0 (none) to 3 (keep in all levels).
template <int Lines, int Locality>
inline void prefetch_lines(const void* p) {
  const char* bytes = static_cast<const char*>(p);
  for (int line = 0; line < Lines; ++line) __builtin_prefetch(bytes + 64 * line, 0, Locality);
}

// Where a query's search reads something other than each node's vector
// (quantized-distance's codes), that reader installs itself for the query,
// so prefetching written for the vectors (prefetch-insertion, loop-fission)
// fetches what the search will read without knowing of it.
class NodeReader {
 public:
  virtual void prefetch(std::size_t node, int lines) const = 0;

 protected:
  ~NodeReader() = default;
};

inline const NodeReader*& query_node_reader() {
  thread_local const NodeReader* reader = nullptr;
  return reader;
}

// Prefetches what the search will read of `node`: the installed reader's
// data, else `Lines` lines of its vector.
template <int Lines, int Locality, typename Id>
inline void prefetch_node(const Id& node, const void* vector) {
  if constexpr (std::is_convertible_v<Id, std::size_t>)
    if (const NodeReader* reader = query_node_reader()) return reader->prefetch(std::size_t(node), Lines);
  prefetch_lines<Lines, Locality>(vector);
}

// Walks a random-access list by position, so a loop that was a range-for can
// also look `d` elements ahead. Holds the list by reference when it is an
// lvalue and by value when it is a temporary.
template <typename List>
class Indexed {
 public:
  explicit Indexed(List&& list) : list_(std::forward<List>(list)) {}
  bool valid() const { return position_ < list_.size(); }
  void next() { ++position_; }
  decltype(auto) get() const { return list_[position_]; }
  bool has_ahead(std::size_t d) const { return position_ + d < list_.size(); }
  decltype(auto) ahead(std::size_t d) const { return list_[position_ + d]; }

 private:
  List list_;
  std::size_t position_ = 0;
};

template <typename List>
Indexed<List> indexed(List&& list) {
  return Indexed<List>(std::forward<List>(list));
}

// The unvisited neighbours gathered by loop fission before their distances
// are computed; one buffer per thread and element type, reused.
template <typename Id>
class NeighborBatch {
 public:
  static NeighborBatch& fresh() {
    thread_local NeighborBatch batch;
    batch.ids_.clear();
    return batch;
  }
  void push_back(const Id& id) { ids_.push_back(id); }
  std::size_t size() const { return ids_.size(); }
  const Id& operator[](std::size_t i) const { return ids_[i]; }
  typename std::vector<Id>::const_iterator begin() const { return ids_.begin(); }
  typename std::vector<Id>::const_iterator end() const { return ids_.end(); }

 private:
  std::vector<Id> ids_;
};

}  // namespace crinn::runtime

#endif  // CRINN_RUNTIME_PREFETCH_H
