// Two searches alive at once: search()'s visited set is live while it calls
// spread(), a search of its own. If spread() cleared search()'s marks, search()
// would expand nodes again (with one set per thread it printed other sums).
#include <cstdio>
#include <unordered_set>
#include <vector>

std::vector<std::vector<int>> graph = {{1, 2}, {2, 3}, {3, 4}, {4, 0}, {0, 1}};
std::vector<float> points = {0.0f, 1.0f, 3.0f, 6.0f, 10.0f};

float distance(const float* a, const float* b) { return (*a - *b) * (*a - *b); }

// The sum of distances from `from` to the nodes within two hops.
float spread(int from) {
  std::unordered_set<int> seen;
  std::vector<int> pool = {from};
  float sum = 0;
  for (int hops = 0; hops < 2 && !pool.empty(); ++hops) {
    std::vector<int> next;
    while (!pool.empty()) {
      int node = pool.back();
      pool.pop_back();
      for (int b : graph[node]) {
        if (seen.count(b)) continue;
        seen.insert(b);
        float d = distance(&points[from], &points[b]);
        sum += d;
        next.push_back(b);
      }
    }
    pool = next;
  }
  return sum;
}

int main() {
  std::unordered_set<int> visited;
  std::vector<int> frontier = {0};
  float total = 0;
  int expansions = 0;
  while (!frontier.empty() && expansions < 50) {
    int node = frontier.back();
    frontier.pop_back();
    ++expansions;
    for (int next : graph[node]) {
      if (visited.count(next)) continue;
      visited.insert(next);
      float d = distance(&points[node], &points[next]);
      total += d + spread(next);
      frontier.push_back(next);
    }
  }
  std::printf("total %.0f after %d expansions\n", total, expansions);
}
