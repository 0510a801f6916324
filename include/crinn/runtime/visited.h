// Visited sets for graph search that crinn-opt's visited-set rewrite puts in
// place of a per-query hash set. Both are reused across queries: clearing is
// O(1) for EpochVisited (bump the epoch) and they grow on demand, so the code
// that used std::unordered_set<int> needs no node count. A VisitedLease holds
// one for a scope, so that searches alive at once never share one.
#ifndef CRINN_RUNTIME_VISITED_H
#define CRINN_RUNTIME_VISITED_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace crinn::runtime {

// One tag per node; a node is visited when its tag equals the current epoch.
class EpochVisited {
 public:
  void clear() {
    if (++epoch_ == 0) {  // wrapped: forget every old tag
      std::fill(tags_.begin(), tags_.end(), 0);
      epoch_ = 1;
    }
  }

  // Same shape as std::unordered_set::insert: .second is true if id was new.
  template <typename Id>
  std::pair<Id, bool> insert(Id id) {
    std::size_t slot = static_cast<std::size_t>(id);
    if (slot >= tags_.size()) tags_.resize(slot + slot / 2 + 1024, 0);
    bool fresh = tags_[slot] != epoch_;
    tags_[slot] = epoch_;
    return {id, fresh};
  }

  template <typename Id>
  std::pair<Id, bool> emplace(Id id) {
    return insert(id);
  }
  // Marks are indexed by id, not by how many are stored: nothing to reserve.
  void reserve(std::size_t) {}

  template <typename Id>
  std::size_t count(Id id) const {
    std::size_t slot = static_cast<std::size_t>(id);
    return slot < tags_.size() && tags_[slot] == epoch_ ? 1 : 0;
  }

  template <typename Id>
  bool contains(Id id) const {
    return count(id) != 0;
  }

 private:
  std::vector<uint32_t> tags_;
  uint32_t epoch_ = 0;
};

// One bit per node: an eighth of the memory traffic of tags, but clearing
// touches every word (cheap while the graph is small relative to queries).
class BitsetVisited {
 public:
  void clear() {
    for (std::size_t word : touched_) words_[word] = 0;
    touched_.clear();
  }

  template <typename Id>
  std::pair<Id, bool> insert(Id id) {
    std::size_t slot = static_cast<std::size_t>(id);
    std::size_t word = slot >> 6;
    if (word >= words_.size()) words_.resize(word + word / 2 + 64, 0);
    uint64_t bit = uint64_t(1) << (slot & 63);
    bool fresh = (words_[word] & bit) == 0;
    if (words_[word] == 0) touched_.push_back(word);
    words_[word] |= bit;
    return {id, fresh};
  }

  template <typename Id>
  std::pair<Id, bool> emplace(Id id) {
    return insert(id);
  }
  // Marks are indexed by id, not by how many are stored: nothing to reserve.
  void reserve(std::size_t) {}

  template <typename Id>
  std::size_t count(Id id) const {
    std::size_t slot = static_cast<std::size_t>(id);
    std::size_t word = slot >> 6;
    return word < words_.size() && (words_[word] >> (slot & 63) & 1) ? 1 : 0;
  }

  template <typename Id>
  bool contains(Id id) const {
    return count(id) != 0;
  }

 private:
  std::vector<uint64_t> words_;
  std::vector<std::size_t> touched_;  // words that are non-zero, to clear
};

// A cleared set of the calling thread's pool, held until the end of the
// scope. A search whose set is alive while another search runs (one calls
// the other, or itself) holds its own: sharing one would clear the first's
// marks. After the first queries no set is allocated any more.
template <typename Set>
class VisitedLease {
 public:
  VisitedLease() {
    Pool& pool = thread_pool();
    if (pool.free.empty()) {
      pool.owned.push_back(std::make_unique<Set>());
      pool.free.push_back(pool.owned.back().get());
    }
    set_ = pool.free.back();
    pool.free.pop_back();
    set_->clear();
  }
  ~VisitedLease() { thread_pool().free.push_back(set_); }
  VisitedLease(const VisitedLease&) = delete;
  VisitedLease& operator=(const VisitedLease&) = delete;

  Set& set() { return *set_; }

 private:
  struct Pool {
    std::vector<std::unique_ptr<Set>> owned;
    std::vector<Set*> free;
  };
  static Pool& thread_pool() {
    thread_local Pool pool;
    return pool;
  }
  Set* set_;
};

}  // namespace crinn::runtime

#endif  // CRINN_RUNTIME_VISITED_H
