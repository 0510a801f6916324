// [[clang::annotate("crinn::<kind>")]] marks what the heuristics cannot see:
// a neighbour loop with no enclosing beam loop, a constant of any name.
// RUN: %crinn-opt --list-sites %s -- -std=c++17 2>/dev/null | FileCheck %s
#include <unordered_set>
#include <vector>

float distance(const float* a, const float* b);

// One expansion step, the beam loop being the caller's: a site only if marked.
[[clang::annotate("crinn::neighbor-loop")]] void expand(const std::vector<int>& list, std::unordered_set<int>& visited,
                                                       const float* const* vectors, const float* q,
                                                       std::vector<float>& out) {
  for (int n : list) {
    if (!visited.insert(n).second) continue;
    float d = distance(q, vectors[n]);
    out.push_back(d);
  }
}

void expand_unmarked(const std::vector<int>& list, std::unordered_set<int>& visited, const float* const* vectors,
                     const float* q, std::vector<float>& out) {
  for (int n : list) {
    if (!visited.insert(n).second) continue;
    float d = distance(q, vectors[n]);
    out.push_back(d);
  }
}

[[clang::annotate("crinn::constant")]] constexpr int kWarmupQueries = 32;
constexpr int kUnmarkedLimit = 32;

// CHECK: "annotated": true,
// CHECK: "id": "neighbor-loop:expand"
// CHECK: "rewrite": "prefetch-insertion"
// CHECK: "annotated": true,
// CHECK: "id": "constant:kWarmupQueries"
// CHECK-NOT: expand_unmarked
// CHECK-NOT: kUnmarkedLimit
