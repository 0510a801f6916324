// SIMD distance kernels that crinn-opt's simd-distance rewrite calls in place
// of a scalar reduction loop. The widest instruction set the translation unit
// is compiled for is chosen at compile time (AVX-512, then AVX2 + FMA), with a
// scalar fallback.
// The template argument caps the width (512, 256, or 0 for the scalar code).
// Results differ from a sequential scalar sum only by float reassociation.
#ifndef CRINN_RUNTIME_DISTANCE_H
#define CRINN_RUNTIME_DISTANCE_H

#include <cstddef>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace crinn::runtime {

namespace detail {

inline float l2_squared_scalar(const float* a, const float* b, std::size_t n) {
  float sums[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (std::size_t lane = 0; lane < 4; ++lane) {
      float diff = a[i + lane] - b[i + lane];
      sums[lane] += diff * diff;
    }
  for (; i < n; ++i) {
    float diff = a[i] - b[i];
    sums[0] += diff * diff;
  }
  return (sums[0] + sums[1]) + (sums[2] + sums[3]);
}

inline float dot_scalar(const float* a, const float* b, std::size_t n) {
  float sums[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (std::size_t lane = 0; lane < 4; ++lane) sums[lane] += a[i + lane] * b[i + lane];
  for (; i < n; ++i) sums[0] += a[i] * b[i];
  return (sums[0] + sums[1]) + (sums[2] + sums[3]);
}

#if defined(__AVX2__) && defined(__FMA__)
inline float horizontal_sum(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}
#endif

}  // namespace detail

// Squared euclidean distance between a[0..n) and b[0..n).
template <int MaxWidth = 512>
inline float l2_squared(const float* a, const float* b, std::size_t n) {
#if defined(__AVX512F__)
  if constexpr (MaxWidth >= 512) {
    __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
      __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
      __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
      sum0 = _mm512_fmadd_ps(d0, d0, sum0);
      sum1 = _mm512_fmadd_ps(d1, d1, sum1);
    }
    for (; i + 16 <= n; i += 16) {
      __m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
      sum0 = _mm512_fmadd_ps(d, d, sum0);
    }
    if (i < n) {
      __mmask16 tail = __mmask16((1u << (n - i)) - 1u);
      __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, a + i), _mm512_maskz_loadu_ps(tail, b + i));
      sum1 = _mm512_fmadd_ps(d, d, sum1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(sum0, sum1));
  }
#endif
#if defined(__AVX2__) && defined(__FMA__)
  if constexpr (MaxWidth >= 256) {
    __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
      __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
      sum0 = _mm256_fmadd_ps(d0, d0, sum0);
      sum1 = _mm256_fmadd_ps(d1, d1, sum1);
    }
    for (; i + 8 <= n; i += 8) {
      __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
      sum0 = _mm256_fmadd_ps(d, d, sum0);
    }
    float sum = detail::horizontal_sum(_mm256_add_ps(sum0, sum1));
    return i < n ? sum + detail::l2_squared_scalar(a + i, b + i, n - i) : sum;
  }
#endif
  return detail::l2_squared_scalar(a, b, n);
}

// Inner product of a[0..n) and b[0..n).
template <int MaxWidth = 512>
inline float dot(const float* a, const float* b, std::size_t n) {
#if defined(__AVX512F__)
  if constexpr (MaxWidth >= 512) {
    __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
      sum0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), sum0);
      sum1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), sum1);
    }
    for (; i + 16 <= n; i += 16) sum0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), sum0);
    if (i < n) {
      __mmask16 tail = __mmask16((1u << (n - i)) - 1u);
      sum1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, a + i), _mm512_maskz_loadu_ps(tail, b + i), sum1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(sum0, sum1));
  }
#endif
#if defined(__AVX2__) && defined(__FMA__)
  if constexpr (MaxWidth >= 256) {
    __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), sum0);
      sum1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), sum1);
    }
    for (; i + 8 <= n; i += 8) sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), sum0);
    float sum = detail::horizontal_sum(_mm256_add_ps(sum0, sum1));
    return i < n ? sum + detail::dot_scalar(a + i, b + i, n - i) : sum;
  }
#endif
  return detail::dot_scalar(a, b, n);
}

}  // namespace crinn::runtime

#endif  // CRINN_RUNTIME_DISTANCE_H
