// The same kind of index as index.cpp, written so that no rewrite can read
// its storage whole: each vector is a row of its own (rows_[id]), reached
// through an accessor, and the results are `Hit{dist, id}` structs. main
// prints the answers (coordinates are whole numbers 0..255 in every
// dimension, so SQ8 codes trained on a sample spanning them are exact) and,
// on stderr, how many exact distances the queries computed.
#include <algorithm>
#include <cstdio>
#include <queue>
#include <random>
#include <unordered_set>
#include <vector>

struct Hit {
  float dist;
  int id;
};
struct FarthestOnTop {
  bool operator()(const Hit& a, const Hit& b) const { return a.dist < b.dist; }
};
struct NearestOnTop {
  bool operator()(const Hit& a, const Hit& b) const { return a.dist > b.dist; }
};

class Index {
 public:
  explicit Index(int dim) : dim_(dim) {}

  void add(const float* vec) {
    int node = int(rows_.size());
    rows_.emplace_back(vec, vec + dim_);
    links_.emplace_back();
    if (node == 0) return;
    for (const Hit& hit : search(vec, 16)) {
      if (hit.id == node) continue;
      if (links_[node].size() < 8) links_[node].push_back(hit.id);
      if (links_[hit.id].size() < 16) links_[hit.id].push_back(node);
    }
  }

  std::vector<int> knn(const float* query, int k, int ef) {
    std::vector<int> ids;
    for (const Hit& hit : search(query, std::max(k, ef))) {
      if (int(ids.size()) == k) break;
      ids.push_back(hit.id);
    }
    return ids;
  }

  long exact_distances = 0;

 private:
  const float* row(int id) const { return rows_[size_t(id)].data(); }

  float distance(const float* a, const float* b) {
    ++exact_distances;
    float sum = 0.0f;
    for (int i = 0; i < dim_; ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
    return sum;
  }

  std::vector<Hit> search(const float* query, int ef) {
    std::unordered_set<int> visited;
    std::priority_queue<Hit, std::vector<Hit>, NearestOnTop> candidates;
    std::priority_queue<Hit, std::vector<Hit>, FarthestOnTop> results;
    Hit start{distance(query, row(0)), 0};
    visited.insert(0);
    candidates.push(start);
    results.push(start);
    while (!candidates.empty()) {
      Hit closest = candidates.top();
      if (closest.dist > results.top().dist) break;
      candidates.pop();
      for (int neighbour : links_[size_t(closest.id)]) {
        if (!visited.insert(neighbour).second) continue;
        float d = distance(query, row(neighbour));
        if (results.size() < size_t(ef) || d < results.top().dist) {
          candidates.push(Hit{d, neighbour});
          results.push(Hit{d, neighbour});
          if (results.size() > size_t(ef)) results.pop();
        }
      }
    }
    std::vector<Hit> nearest;
    for (; !results.empty(); results.pop()) nearest.push_back(results.top());
    std::reverse(nearest.begin(), nearest.end());
    return nearest;
  }

  int dim_;
  std::vector<std::vector<float>> rows_;
  std::vector<std::vector<int>> links_;
};

int crinn_index_build(Index& index, const std::vector<float>& data, int dim) {
  for (size_t i = 0; i < data.size(); i += size_t(dim)) index.add(&data[i]);
  return 0;
}

std::vector<int> crinn_index_search(Index& index, const float* query, int k, int ef) {
  return index.knn(query, k, ef);
}

int main() {
  const int dim = 16, n = 6000;
  std::mt19937 rng(11);
  std::vector<float> data(size_t(n) * dim);
  for (size_t i = 0; i < data.size(); ++i) data[i] = float(i < size_t(dim) ? 0 : i < size_t(2 * dim) ? 255 : rng() % 256);
  Index index(dim);
  crinn_index_build(index, data, dim);
  index.exact_distances = 0;
  for (int q = 0; q < 200; ++q) {
    std::vector<float> query(dim);
    for (float& x : query) x = float(rng() % 256);
    for (int id : crinn_index_search(index, query.data(), 10, 32)) std::printf("%d ", id);
    std::printf("\n");
  }
  std::fprintf(stderr, "%ld\n", index.exact_distances);
}
