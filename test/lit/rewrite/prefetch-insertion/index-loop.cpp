// prefetch-insertion on an index loop in the shape of hnswlib's
// searchBaseLayerST: the element and its vector are reached through locals,
// and the lookahead is guarded by the loop's own condition. The loop starts
// from a value in its initialiser, so the first iteration also fetches the
// elements before the one ahead (the prologue).
// RUN: %crinn-opt --list-sites %s -- -std=c++17 2>/dev/null | FileCheck --check-prefix=SITES %s
// RUN: cp %s %t.cpp
// RUN: echo '{"plan": [{"site": "neighbor-loop:Search::run", "rewrite": "prefetch-insertion", "params": {"distance": 1}}]}' > %t.json
// RUN: %crinn-opt --plan %t.json -i %t.cpp -- -std=c++17 2>/dev/null
// RUN: sed 's|//.*||' %t.cpp | FileCheck %s
// RUN: %clang -fsyntax-only -std=c++17 -I%crinn-include %t.cpp
#include <cstddef>
#include <queue>
#include <utility>

struct Search {
  char* memory;
  size_t stride;
  unsigned* tags;
  unsigned tag;
  char* data_of(int id) const { return memory + id * stride; }
  float (*dist)(const void*, const void*, const void*);
  const void* param;

  void run(const void* query, int* list, size_t ef) {
    std::priority_queue<std::pair<float, int>> candidates, top;
    while (!candidates.empty()) {
      candidates.pop();
      size_t size = size_t(list[0]);
      for (size_t j = 1; j <= size; j++) {
        int candidate_id = *(list + j);
        if (!(tags[candidate_id] == tag)) {
          tags[candidate_id] = tag;
          char* current = data_of(candidate_id);
          float d = dist(query, current, param);
          if (top.size() < ef) {
            candidates.emplace(-d, candidate_id);
            top.emplace(d, candidate_id);
          }
        }
      }
    }
  }
};
// SITES: "id": "neighbor-loop:Search::run"
// SITES: "rewrite": "prefetch-insertion"
// SITES-NOT: "adjacency"
// SITES: "rewrite": "early-termination"
// CHECK: for (size_t j = 1; j <= size; j++) {
// CHECK-NEXT: if (j == 1) for (auto crinn_k = j; crinn_k < j + 1 && (crinn_k) <= size; ++crinn_k) crinn::runtime::prefetch_node<4, 3>(*(list + (crinn_k)), data_of((*(list + (crinn_k)))));
// CHECK-NEXT: if ((j + 1) <= size) crinn::runtime::prefetch_node<4, 3>(*(list + (j + 1)), data_of((*(list + (j + 1)))));
// CHECK-NEXT: int candidate_id = *(list + j);
