// loop-fission needs the visited check as `if (visited) continue;` on a
// range-for; a nested check is left to prefetch-insertion.
// RUN: %crinn-opt --list-sites %s -- -std=c++17 2>/dev/null | FileCheck %s
#include <queue>
#include <unordered_set>
#include <vector>

float distance(const float* a, const float* b);

void search(const std::vector<std::vector<int>>& links, const std::vector<const float*>& vectors, const float* q) {
  std::unordered_set<int> visited;
  std::priority_queue<std::pair<float, int>> candidates, results;
  while (!candidates.empty()) {
    int node = candidates.top().second;
    candidates.pop();
    for (int n : links[node]) {
      if (visited.insert(n).second) {
        float d = distance(q, vectors[n]);
        candidates.emplace(-d, n);
        results.emplace(d, n);
      }
    }
  }
}
// CHECK: "id": "neighbor-loop:search"
// CHECK: "rewrite": "prefetch-insertion"
// CHECK-NOT: "loop-fission"
// CHECK: "rewrite": "early-termination"
