// A small navigable-small-world index with the index ABI's entry points:
// insertion and queries share the beam search, as in HNSW, so the rewrites
// that switch on only on the query path have a query entry (knn) to hook.
// main prints the answers for fixed data whose coordinates are whole
// numbers from 0 to 255 (each dimension spans all of them), so SQ8 codes of
// them are exact.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <queue>
#include <random>
#include <unordered_set>
#include <utility>
#include <vector>

class Index {
 public:
  explicit Index(int dim) : dim_(dim) {}

  void add(const float* vec) {
    int node = int(links_.size());
    data_.insert(data_.end(), vec, vec + dim_);
    links_.emplace_back(1);
    if (node == 0) return;
    for (const auto& [d, other] : search(vec, 0, 16, 0)) {
      if (other == node) continue;
      if (links_[node][0].size() < 8) links_[node][0].push_back(other);
      if (links_[other][0].size() < 16) links_[other][0].push_back(node);
    }
  }

  std::vector<int> knn(const float* query, int k, int ef) {
    std::vector<int> ids;
    for (const auto& [d, id] : search(query, 0, std::max(k, ef), 0)) {
      if (int(ids.size()) == k) break;
      ids.push_back(id);
    }
    return ids;
  }

 private:
  const float* vector_of(int id) const { return &data_[size_t(id) * dim_]; }

  float distance(const float* a, const float* b) const {
    float sum = 0.0f;
    for (int i = 0; i < dim_; ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
    return sum;
  }

  std::vector<std::pair<float, int>> search(const float* query, int entry, int ef, int level) {
    std::unordered_set<int> visited;
    std::priority_queue<std::pair<float, int>, std::vector<std::pair<float, int>>, std::greater<>> candidates;
    std::priority_queue<std::pair<float, int>> results;
    float d0 = distance(query, vector_of(entry));
    visited.insert(entry);
    candidates.emplace(d0, entry);
    results.emplace(d0, entry);
    while (!candidates.empty()) {
      std::pair<float, int> closest = candidates.top();
      if (closest.first > results.top().first) break;
      candidates.pop();
      for (int neighbour : links_[closest.second][level]) {
        if (!visited.insert(neighbour).second) continue;
        float d = distance(query, vector_of(neighbour));
        if (results.size() < size_t(ef) || d < results.top().first) {
          candidates.emplace(d, neighbour);
          results.emplace(d, neighbour);
          if (results.size() > size_t(ef)) results.pop();
        }
      }
    }
    std::vector<std::pair<float, int>> nearest;
    for (; !results.empty(); results.pop()) nearest.push_back(results.top());
    std::reverse(nearest.begin(), nearest.end());
    return nearest;
  }

  int dim_;
  std::vector<float> data_;
  std::vector<std::vector<std::vector<int>>> links_;  // links_[node][level]
};

int crinn_index_build(Index& index, const std::vector<float>& data, int dim) {
  for (size_t i = 0; i < data.size(); i += size_t(dim)) index.add(&data[i]);
  return 0;
}

std::vector<int> crinn_index_search(Index& index, const float* query, int k, int ef) {
  return index.knn(query, k, ef);
}

int main() {
  const int dim = 16, n = 2000;
  std::mt19937 rng(11);
  std::vector<float> data(size_t(n) * dim);
  for (size_t i = 0; i < data.size(); ++i) data[i] = float(i < size_t(dim) ? 0 : i < size_t(2 * dim) ? 255 : rng() % 256);
  Index index(dim);
  crinn_index_build(index, data, dim);
  for (int q = 0; q < 20; ++q) {
    std::vector<float> query(dim);
    for (float& x : query) x = float(rng() % 256);
    for (int id : crinn_index_search(index, query.data(), 10, 32)) std::printf("%d ", id);
    std::printf("\n");
  }
}
