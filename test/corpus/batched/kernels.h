// Distance kernels. Every stored row and every query is zero-padded to a
// multiple of kLane floats, so no kernel needs a tail loop.
#pragma once

#include <cstddef>

namespace quadgraph {

constexpr std::size_t kLane = 16;

inline std::size_t padded(std::size_t dim) { return (dim + kLane - 1) / kLane * kLane; }

// Squared Euclidean distance between two padded vectors.
inline float l2(const float* __restrict a, const float* __restrict b, std::size_t n) {
  float acc = 0.f;
  for (std::size_t i = 0; i < n; ++i) {
    const float t = a[i] - b[i];
    acc += t * t;
  }
  return acc;
}

// Four squared distances from q at once: q[i] is loaded once and reused four
// times, and the four accumulators are independent chains.
inline void dist4(const float* __restrict q, const float* __restrict p0,
                  const float* __restrict p1, const float* __restrict p2,
                  const float* __restrict p3, float* __restrict out, std::size_t n) {
  float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
  for (std::size_t i = 0; i < n; ++i) {
    const float x = q[i];
    const float t0 = x - p0[i];
    const float t1 = x - p1[i];
    const float t2 = x - p2[i];
    const float t3 = x - p3[i];
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

}  // namespace quadgraph
