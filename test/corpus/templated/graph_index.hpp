// graph_index.hpp - a single-layer proximity graph built by incremental
// insertion (NSW-style) with relative-neighbourhood pruning of the edge lists.
//
// The index is generic over its distance: any callable
//   float operator()(const float* a, const float* b, size_t dim) const
// where smaller means closer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <ostream>
#include <queue>
#include <stdexcept>
#include <unordered_set>
#include <vector>

namespace proxg {

template <typename T>
inline T square(T x) {
  return x * x;
}

struct L2Sqr {
  float operator()(const float* a, const float* b, size_t dim) const {
    float sum = 0.0f;
    for (size_t i = 0; i < dim; ++i) sum += square(a[i] - b[i]);
    return sum;
  }
};

// 1 - <a, b>: the cosine distance once the inputs are unit length.
struct InnerProduct {
  float operator()(const float* a, const float* b, size_t dim) const {
    float dot = 0.0f;
    for (size_t i = 0; i < dim; ++i) {
      dot += a[i] * b[i];
    }
    return 1.0f - dot;
  }
};

struct Cand {
  float dist;
  uint32_t id;
};

struct Closer {
  static bool cmp(const Cand& a, const Cand& b) {
    return a.dist < b.dist || (a.dist == b.dist && a.id < b.id);
  }
};

// priority_queue keeps the *largest* element on top under its comparator.
struct NearestFirst {
  bool operator()(const Cand& a, const Cand& b) const { return Closer::cmp(b, a); }
};
struct FarthestFirst {
  bool operator()(const Cand& a, const Cand& b) const { return Closer::cmp(a, b); }
};

template <class Dist>
class GraphIndex {
 public:
  explicit GraphIndex(size_t dim, size_t degree = 32, size_t beam = 100)
      : dim_(dim), degree_(degree), beam_(beam) {
    if (dim_ == 0 || degree_ < 2 || beam_ == 0)
      throw std::invalid_argument("GraphIndex: dim, degree and beam must be positive");
  }

  size_t dim() const { return dim_; }
  size_t degree() const { return degree_; }
  size_t beam() const { return beam_; }
  size_t size() const { return adj_.size(); }
  uint64_t distance_evals() const { return evals_; }

  // Appends n vectors; their ids continue from size().
  void Add(const float* vecs, size_t n) {
    vectors_.insert(vectors_.end(), vecs, vecs + n * dim_);
    adj_.reserve(adj_.size() + n);
    for (size_t i = 0; i < n; ++i) Insert(static_cast<uint32_t>(adj_.size()));
  }

  // The k nearest stored vectors to q, nearest first.
  std::vector<Cand> Search(const float* q, size_t k, size_t ef) const {
    if (adj_.empty() || k == 0) return {};
    std::vector<Cand> found = BeamSearch(q, std::max(ef, k));
    if (found.size() > k) found.resize(k);
    return found;
  }

  void Serialize(std::ostream& out) const {
    Write(out, uint64_t(dim_));
    Write(out, uint64_t(degree_));
    Write(out, uint64_t(beam_));
    Write(out, uint64_t(adj_.size()));
    Write(out, entry_);
    out.write(reinterpret_cast<const char*>(vectors_.data()),
              std::streamsize(vectors_.size() * sizeof(float)));
    for (const auto& list : adj_) {
      Write(out, uint32_t(list.size()));
      out.write(reinterpret_cast<const char*>(list.data()),
                std::streamsize(list.size() * sizeof(uint32_t)));
    }
    if (!out) throw std::runtime_error("GraphIndex: write failed");
  }

  static std::unique_ptr<GraphIndex> Deserialize(std::istream& in) {
    uint64_t dim = Read<uint64_t>(in), degree = Read<uint64_t>(in),
             beam = Read<uint64_t>(in), n = Read<uint64_t>(in);
    auto g = std::make_unique<GraphIndex>(size_t(dim), size_t(degree), size_t(beam));
    g->entry_ = Read<uint32_t>(in);
    g->vectors_.resize(size_t(n * dim));
    in.read(reinterpret_cast<char*>(g->vectors_.data()),
            std::streamsize(g->vectors_.size() * sizeof(float)));
    g->adj_.resize(size_t(n));
    for (auto& list : g->adj_) {
      list.resize(Read<uint32_t>(in));
      in.read(reinterpret_cast<char*>(list.data()),
              std::streamsize(list.size() * sizeof(uint32_t)));
    }
    if (!in) throw std::runtime_error("GraphIndex: truncated file");
    return g;
  }

