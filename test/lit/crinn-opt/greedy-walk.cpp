// A greedy walk (an HNSW's upper layers) is a neighbour loop with no visited
// test: it moves to a neighbour closer than the current node and walks the
// current node's list. It is no beam, so of the neighbour-loop rewrites only
// prefetch-insertion, which needs just the list and the neighbour's vector,
// applies: the walk's distances miss the cache as the beam's do. An argmin
// over a fixed set inside iterations (k-means' nearest centroid) has the same
// test and assignment but walks no list that depends on what it picks: no site.
// RUN: %crinn-opt --list-sites %s -- -std=c++17 2>/dev/null | FileCheck %s
// CHECK: "id": "neighbor-loop:Layers::descend"
// CHECK-NEXT: "kind": "neighbor-loop"
// CHECK: "rewrites": [
// CHECK-NOT: "rewrite": "loop-fission"
// CHECK: "rewrite": "prefetch-insertion"
// CHECK-NOT: "rewrite":
// CHECK-NOT: "id": "neighbor-loop:Layers::assign"
// The lookahead reads the element `distance` positions on, guarded by the
// loop's own condition, after a prologue on the first iteration that fetches
// the elements before it, and the walk's answer is unchanged.
// RUN: cp %s %t.cpp
// RUN: echo '{"plan": [{"site": "neighbor-loop:Layers::descend", "rewrite": "prefetch-insertion", "params": {"distance": 2, "lines": 3}}]}' > %t.json
// RUN: %crinn-opt --plan %t.json -i %t.cpp -- -std=c++17 2>/dev/null
// RUN: sed 's|//.*||' %t.cpp | FileCheck --check-prefix=WALK %s
// WALK:      for (std::size_t i = 0; i < list.size(); ++i) {
// WALK-NEXT:   if (i == 0) for (auto crinn_k = i; crinn_k < i + 2 && (crinn_k) < list.size(); ++crinn_k) crinn::runtime::prefetch_node<3, 3>(list[(crinn_k)], vectors[(list[(crinn_k)])]);
// WALK-NEXT:   if ((i + 2) < list.size()) crinn::runtime::prefetch_node<3, 3>(list[(i + 2)], vectors[(list[(i + 2)])]);
// WALK-NEXT:   int next = list[i];
// RUN: %clang -fsyntax-only -std=c++17 -I%crinn-include %t.cpp
#include <cstddef>
#include <vector>

float distance(const float* a, const float* b);

struct Layers {
  std::vector<std::vector<std::vector<int>>> links;  // [level][node] -> neighbours
  std::vector<const float*> vectors;
  std::vector<const float*> centroids;

  int descend(const float* q, int node, int top) const {
    float best = distance(q, vectors[node]);
    for (int level = top; level > 0; --level) {
      bool moved = true;
      while (moved) {
        moved = false;
        const std::vector<int>& list = links[level][node];
        for (std::size_t i = 0; i < list.size(); ++i) {
          int next = list[i];
          float d = distance(q, vectors[next]);
          if (d < best) {
            best = d;
            node = next;
            moved = true;
          }
        }
      }
    }
    return node;
  }

  int assign(const float* x, int rounds) const {
    int nearest = 0;
    while (rounds-- > 0) {
      float best = distance(x, centroids[0]);
      const std::vector<const float*>& all = centroids;
      for (std::size_t c = 0; c < all.size(); ++c) {
        int candidate = int(c);
        float d = distance(x, all[candidate]);
        if (d < best) {
          best = d;
          nearest = candidate;
        }
      }
    }
    return nearest;
  }
};
