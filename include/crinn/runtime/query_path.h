// Support for the rewrites that change only how a built index is searched:
// a flag that a scope at the query entry raises (so code shared with the
// build, such as HNSW's layer search, can tell a query from an insertion),
// extra entry points chosen after the build (multi-entry), adjacency lists
// sorted nearest-first after the build (adjacency-reorder), and the watches
// that end a search early: when its best k results stop changing
// (adaptive-ef), or when expansions stop adding results (early-termination).
#ifndef CRINN_RUNTIME_QUERY_PATH_H
#define CRINN_RUNTIME_QUERY_PATH_H

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace crinn::runtime {

inline bool& query_path_flag() {
  thread_local bool on = false;
  return on;
}

// True inside a QueryPathScope on this thread.
inline bool on_query_path() { return query_path_flag(); }

class QueryPathScope {
 public:
  QueryPathScope() : was_(query_path_flag()) { query_path_flag() = true; }
  ~QueryPathScope() { query_path_flag() = was_; }
  QueryPathScope(const QueryPathScope&) = delete;
  QueryPathScope& operator=(const QueryPathScope&) = delete;

 private:
  bool was_;
};

// `count` ids at `first` in the index's own memory: a list that the index
// reads through a pointer (hnswlib's layer 0), as a container.
template <typename Id>
struct IdRun {
  Id* first;
  std::size_t count;
  Id* begin() const { return first; }
  Id* end() const { return first + count; }
  std::size_t size() const { return count; }
  Id& operator[](std::size_t i) const { return first[i]; }
};

// Bumped whenever adjacency lists are changed in place after the build, so
// that copies of them (FlatGraph) know to copy again.
inline std::atomic<uint64_t>& graph_edits() {
  static std::atomic<uint64_t> edits{0};
  return edits;
}

// Extra seeds for the layer-0 beam, chosen once the index stops growing:
// spread out (farthest-point order over a sample) or the highest-degree nodes.
template <typename Id>
class EntryPoints {
 public:
  enum Choice { kSpreadOut = 0, kHighDegree = 1 };

  // distance(a, b) between two nodes; degree(i) the size of node i's list.
  template <typename Distance, typename Degree>
  void sync(std::size_t n, std::size_t count, int choice, Distance&& distance, Degree&& degree) {
    if (n == nodes_) return;
    nodes_ = n;
    nodes_list_.clear();
    count = std::min(count, n);
    if (count == 0) return;
    if (choice == kHighDegree) {
      std::vector<std::pair<std::size_t, Id>> by_degree;
      for (std::size_t i = 0; i < n; ++i) by_degree.emplace_back(std::size_t(degree(i)), Id(i));
      std::partial_sort(by_degree.begin(), by_degree.begin() + count, by_degree.end(),
                        [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
      for (std::size_t i = 0; i < count; ++i) nodes_list_.push_back(by_degree[i].second);
      return;
    }
    // Farthest-point sampling over every step-th node, from node 0.
    std::size_t step = std::max<std::size_t>(1, n / 4096);
    std::vector<Id> sample;
    for (std::size_t i = 0; i < n; i += step) sample.push_back(Id(i));
    std::vector<float> nearest(sample.size(), 3.4e38f);
    Id next = sample[0];
    for (std::size_t c = 0; c < count; ++c) {
      nodes_list_.push_back(next);
      std::size_t farthest = 0;
      for (std::size_t s = 0; s < sample.size(); ++s) {
        nearest[s] = std::min(nearest[s], float(distance(next, sample[s])));
        if (nearest[s] > nearest[farthest]) farthest = s;
      }
      next = sample[farthest];
    }
  }

  const std::vector<Id>& nodes() const { return nodes_list_; }

 private:
  std::size_t nodes_ = 0;
  std::vector<Id> nodes_list_;
};

// Sorts every node's list nearest-first, once per growth of the index.
class NearestFirst {
 public:
  // list_of(i): node i's list (mutable: a container, or an IdRun over the
  // index's memory); distance(a, b) between two nodes.
  template <typename ListOf, typename Distance>
  void sync(std::size_t n, ListOf&& list_of, Distance&& distance) {
    if (n == nodes_) return;
    nodes_ = n;
    std::vector<std::pair<float, std::size_t>> keyed;
    for (std::size_t i = 0; i < n; ++i) {
      auto&& list = list_of(i);
      keyed.clear();
      for (std::size_t j = 0; j < list.size(); ++j) keyed.emplace_back(float(distance(i, list[j])), j);
      std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<std::decay_t<decltype(list[0])>> original(list.begin(), list.end());
      for (std::size_t j = 0; j < keyed.size(); ++j) list[j] = original[keyed[j].second];
    }
    graph_edits().fetch_add(1);
  }

 private:
  std::size_t nodes_ = 0;
};

// Whether a search's result set has reached its bound. A search that stops
// before then may hold fewer results than its caller asked for. The set is
// known full once a result pushed into it did not grow it (the search trimmed
// it to its bound); an expansion that found nothing new says nothing.
class ResultSetFill {
 public:
  void pushed() { ++pushed_; }

  // Called once per expansion with the size of the result set; returns how
  // many results it gained since the last call.
  std::size_t update(std::size_t results_held) {
    const std::size_t grown = results_held > held_ ? results_held - held_ : 0;
    if (pushed_ > grown) full_ = true;
    pushed_ = 0;
    held_ = results_held;
    return grown;
  }

  bool full() const { return full_; }

 private:
  std::size_t held_ = 0;
  std::size_t pushed_ = 0;  // results pushed since the last update
  bool full_ = false;
};

// The best k distances that entered the results of one search, and how many
// expansions in a row left them, and the number of results held, unchanged
// (adaptive-ef).
class BestKWatch {
 public:
  explicit BestKWatch(std::size_t k) : k_(k) { best_.reserve(k + 1); }

  void offer(float distance) {
    fill_.pushed();
    if (best_.size() == k_ && distance >= best_.back()) return;
    best_.insert(std::upper_bound(best_.begin(), best_.end(), distance), distance);
    if (best_.size() > k_) best_.pop_back();
    improved_ = true;
  }

  // Called once per expansion with the size of the result set: true when
  // more than `window` expansions in a row have left the best k and that size
  // as they were, and the set is full.
  bool converged(std::size_t window, std::size_t results_held) {
    const std::size_t grown = fill_.update(results_held);
    stale_ = improved_ || grown ? 0 : stale_ + 1;
    improved_ = false;
    return fill_.full() && stale_ > window;
  }

 private:
  std::size_t k_;
  std::vector<float> best_;
  std::size_t stale_ = 0;
  ResultSetFill fill_;
  bool improved_ = true;
};

// Ends a best-first search after `patience` expansions in a row that each
// added fewer than `min_inserts` results, once more than `min_expansions`
// were made (early-termination). Growth of the result set counts as
// progress, and a search whose result set is known is never stopped before
// that set is full.
class StallWatch {
 public:
  StallWatch(int patience, int min_expansions, int min_inserts)
      : patience_(patience), min_expansions_(min_expansions), min_inserts_(min_inserts) {}

  void inserted() {
    fill_.pushed();
    ++inserted_;
  }

  // Called at the top of each expansion with the size of the result set.
  bool stalled(std::size_t results_held) {
    const std::size_t grown = fill_.update(results_held);
    return stalled_after(grown, fill_.full());
  }

  // The same where the search's result set is not known: it is taken as full.
  bool stalled() { return stalled_after(0, true); }

 private:
  bool stalled_after(std::size_t grown, bool full) {
    const bool first = expansions_++ == 0;
    stale_ = first || inserted_ >= min_inserts_ || grown ? 0 : stale_ + 1;
    inserted_ = 0;
    return !first && full && stale_ >= patience_ && expansions_ > min_expansions_;
  }

  int patience_, min_expansions_, min_inserts_;
  int expansions_ = 0, stale_ = 0, inserted_ = 0;
  ResultSetFill fill_;
};

}  // namespace crinn::runtime

#endif  // CRINN_RUNTIME_QUERY_PATH_H
