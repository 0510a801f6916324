// RUN: %crinn-opt --list-sites %s -- -std=c++17 2>/dev/null | FileCheck --check-prefix=SITES %s
// RUN: cp %s %t.cpp
// RUN: echo '{"plan": [{"site": "distance-kernel:l2", "rewrite": "simd-distance", "params": {"width": 256}}, {"site": "distance-kernel:dot_walk", "rewrite": "simd-distance"}]}' > %t.json
// RUN: %crinn-opt --plan %t.json -i %t.cpp -- -std=c++17 2>/dev/null
// RUN: sed 's|//.*||' %t.cpp | FileCheck %s
// RUN: %clang -fsyntax-only -std=c++17 -I%crinn-include %t.cpp

#include <cstddef>

// SITES: "id": "distance-kernel:l2"
// SITES: "rewrite": "simd-distance"
float l2(const float* a, const float* b, int dim) {
  float sum = 0.0f;
  for (int i = 0; i < dim; ++i) {
    float diff = a[i] - b[i];
    sum += diff * diff;
  }
  return sum;
}
// CHECK: #include <crinn/runtime/distance.h>
// CHECK-LABEL: float l2(
// CHECK-NEXT: float sum = 0.0f;
// CHECK-NEXT: sum += crinn::runtime::l2_squared<256>(a, b, static_cast<std::size_t>(dim));
// CHECK-NEXT: return sum;

// The pointer-walking form of hnswlib.
// SITES: "id": "distance-kernel:dot_walk"
float dot_walk(const float* p, const float* q, size_t n) {
  float res = 0;
  for (size_t i = 0; i < n; i++) {
    res += *p * *q;
    p++;
    q++;
  }
  return res;
}
// CHECK-LABEL: float dot_walk(
// CHECK: res += crinn::runtime::dot<512>(p, q, static_cast<std::size_t>(n));
// CHECK-NEXT: return res;

// Must not fire: the pointers are read after the loop, so the call, which
// does not advance them, would change the result. (Unrolling still applies.)
// SITES: "id": "distance-kernel:walk_then_read"
// SITES: "rewrite": "loop-unroll"
// SITES-NOT: "simd-distance"
float walk_then_read(const float* p, const float* q, size_t n) {
  float res = 0;
  for (size_t i = 0; i < n; i++) {
    float t = *p - *q;
    p++;
    q++;
    res += t * t;
  }
  return res + *p;
}

// Must not fire: not a reduction of products.
// SITES-NOT: manhattan
float manhattan(const float* a, const float* b, int dim) {
  float sum = 0.0f;
  for (int i = 0; i < dim; ++i) sum += a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
  return sum;
}

// Must not fire: the loop does more than reduce.
// SITES-NOT: with_side_effect
float with_side_effect(const float* a, const float* b, float* out, int dim) {
  float sum = 0.0f;
  for (int i = 0; i < dim; ++i) {
    sum += a[i] * b[i];
    out[i] = sum;
  }
  return sum;
}
