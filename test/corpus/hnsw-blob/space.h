// Distance functions. The graph only sees a DISTFUNC and an opaque parameter
// (a pointer to the dimension), so a metric is added without touching it.
#pragma once

#include <cstddef>

namespace lgraph {

typedef float (*DISTFUNC)(const void*, const void*, const void*);

static inline float sq(float x) { return x * x; }

static float L2Sqr(const void* pVect1, const void* pVect2, const void* qty_ptr) {
  const float* a = static_cast<const float*>(pVect1);
  const float* b = static_cast<const float*>(pVect2);
  size_t qty = *static_cast<const size_t*>(qty_ptr);
  float res = 0.0f;
  for (size_t i = 0; i < qty; i++) res += sq(a[i] - b[i]);
  return res;
}

// 1 - <a, b>: the cosine distance of unit vectors, and ranks like -<a, b>.
static float InnerProductDistance(const void* pVect1, const void* pVect2, const void* qty_ptr) {
  const float* a = static_cast<const float*>(pVect1);
  const float* b = static_cast<const float*>(pVect2);
  size_t qty = *static_cast<const size_t*>(qty_ptr);
  float dot = 0.0f;
  for (size_t i = 0; i < qty; i++) dot += a[i] * b[i];
  return 1.0f - dot;
}

enum class SpaceKind : int { L2 = 0, InnerProduct = 1 };

struct Space {
  size_t dim;
  SpaceKind kind;
  DISTFUNC dist_func() const { return kind == SpaceKind::L2 ? L2Sqr : InnerProductDistance; }
};

}  // namespace lgraph
