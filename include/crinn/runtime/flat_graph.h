// Layer 0 of a graph index as one dense, aligned N x R array of ids, which
// crinn-opt's flat-graph rewrite makes the search loop read instead of the
// index's own adjacency lists (GLASS's layout). Each row is a count and the
// ids, padded to whole cache lines, so one node's list is one or two lines
// at an address computed from its id, with no pointer to follow.
//
// Built after the graph: a FlatGraphScope at the top of the query path copies
// the lists when the index has grown since the last copy, and switches the
// search loop over to the copy for that query. Lists edited in place after
// the build (adjacency-reorder) are copied again.
#ifndef CRINN_RUNTIME_FLAT_GRAPH_H
#define CRINN_RUNTIME_FLAT_GRAPH_H

#include <crinn/runtime/aligned.h>
#include <crinn/runtime/query_path.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace crinn::runtime {

// A read-only run of ids, iterable by a range-for.
template <typename Id>
struct IdSpan {
  const Id* first;
  const Id* last;
  const Id* begin() const { return first; }
  const Id* end() const { return last; }
  std::size_t size() const { return std::size_t(last - first); }
  bool empty() const { return first == last; }
  const Id& operator[](std::size_t i) const { return first[i]; }
};

template <typename Container>
auto span_of(const Container& ids) -> IdSpan<typename Container::value_type> {
  return {ids.data(), ids.data() + ids.size()};
}

// What a row holds: the list's count and then its ids (neighbors() reads
// them), or the words a loop reads through its own list pointer, copied as
// they are (header and ids; words() gives the loop the copy to read instead).
enum class RowLayout { kCountThenIds, kVerbatim };

template <typename Id>
class FlatGraph {
 public:
  // Copies the lists of nodes [0, n) (list_of(i): a container of ids) when n
  // changed or lists were edited in place since the last copy. A verbatim
  // row keeps one spare word past the widest list: loops that prefetch the
  // id after the current one read one past the last.
  template <typename ListOf>
  void sync(std::size_t n, ListOf&& list_of, RowLayout layout = RowLayout::kCountThenIds) {
    uint64_t edits = graph_edits().load();
    if (n == nodes_ && edits == edits_seen_) return;
    edits_seen_ = edits;
    std::size_t widest = 0;
    for (std::size_t i = 0; i < n; ++i) widest = std::max(widest, std::size_t(list_of(i).size()));
    constexpr std::size_t kPerLine = 64 / sizeof(Id);
    row_ = (widest + 1 + kPerLine - 1) / kPerLine * kPerLine;
    rows_.assign(n * row_, Id(0));
    std::size_t skip = layout == RowLayout::kCountThenIds ? 1 : 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& list = list_of(i);
      Id* row = &rows_[i * row_];
      if (skip) row[0] = Id(list.size());
      std::copy(list.begin(), list.end(), row + skip);
    }
    nodes_ = n;
  }

  // Keeps the rows in huge pages from now on (flat-graph's huge_pages).
  void use_huge_pages() { runtime::use_huge_pages(rows_); }

  bool active() const { return active_; }
  void set_active(bool on) { active_ = on; }
  bool ready(std::size_t n) const { return nodes_ == n && n > 0; }

  template <typename Node>
  IdSpan<Id> neighbors(Node node) const {
    const Id* row = &rows_[std::size_t(node) * row_];
    return {row + 1, row + 1 + std::size_t(row[0])};
  }

  // A verbatim row, for the loop's own list pointer.
  template <typename Node>
  Id* words(Node node) {
    return &rows_[std::size_t(node) * row_];
  }

  // The row's address, for prefetching it before the node is expanded.
  template <typename Node>
  const Id* row(Node node) const {
    return &rows_[std::size_t(node) * row_];
  }

 private:
  bool active_ = false;
  std::size_t nodes_ = 0, row_ = 0;
  uint64_t edits_seen_ = 0;
  std::vector<Id, MappedAllocator<Id>> rows_;
};

template <typename Id>
class FlatGraphScope {
 public:
  template <typename ListOf>
  FlatGraphScope(FlatGraph<Id>& graph, std::size_t n, ListOf&& list_of, RowLayout layout = RowLayout::kCountThenIds)
      : graph_(graph), was_active_(graph.active()) {
    graph.sync(n, list_of, layout);
    graph.set_active(graph.ready(n));
  }
  ~FlatGraphScope() { graph_.set_active(was_active_); }
  FlatGraphScope(const FlatGraphScope&) = delete;
  FlatGraphScope& operator=(const FlatGraphScope&) = delete;

 private:
  FlatGraph<Id>& graph_;
  bool was_active_;
};

}  // namespace crinn::runtime

#endif  // CRINN_RUNTIME_FLAT_GRAPH_H