 private:
  const float* Vec(uint32_t id) const { return vectors_.data() + size_t(id) * dim_; }

  float Distance(const float* a, const float* b) const {
    ++evals_;
    return dist_(a, b, dim_);
  }

  // Best-first search from the entry point with a beam of ef; nearest first.
  std::vector<Cand> BeamSearch(const float* q, size_t ef) const {
    std::priority_queue<Cand, std::vector<Cand>, NearestFirst> frontier;
    std::priority_queue<Cand, std::vector<Cand>, FarthestFirst> best;
    std::unordered_set<uint32_t> visited;
    visited.reserve(ef * 4);

    Cand start{Distance(q, Vec(entry_)), entry_};
    frontier.push(start);
    best.push(start);
    visited.insert(entry_);

    while (!frontier.empty()) {
      Cand cur = frontier.top();
      if (best.size() >= ef && best.top().dist < cur.dist) break;
      frontier.pop();
      for (uint32_t nb : adj_[cur.id]) {
        if (!visited.insert(nb).second) continue;
        float d = Distance(q, Vec(nb));
        if (best.size() < ef || d < best.top().dist) {
          frontier.push(Cand{d, nb});
          best.push(Cand{d, nb});
          if (best.size() > ef) best.pop();
        }
      }
    }

    std::vector<Cand> out(best.size());
    for (size_t i = out.size(); i-- > 0; best.pop()) out[i] = best.top();
    return out;
  }

  // Relative-neighbourhood pruning: walk the candidates nearest first and
  // drop one when an already kept neighbour is closer to it than the base is.
  std::vector<Cand> Prune(std::vector<Cand> cands, size_t limit) const {
    std::sort(cands.begin(), cands.end(), Closer::cmp);
    auto occludes = [this](const Cand& kept, const Cand& c) {
      ++evals_;
      return dist_(Vec(kept.id), Vec(c.id), dim_) < c.dist;
    };
    std::vector<Cand> keep;
    keep.reserve(limit);
    for (const Cand& c : cands) {
      if (keep.size() >= limit) break;
      bool dominated = false;
      for (const Cand& k : keep) {
        if (occludes(k, c)) {
          dominated = true;
          break;
        }
      }
      if (!dominated) keep.push_back(c);
    }
    return keep;
  }

  void Insert(uint32_t id) {
    adj_.emplace_back();
    if (id == 0) {
      entry_ = 0;
      return;
    }
    std::vector<Cand> chosen = Prune(BeamSearch(Vec(id), beam_), degree_);
    auto& mine = adj_[id];
    for (const Cand& c : chosen) mine.push_back(c.id);

    // back edges; an overfull list is pruned again around its owner
    for (const Cand& c : chosen) {
      auto& theirs = adj_[c.id];
      if (theirs.size() < degree_) {
        theirs.push_back(id);
        continue;
      }
      std::vector<Cand> pool;
      pool.reserve(theirs.size() + 1);
      pool.push_back(Cand{c.dist, id});
      for (uint32_t other : theirs)
        pool.push_back(Cand{Distance(Vec(c.id), Vec(other)), other});
      std::vector<Cand> kept = Prune(std::move(pool), degree_);
      theirs.clear();
      for (const Cand& k : kept) theirs.push_back(k.id);
    }
  }

  template <typename T>
  static void Write(std::ostream& out, const T& v) {
    out.write(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <typename T>
  static T Read(std::istream& in) {
    T v{};
    in.read(reinterpret_cast<char*>(&v), sizeof(T));
    if (!in) throw std::runtime_error("GraphIndex: truncated file");
    return v;
  }

  size_t dim_;
  size_t degree_;
  size_t beam_;
  Dist dist_{};
  std::vector<float> vectors_;
  std::vector<std::vector<uint32_t>> adj_;
  uint32_t entry_ = 0;
  mutable uint64_t evals_ = 0;
};

}  // namespace proxg
