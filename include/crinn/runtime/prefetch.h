// Helpers for crinn-opt's prefetch-insertion and loop-fission rewrites.
#ifndef CRINN_RUNTIME_PREFETCH_H
#define CRINN_RUNTIME_PREFETCH_H

#include <algorithm>
#include <array>
#include <chrono>
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
// data, else `lines` lines of its vector (a count known only at run time:
// a calibrated shape, below).
template <int Locality, typename Id>
inline void prefetch_node_lines(const Id& node, const void* vector, int lines) {
  if constexpr (std::is_convertible_v<Id, std::size_t>)
    if (const NodeReader* reader = query_node_reader()) return reader->prefetch(std::size_t(node), lines);
  const char* bytes = static_cast<const char*>(vector);
  for (int line = 0; line < lines; ++line) __builtin_prefetch(bytes + 64 * line, 0, Locality);
}

// The same with `Lines` fixed by the plan.
template <int Lines, int Locality, typename Id>
inline void prefetch_node(const Id& node, const void* vector) {
  prefetch_node_lines<Locality>(node, vector, Lines);
}

// How far ahead a neighbour loop prefetches, and how many lines.
struct PrefetchShape {
  std::size_t distance;
  int lines;
};

// prefetch-insertion's run-time calibration: the best look-ahead depends on
// the machine's memory latency and on how long a distance takes, which a
// plan cannot know, so the first queries on each thread try the planned
// distance and lines halved, as planned and doubled (9 arms, round robin,
// each query timed whole by a PrefetchTrial at the query entry), and the arm
// with the lowest median time per expansion then stays. Per expansion (each
// loop that asks for the shape), because round robin gives each arm other
// queries, and queries differ in work far more than shapes differ in speed.
// Prefetches never change answers, so neither does the calibration.
class PrefetchCalibration {
 public:
  static constexpr int kArms = 9;
  static constexpr int kRounds = 24;  // timed queries per arm, after one untimed round

  static PrefetchCalibration& here() {
    thread_local PrefetchCalibration calibration;
    return calibration;
  }

  // The shape a loop planned with `distance` and `lines` uses now: the arm
  // on trial, the chosen one, or (before any query) the plan's.
  PrefetchShape shape(std::size_t distance, int lines) const {
    if (trial_ >= 0) ++expansions_;
    const int arm = trial_ >= 0 ? trial_ : chosen_;
    return {scaled(distance, arm / 3), int(scaled(std::size_t(lines), arm % 3))};
  }

  bool calibrated() const { return queries_ >= kArms * (kRounds + 1); }
  bool on_trial() const { return trial_ >= 0; }

  void begin_trial() {
    trial_ = int(queries_ % kArms);
    expansions_ = 0;
    started_ = std::chrono::steady_clock::now();
  }

  void end_trial() {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    if (queries_ >= kArms) record(trial_, seconds / double(std::max<std::size_t>(expansions_, 1)));
    trial_ = -1;
    if (++queries_ == kArms * (kRounds + 1)) chosen_ = fastest();
  }

  // For tests: what end_trial records, with a given time per expansion.
  void record(int arm, double seconds) { times_[arm][timed_[arm]++ % kRounds] = seconds; }

  // The arm with the lowest median time per expansion (the plan's own on ties).
  int fastest() const {
    int best = kArms / 2;
    double best_median = median(best);
    for (int arm = 0; arm < kArms; ++arm)
      if (const double m = median(arm); m < best_median) best = arm, best_median = m;
    return best;
  }

 private:
  // Step 0 halves, 1 keeps, 2 doubles.
  static std::size_t scaled(std::size_t value, int step) {
    return step == 0 ? std::max<std::size_t>(1, value / 2) : step == 2 ? value * 2 : value;
  }
  double median(int arm) const {
    const std::size_t n = std::min<std::size_t>(timed_[arm], kRounds);
    if (n == 0) return 1e300;
    std::array<double, kRounds> sorted = times_[arm];
    std::nth_element(sorted.begin(), sorted.begin() + n / 2, sorted.begin() + n);
    return sorted[n / 2];
  }

  std::size_t queries_ = 0;
  mutable std::size_t expansions_ = 0;  // of the query on trial
  int trial_ = -1, chosen_ = kArms / 2;
  std::chrono::steady_clock::time_point started_;
  std::array<std::array<double, kRounds>, kArms> times_{};
  std::array<std::size_t, kArms> timed_{};
};

// Times one query for the calibration while it is not done; a nested entry
// (a query entry reached again inside the query) is not a trial of its own.
class PrefetchTrial {
 public:
  PrefetchTrial() : calibration_(PrefetchCalibration::here()) {
    trial_ = !calibration_.calibrated() && !calibration_.on_trial();
    if (trial_) calibration_.begin_trial();
  }
  ~PrefetchTrial() {
    if (trial_) calibration_.end_trial();
  }
  PrefetchTrial(const PrefetchTrial&) = delete;
  PrefetchTrial& operator=(const PrefetchTrial&) = delete;

 private:
  PrefetchCalibration& calibration_;
  bool trial_;
};

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

  // Calls fetch(element) for the element `d` ahead and, at the list's start,
  // for the `d` elements before it too: a lookahead alone would leave the
  // first `d` elements of every list unfetched (a pipeline's prologue).
  template <typename Fetch>
  void prefetch_ahead(std::size_t d, Fetch&& fetch) const {
    if (position_ == 0)
      for (std::size_t i = 0; i < d && i < list_.size(); ++i) fetch(list_[i]);
    if (has_ahead(d)) fetch(ahead(d));
  }

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
