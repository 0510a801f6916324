// A small graph search in the textbook shape, with a main that prints the
// answers for fixed data: the rewrite tests compare a rewritten copy's
// output with the original's.
#include <cstdio>
#include <algorithm>
#include <functional>
#include <queue>
#include <random>
#include <unordered_set>
#include <utility>
#include <vector>

struct Params {
  int M = 8;
  int ef_search = 32;
  unsigned seed = 7;
};

class Graph {
 public:
  Graph(int dim, int n, const Params& params) : dim_(dim), params_(params) {
    std::mt19937 rng(params.seed);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    for (int i = 0; i < n * dim; ++i) data_.push_back(uniform(rng));
    links_.resize(n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < params.M; ++j) links_[i].push_back(int(rng() % n));
  }

  const float* vector_of(int id) const { return &data_[size_t(id) * dim_]; }

  float distance(const float* a, const float* b) const {
    float sum = 0.0f;
    for (int i = 0; i < dim_; ++i) {
      float diff = a[i] - b[i];
      sum += diff * diff;
    }
    return sum;
  }

  std::vector<int> search(const float* query, int entry, int ef) {
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
      for (int neighbour : links_[closest.second]) {
        if (!visited.insert(neighbour).second) continue;
        float d = distance(query, vector_of(neighbour));
        if (results.size() < size_t(ef) || d < results.top().first) {
          candidates.emplace(d, neighbour);
          results.emplace(d, neighbour);
          if (results.size() > size_t(ef)) results.pop();
        }
      }
    }
    std::vector<int> ids;
    for (; !results.empty(); results.pop()) ids.push_back(results.top().second);
    return ids;
  }

  // A greedy walk: no visited set, so not a neighbour loop of a beam search.
  int greedy(const float* query, int entry) {
    int current = entry;
    float best = distance(query, vector_of(current));
    bool improved = true;
    while (improved) {
      improved = false;
      for (int neighbour : links_[current]) {
        float d = distance(query, vector_of(neighbour));
        if (d < best) {
          best = d;
          current = neighbour;
          improved = true;
        }
      }
    }
    return current;
  }

  // The heuristic of HNSW: keep a candidate only if it is closer to the new
  // node than to every neighbour kept so far.
  std::vector<int> select(std::vector<std::pair<float, int>> sorted_candidates, int max_count) {
    std::vector<int> kept;
    for (const std::pair<float, int>& candidate : sorted_candidates) {
      if (int(kept.size()) >= max_count) break;
      bool keep = true;
      for (int other : kept) {
        if (distance(vector_of(candidate.second), vector_of(other)) < candidate.first) {
          keep = false;
          break;
        }
      }
      if (keep) kept.push_back(candidate.second);
    }
    return kept;
  }

 private:
  int dim_;
  Params params_;
  std::vector<float> data_;
  std::vector<std::vector<int>> links_;
};

int main() {
  Params params;
  Graph graph(8, 500, params);
  std::vector<float> query(8, 0.5f);
  for (int entry : {0, 17, 99}) {
    for (int id : graph.search(query.data(), entry, params.ef_search)) std::printf("%d ", id);
    std::printf("| %d\n", graph.greedy(query.data(), entry));
  }
  std::vector<std::pair<float, int>> candidates;
  for (int i = 1; i < 40; ++i) candidates.emplace_back(graph.distance(graph.vector_of(0), graph.vector_of(i)), i);
  std::sort(candidates.begin(), candidates.end());
  for (int id : graph.select(candidates, 6)) std::printf("%d ", id);
  std::printf("\n");
}
