// [[clang::annotate("crinn::<kind>")]] marks what the heuristics cannot see:
// a neighbour loop with no enclosing beam loop, a constant of any name, a
// distance or a pruning rule written in a form no analysis knows, a visited
// set or a candidate pool that no search loop shows.
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

// A distance through a lookup table, and a pruning rule by angle: no pattern of either.
[[clang::annotate("crinn::distance-kernel")]] float table_distance(const unsigned char* a, const unsigned char* b,
                                                                  const float* table, int m) {
  float sum = 0;
  for (int j = 0; j < m; ++j) sum = sum + table[j * 256 + (a[j] ^ b[j])];
  return sum;
}

[[clang::annotate("crinn::pruning")]] int keep_by_angle(const float* cosines, int n, float limit, int* kept) {
  int count = 0;
  for (int i = 0; i < n; ++i)
    if (cosines[i] < limit) kept[count++] = i;
  return count;
}

struct Searcher {
  [[clang::annotate("crinn::visited-set")]] std::vector<unsigned> marks;
  [[clang::annotate("crinn::candidate-pool")]] std::vector<std::pair<float, int>> frontier;
};

// CHECK: "annotated": true,
// CHECK: "id": "neighbor-loop:expand"
// CHECK: "rewrite": "prefetch-insertion"
// CHECK: "annotated": true,
// CHECK: "id": "constant:kWarmupQueries"
// CHECK: "id": "distance-kernel:table_distance"
// CHECK: "id": "pruning:keep_by_angle"
// CHECK: "id": "visited-set:Searcher::marks"
// CHECK: "id": "candidate-pool:Searcher::frontier"
// CHECK-NOT: expand_unmarked
// CHECK-NOT: kUnmarkedLimit
