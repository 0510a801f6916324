// Scalar-quantized copies of an index's vectors, which crinn-opt's
// quantized-distance rewrite makes the search loop read instead of the
// floats: SQ8 (one byte per dimension) or SQ4 (two dimensions per byte).
// Each dimension has its own offset (its minimum) and all share one step
// (the widest range over the levels), so that squared euclidean distances
// between codes are integer sums, computed with SIMD integer kernels, and
// scale back to the float distance by step^2. Inner products are computed
// between the float query and the codes.
//
// The codes are built after the graph: a QuantizedScope at the top of the
// query path brings them up to date (training on every stored vector the
// first time) and switches the search loop over to them for that query; the
// build, outside any scope, keeps using exact distances. rerank() then gives
// the best candidates their exact distances back.
#ifndef CRINN_RUNTIME_QUANTIZED_H
#define CRINN_RUNTIME_QUANTIZED_H

#include <crinn/runtime/aligned.h>
#include <crinn/runtime/prefetch.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <queue>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace crinn::runtime {

namespace detail {

#if defined(__AVX2__)
inline int32_t sum_lanes(__m256i v) {
  __m128i half = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0x4e));
  half = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0xb1));
  return _mm_cvtsi128_si32(half);
}

inline float sum_lanes(__m256 v) {
  __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  half = _mm_add_ps(half, _mm_movehl_ps(half, half));
  return _mm_cvtss_f32(_mm_add_ss(half, _mm_shuffle_ps(half, half, 0x55)));
}
#endif

// sum over d < dim of query[d] * code[d], one code per byte.
inline float sq8_dot(const float* query, const uint8_t* code, std::size_t dim) {
  float dot = 0.0f;
  std::size_t d = 0;
#if defined(__AVX2__)
  __m256 acc = _mm256_setzero_ps();
  for (; d + 8 <= dim; d += 8) {
    __m256 levels = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(code + d))));
    acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(query + d), levels));
  }
  dot = sum_lanes(acc);
#endif
  for (; d < dim; ++d) dot += query[d] * float(code[d]);
  return dot;
}

// sum over i < bytes of (a[i] - b[i])^2, bytes holding one code each.
inline int32_t sq8_l2(const uint8_t* a, const uint8_t* b, std::size_t bytes) {
  int32_t sum = 0;
  std::size_t i = 0;
#if defined(__AVX512BW__)
  // 32 codes a block, two independent accumulators (VNNI fuses the multiply-add).
  __m512i acc512[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
  auto block512 = [&](std::size_t at, __m512i& into) {
    __m512i d = _mm512_sub_epi16(_mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + at))),
                                 _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + at))));
#if defined(__AVX512VNNI__)
    into = _mm512_dpwssd_epi32(into, d, d);
#else
    into = _mm512_add_epi32(into, _mm512_madd_epi16(d, d));
#endif
  };
  for (; i + 64 <= bytes; i += 64) block512(i, acc512[0]), block512(i + 32, acc512[1]);
  if (i + 32 <= bytes) block512(i, acc512[0]), i += 32;
  sum = _mm512_reduce_add_epi32(_mm512_add_epi32(acc512[0], acc512[1]));
#endif
#if defined(__AVX2__)
  // Two independent accumulators, so consecutive blocks do not wait on one add chain.
  __m256i acc[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
  auto block = [&](std::size_t at, __m256i& into) {
    __m256i x = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + at)));
    __m256i y = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + at)));
    __m256i d = _mm256_sub_epi16(x, y);
    into = _mm256_add_epi32(into, _mm256_madd_epi16(d, d));
  };
  for (; i + 32 <= bytes; i += 32) block(i, acc[0]), block(i + 16, acc[1]);
  if (i + 16 <= bytes) block(i, acc[0]), i += 16;
  sum += sum_lanes(_mm256_add_epi32(acc[0], acc[1]));
#endif
  for (; i < bytes; ++i) {
    int32_t d = int32_t(a[i]) - int32_t(b[i]);
    sum += d * d;
  }
  return sum;
}

// The same over bytes holding two 4-bit codes each (low nibble first).
inline int32_t sq4_l2(const uint8_t* a, const uint8_t* b, std::size_t bytes) {
  int32_t sum = 0;
  std::size_t i = 0;
#if defined(__AVX2__)
  const __m128i low_mask = _mm_set1_epi8(0x0f);
  __m256i acc = _mm256_setzero_si256();
  for (; i + 16 <= bytes; i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i));
    __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
    __m256i d_low = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_and_si128(x, low_mask)),
                                     _mm256_cvtepu8_epi16(_mm_and_si128(y, low_mask)));
    __m256i d_high = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(x, 4), low_mask)),
                                      _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(y, 4), low_mask)));
    acc = _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(d_low, d_low), _mm256_madd_epi16(d_high, d_high)));
  }
  sum = sum_lanes(acc);
#endif
  for (; i < bytes; ++i) {
    int32_t low = int32_t(a[i] & 0x0f) - int32_t(b[i] & 0x0f);
    int32_t high = int32_t(a[i] >> 4) - int32_t(b[i] >> 4);
    sum += low * low + high * high;
  }
  return sum;
}

// Squared euclidean distance and dot product of a float query and an FP16
// row (F16C conversions where the target has them).
inline float half_l2(const float* query, const _Float16* row, std::size_t dim) {
  float sum = 0.0f;
  std::size_t d = 0;
#if defined(__AVX512F__)
  __m512 acc = _mm512_setzero_ps();
  for (; d + 16 <= dim; d += 16) {
    __m512 diff = _mm512_sub_ps(_mm512_loadu_ps(query + d),
                                _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + d))));
    acc = _mm512_fmadd_ps(diff, diff, acc);
  }
  sum = _mm512_reduce_add_ps(acc);
#elif defined(__AVX2__) && defined(__F16C__)
  __m256 acc = _mm256_setzero_ps();
  for (; d + 8 <= dim; d += 8) {
    __m256 diff = _mm256_sub_ps(_mm256_loadu_ps(query + d),
                                _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + d))));
    acc = _mm256_add_ps(acc, _mm256_mul_ps(diff, diff));
  }
  sum = sum_lanes(acc);
#endif
  for (; d < dim; ++d) {
    const float diff = query[d] - float(row[d]);
    sum += diff * diff;
  }
  return sum;
}

inline float half_dot(const float* query, const _Float16* row, std::size_t dim) {
  float sum = 0.0f;
  std::size_t d = 0;
#if defined(__AVX512F__)
  __m512 acc = _mm512_setzero_ps();
  for (; d + 16 <= dim; d += 16)
    acc = _mm512_fmadd_ps(_mm512_loadu_ps(query + d),
                          _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + d))), acc);
  sum = _mm512_reduce_add_ps(acc);
#elif defined(__AVX2__) && defined(__F16C__)
  __m256 acc = _mm256_setzero_ps();
  for (; d + 8 <= dim; d += 8)
    acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(query + d),
                                           _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + d)))));
  sum = sum_lanes(acc);
#endif
  for (; d < dim; ++d) sum += query[d] * float(row[d]);
  return sum;
}

// A vector as the index hands it to its distance: a pointer (to floats, or
// to bytes holding floats) or a container of floats.
template <typename T>
const float* floats_of(const T* vector) {
  return reinterpret_cast<const float*>(vector);
}
template <typename Container>
auto floats_of(const Container& vector) -> decltype(vector.data(), static_cast<const float*>(nullptr)) {
  return reinterpret_cast<const float*>(vector.data());
}

}  // namespace detail

template <int Bits>
class QuantizedCodes final : public NodeReader {
  static_assert(Bits == 8 || Bits == 4, "SQ8 or SQ4");
  static constexpr int kLevels = (1 << Bits) - 1;

 public:
  // Encodes the vectors appended since the last call (row i's `dim` floats
  // start at data + i * row: rows may hold more than the vector, as
  // hnswlib's do); the first call that sees at least `min_train` vectors
  // trains the quantizer on all of them and calibrates the metric against
  // `exact` (the index's own distance).
  // Keeps the codes in huge pages from now on (quantized-distance's huge_pages).
  void use_huge_pages() { runtime::use_huge_pages(codes_); }
  // Keeps an FP16 copy of the rows as well (quantized-distance's
  // rerank_precision 16), which re-ranking reads instead of the floats: half
  // their bytes, at FP16's precision (11 significant bits).
  void use_half_rows() { half_rows_ = true; }

  template <typename Exact>
  void sync(const float* data, std::size_t n, std::size_t dim, std::size_t row, std::size_t min_train, Exact&& exact) {
    if (!trained_) {
      if (n < std::max<std::size_t>(min_train, 1)) return;
      train(data, n, dim, row, exact);
    }
    codes_.resize(n * bytes_);
    for (; encoded_ < n; ++encoded_) encode(data + encoded_ * row, &codes_[encoded_ * bytes_]);
    if (!half_rows_) return;
    halves_.resize(n * dim_);
    for (; halved_ < n; ++halved_)
      for (std::size_t d = 0; d < dim_; ++d) halves_[halved_ * dim_ + d] = _Float16(data[halved_ * row + d]);
  }

  // Storage the rewrite cannot read whole (vectors behind an accessor, rows
  // whose count it does not know): codes are made as the search reaches
  // nodes. The dimension is found by probing `exact`; the search stays exact,
  // while the vectors it reaches are sampled, until `sample_size` distinct
  // ones train the quantizer. Returns whether the codes can be used.
  template <typename Exact>
  bool sync_reached(std::size_t sample_size, Exact&& exact) {
    if (trained_) return calibrated_;
    if (dim_ == 0 && !probed_) {
      probed_ = true;
      dim_ = probe_dimension(exact);
      bytes_ = Bits == 8 ? dim_ : (dim_ + 1) / 2;
    }
    if (dim_ == 0 || sample_.size() / dim_ < std::max<std::size_t>(sample_size, 2)) return false;
    train(sample_.data(), sample_.size() / dim_, dim_, dim_, exact);
    sample_ = {};
    sampled_ = {};
    return calibrated_;
  }

  // The exact path's distance, passed through; while sampling, the node's
  // vector joins the training sample.
  template <typename Id, typename Vector>
  float observe(Id node, const Vector& vector, float exact_distance) {
    if (!sampling_ || trained_ || dim_ == 0) return exact_distance;
    std::size_t slot = std::size_t(node);
    if (slot >= sampled_.size()) sampled_.resize(slot + slot / 2 + 1024, false);
    if (!sampled_[slot]) {
      sampled_[slot] = true;
      const float* floats = detail::floats_of(vector);
      sample_.insert(sample_.end(), floats, floats + dim_);
    }
    return exact_distance;
  }
  void set_sampling(bool on) { sampling_ = on; }

  // The approximate distance from the query to `node`, whose vector is
  // `vector`: its code is made the first time the node is reached.
  template <typename Id, typename Vector>
  float distance(Id node, const Vector& vector) {
    std::size_t slot = std::size_t(node);
    if (slot >= made_.size()) {
      made_.resize(slot + slot / 2 + 1024, 0);
      codes_.resize(made_.size() * bytes_);
    }
    if (!made_[slot]) {
      encode(detail::floats_of(vector), &codes_[slot * bytes_]);
      made_[slot] = 1;
    }
    return distance(node);
  }

  bool ready(std::size_t n) const { return trained_ && calibrated_ && encoded_ == n; }
  bool active() const { return active_; }
  void set_active(bool on) { active_ = on; }

  // Prepares the distances to `query`; false (exact distances wanted) outside a scope.
  bool begin_query(const float* query) {
    if (!active_) return false;
    // The float query: what inner products on codes and FP16 rows read.
    if (inner_product_ || half_rows_) query_.assign(query, query + dim_);
    if (inner_product_) {
      query_offset_ = 0.0f;
      for (std::size_t d = 0; d < dim_; ++d) query_offset_ += query[d] * offset_[d];
    } else {
      query_code_.resize(bytes_);
      encode(query, query_code_.data());
    }
    return true;
  }

  // The approximate distance from the query to `node`, on the index's scale.
  template <typename Id>
  float distance(Id node) const {
    const uint8_t* code = &codes_[std::size_t(node) * bytes_];
    if (!inner_product_) {
      int32_t sum = Bits == 8 ? detail::sq8_l2(query_code_.data(), code, bytes_)
                              : detail::sq4_l2(query_code_.data(), code, bytes_);
      return float(sum) * step_ * step_;
    }
    float dot = 0.0f;
    if (Bits == 8)
      dot = detail::sq8_dot(query_.data(), code, dim_);
    else
      for (std::size_t d = 0; d < dim_; ++d) dot += query_[d] * float(level(code, d));
    return ip_constant_ - (query_offset_ + step_ * dot);
  }

  // The distance from the query to the node's FP16 row, on the index's
  // scale (use_half_rows; rows made by sync).
  template <typename Id>
  float half_distance(Id node) const {
    const _Float16* row = half_row(node);
    if (!inner_product_) return detail::half_l2(query_.data(), row, dim_);
    return ip_constant_ - detail::half_dot(query_.data(), row, dim_);
  }
  template <typename Id>
  const _Float16* half_row(Id node) const { return &halves_[std::size_t(node) * dim_]; }

  // Asks for the first `lines` cache lines of the node's code ahead of use.
  void prefetch(std::size_t node, int lines) const override {
    if (node * bytes_ >= codes_.size()) return;
    const char* code = reinterpret_cast<const char*>(&codes_[node * bytes_]);
    for (int line = 0; line < lines && std::size_t(line) * 64 < bytes_; ++line) __builtin_prefetch(code + 64 * line, 0, 3);
  }

  const uint8_t* code(std::size_t node) const { return &codes_[node * bytes_]; }
  std::size_t code_bytes() const { return bytes_; }
  // Floats per vector (0 until the codes know it).
  std::size_t dimension() const { return dim_; }

 private:
  template <typename Exact>
  void train(const float* data, std::size_t n, std::size_t dim, std::size_t row, Exact& exact) {
    dim_ = dim;
    bytes_ = Bits == 8 ? dim : (dim + 1) / 2;
    offset_.assign(dim, 0.0f);
    std::vector<float> top(dim, 0.0f);
    for (std::size_t d = 0; d < dim; ++d) offset_[d] = top[d] = data[d];
    for (std::size_t i = 1; i < n; ++i)
      for (std::size_t d = 0; d < dim; ++d) {
        offset_[d] = std::min(offset_[d], data[i * row + d]);
        top[d] = std::max(top[d], data[i * row + d]);
      }
    float range = 0.0f;
    for (std::size_t d = 0; d < dim; ++d) range = std::max(range, top[d] - offset_[d]);
    step_ = range > 0.0f ? range / kLevels : 1.0f;
    calibrate(data, n, row, exact);
    trained_ = true;
  }

  // Which distance the index computes: squared euclidean, or c - dot.
  template <typename Exact>
  void calibrate(const float* data, std::size_t n, std::size_t row, Exact& exact) {
    double l2_error = 0, ip_error = 0, ip_constant = 0;
    std::size_t pairs = std::min<std::size_t>(n - 1, 8);
    std::vector<double> exacts, dots;
    for (std::size_t p = 0; p < pairs; ++p) {
      const float* a = data + p * row;
      const float* b = data + (p + 1) * row;
      double l2 = 0, dot = 0;
      for (std::size_t d = 0; d < dim_; ++d) {
        l2 += double(a[d] - b[d]) * (a[d] - b[d]);
        dot += double(a[d]) * b[d];
      }
      double e = exact(a, b);
      l2_error += std::fabs(e - l2);
      exacts.push_back(e);
      dots.push_back(dot);
      ip_constant += e + dot;
    }
    if (pairs == 0) return;
    ip_constant /= double(pairs);
    double scale = 0;
    for (std::size_t p = 0; p < pairs; ++p) {
      ip_error += std::fabs(exacts[p] - (ip_constant - dots[p]));
      scale += std::fabs(exacts[p]);
    }
    inner_product_ = ip_error < l2_error;
    ip_constant_ = float(ip_constant);
    // Neither metric is the index's (a dimension probed wrong, vectors that
    // are not floats): the codes stay unused.
    calibrated_ = std::min(ip_error, l2_error) <= 1e-3 * scale + 1e-6;
  }

  int level(const uint8_t* code, std::size_t d) const {
    if (Bits == 8) return code[d];
    return d % 2 == 0 ? code[d / 2] & 0x0f : code[d / 2] >> 4;
  }

  // Rounds to the nearest level (ties to even, as the SIMD conversions do),
  // clamped to the trained range. The query is encoded once per search and
  // the upper layers' walk too, so the common SQ8 case is vectorised.
  void encode(const float* vec, uint8_t* out) const {
    std::size_t d = 0;
    if (Bits == 8) {
#if defined(__AVX512F__)
      const __m512 step = _mm512_set1_ps(step_);
      const __m512i top = _mm512_set1_epi32(kLevels), zero = _mm512_setzero_si512();
      for (; d + 16 <= dim_; d += 16) {
        __m512 x = _mm512_div_ps(_mm512_sub_ps(_mm512_loadu_ps(vec + d), _mm512_loadu_ps(&offset_[d])), step);
        __m512i q = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(x), zero), top);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + d), _mm512_cvtepi32_epi8(q));
      }
#elif defined(__AVX2__)
      const __m256 step = _mm256_set1_ps(step_);
      for (; d + 8 <= dim_; d += 8) {
        __m256 x = _mm256_div_ps(_mm256_sub_ps(_mm256_loadu_ps(vec + d), _mm256_loadu_ps(&offset_[d])), step);
        __m256i q = _mm256_cvtps_epi32(x);
        __m128i words = _mm_packus_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));  // clamps below 0
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + d), _mm_packus_epi16(words, words));  // and above 255
      }
#endif
      for (; d < dim_; ++d) out[d] = uint8_t(level_of(vec[d], d));
      return;
    }
    std::fill(out, out + bytes_, uint8_t(0));
#if defined(__AVX2__)
    // Sixteen levels at a time, packed two to a byte (even dimension low):
    // the query is encoded again at every layer a search descends.
    const __m256 step = _mm256_set1_ps(step_);
    const __m256i top = _mm256_set1_epi32(kLevels), zero = _mm256_setzero_si256();
    auto levels = [&](std::size_t at) {
      __m256 x = _mm256_div_ps(_mm256_sub_ps(_mm256_loadu_ps(vec + at), _mm256_loadu_ps(&offset_[at])), step);
      return _mm256_min_epi32(_mm256_max_epi32(_mm256_cvtps_epi32(x), zero), top);
    };
    for (; d + 16 <= dim_; d += 16) {
      // packs interleave the 128-bit lanes; the permute puts the 16 words back in order
      __m256i words = _mm256_permute4x64_epi64(_mm256_packus_epi32(levels(d), levels(d + 8)), 0xd8);
      __m128i bytes = _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
      __m128i even = _mm_and_si128(bytes, _mm_set1_epi16(0x00ff)), odd = _mm_srli_epi16(bytes, 8);
      __m128i pairs = _mm_or_si128(even, _mm_slli_epi16(odd, 4));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out + d / 2), _mm_packus_epi16(pairs, pairs));
    }
#endif
    for (; d < dim_; ++d) out[d / 2] |= uint8_t(d % 2 == 0 ? level_of(vec[d], d) : level_of(vec[d], d) << 4);
  }

  int level_of(float value, std::size_t d) const {
    float x = std::clamp((value - offset_[d]) / step_, 0.0f, float(kLevels));
    return int(std::nearbyint(x));
  }

  // The dimension an unknown distance reads: the first d at which a unit
  // vector e_d no longer changes it (exact(0, e_d) == exact(0, 0) and
  // exact(e_d, e_d) == exact(0, 0)), found by bisection up to kMaxProbe.
  template <typename Exact>
  static std::size_t probe_dimension(Exact& exact) {
    static constexpr std::size_t kMaxProbe = 1 << 14;
    std::vector<float> zero(kMaxProbe, 0.0f), unit(kMaxProbe, 0.0f);
    const float base = exact(zero.data(), zero.data());
    auto reads = [&](std::size_t d) {
      unit[d] = 1.0f;
      bool changed = exact(zero.data(), unit.data()) != base || exact(unit.data(), unit.data()) != base;
      unit[d] = 0.0f;
      return changed;
    };
    if (!reads(0)) return 0;
    std::size_t low = 0, high = kMaxProbe;  // reads(low), !reads(high) (or high past the probe)
    while (high - low > 1) {
      std::size_t mid = low + (high - low) / 2;
      (reads(mid) ? low : high) = mid;
    }
    return high == kMaxProbe ? 0 : high;
  }

  bool trained_ = false, active_ = false, inner_product_ = false, calibrated_ = true;
  bool probed_ = false, sampling_ = false, half_rows_ = false;
  std::vector<float> sample_;
  std::vector<bool> sampled_;
  std::vector<uint8_t> made_;
  std::size_t dim_ = 0, bytes_ = 0, encoded_ = 0, halved_ = 0;
  std::vector<_Float16, MappedAllocator<_Float16>> halves_;
  std::vector<float> offset_;
  float step_ = 1.0f, ip_constant_ = 0.0f, query_offset_ = 0.0f;
  std::vector<uint8_t, MappedAllocator<uint8_t>> codes_;
  std::vector<uint8_t> query_code_;
  std::vector<float> query_;
};

// Brings the codes up to date and lets the search loop use them until the
// scope ends.
template <int Bits>
class QuantizedScope {
 public:
  template <typename Exact>
  QuantizedScope(QuantizedCodes<Bits>& codes, const float* data, std::size_t n, std::size_t dim,
                 std::size_t min_train, Exact&& exact)
      : QuantizedScope(codes, data, n, dim, dim, min_train, exact) {}
  // Rows of `row` floats, the vector first.
  template <typename Exact>
  QuantizedScope(QuantizedCodes<Bits>& codes, const float* data, std::size_t n, std::size_t dim, std::size_t row,
                 std::size_t min_train, Exact&& exact)
      : codes_(codes), was_active_(codes.active()) {
    codes.sync(data, n, dim, row, min_train, exact);
    codes.set_active(codes.ready(n));
    read_codes_while_active();
  }
  // Codes of the nodes the search reaches (QuantizedCodes::sync_reached).
  template <typename Exact>
  QuantizedScope(QuantizedCodes<Bits>& codes, std::size_t sample_size, Exact&& exact)
      : codes_(codes), was_active_(codes.active()) {
    bool usable = codes.sync_reached(sample_size, exact);
    codes.set_active(usable);
    codes.set_sampling(!usable);
    read_codes_while_active();
  }
  ~QuantizedScope() {
    codes_.set_active(was_active_);
    codes_.set_sampling(false);
    query_node_reader() = previous_reader_;
  }
  QuantizedScope(const QuantizedScope&) = delete;
  QuantizedScope& operator=(const QuantizedScope&) = delete;

 private:
  // While the codes are in use, what the search reads of a node is its code.
  void read_codes_while_active() {
    previous_reader_ = query_node_reader();
    if (codes_.active()) query_node_reader() = &codes_;
  }

  QuantizedCodes<Bits>& codes_;
  bool was_active_;
  const NodeReader* previous_reader_ = nullptr;
};

// What an adaptive re-rank knows of the codes' error: how far the code
// distance of a true near neighbour overestimated its exact distance,
// relative to the k-th nearest exact distance of its query. Those that
// underestimate are re-ranked anyway. The first queries, and one in
// kExploreEvery after them, are re-ranked whole to observe it without the
// bias of seeing only what a narrow re-rank picked; the bound is a quantile
// of a histogram (16 bins a decade from 1e-6 to 10).
class RerankErrors {
 public:
  static constexpr std::size_t kWarmUp = 256;      // observations before the bound is used
  static constexpr std::size_t kExploreEvery = 32;

  // How far past the k-th exact distance (relative to it) a code distance
  // may be and still be re-ranked: wide until the warm-up is observed.
  float bound() const { return bound_; }
  bool explores() const { return observed_ < kWarmUp || queries_ % kExploreEvery == kExploreEvery - 1; }
  void count_query() { ++queries_; }

  void observe(float relative_error) {
    ++observed_;
    if (!(relative_error > kLowest)) return ++zero_, void();
    // Clamped before the conversion: an infinite error has no bin of its own.
    const double position = std::floor((std::log10(relative_error) - kLowestDecade) * kBinsPerDecade);
    ++bins_[position < kBins - 1 ? std::size_t(position) : std::size_t(kBins - 1)];
  }

  // The upper edge of the bin where `quantile` of the observations end.
  void update(double quantile) {
    if (observed_ < kWarmUp) return;
    const double wanted = quantile * double(observed_);
    double seen = double(zero_);
    if (seen >= wanted) return bound_ = 0.0f, void();
    for (int bin = 0; bin < kBins; ++bin) {
      seen += double(bins_[std::size_t(bin)]);
      if (seen >= wanted || bin == kBins - 1) {
        bound_ = float(std::pow(10.0, kLowestDecade + double(bin + 1) / kBinsPerDecade));
        return;
      }
    }
  }

 private:
  static constexpr int kBinsPerDecade = 16, kBins = 7 * kBinsPerDecade;
  static constexpr double kLowestDecade = -6.0;
  static constexpr float kLowest = 1e-6f;
  std::size_t observed_ = 0, zero_ = 0, queries_ = 0;
  std::size_t bins_[kBins] = {};
  float bound_ = 1.0f;
};

// The exact distance of a node for rerank(), which also asks for the node's
// vector (`bytes` from `vector(id)`) `ahead` entries before its distance is
// computed: the re-ranked vectors are rows scattered over the index that the
// search on codes never brought into the cache, so each would otherwise
// start with a miss to memory.
template <typename Vector, typename Distance>
struct PrefetchedExact {
  std::size_t ahead, bytes;
  Vector vector;
  Distance distance;

  template <typename Id>
  float operator()(const Id& id) const { return distance(id); }
  template <typename Id>
  void prefetch(const Id& id) const {
    const char* at = reinterpret_cast<const char*>(detail::floats_of(vector(id)));
    for (std::size_t line = 0; line * 64 < bytes; ++line) __builtin_prefetch(at + 64 * line, 0, 3);
  }
};

template <typename Vector, typename Distance>
PrefetchedExact<Vector, Distance> prefetched_exact(std::size_t ahead, std::size_t bytes, Vector vector,
                                                   Distance distance) {
  return {ahead, bytes, std::move(vector), std::move(distance)};
}

namespace detail {
template <typename T>
struct is_prefetched_exact : std::false_type {};
template <typename Vector, typename Distance>
struct is_prefetched_exact<PrefetchedExact<Vector, Distance>> : std::true_type {};

// Gives entries [from, to) their exact distances; a prefetched_exact asks
// for each vector `ahead` entries before its distance, never past `limit`.
template <typename Entries, typename Exact, typename DistanceOf, typename IdOf>
void exact_range(Entries& entries, std::size_t from, std::size_t to, std::size_t limit, Exact& exact,
                 DistanceOf& distance_of, IdOf& id_of) {
  constexpr bool prefetched = is_prefetched_exact<std::decay_t<Exact>>::value;
  if constexpr (prefetched)
    if (from == 0)
      for (std::size_t i = 0; i < std::min(exact.ahead, limit); ++i) exact.prefetch(id_of(entries[i]));
  for (std::size_t i = from; i < to; ++i) {
    if constexpr (prefetched)
      if (exact.ahead > 0 && i + exact.ahead < limit) exact.prefetch(id_of(entries[i + exact.ahead]));
    distance_of(entries[i]) = exact(id_of(entries[i]));
  }
}

template <typename Entries, typename Exact, typename DistanceOf, typename IdOf>
void rerank_sorted(Entries& entries, std::size_t count, Exact& exact, DistanceOf& distance_of, IdOf& id_of) {
  auto nearer = [&](auto& a, auto& b) { return distance_of(a) < distance_of(b); };
  std::sort(entries.begin(), entries.end(), nearer);
  const std::size_t n = count == 0 ? entries.size() : std::min(count, entries.size());
  exact_range(entries, 0, n, n, exact, distance_of, id_of);
  std::sort(entries.begin(), entries.end(), nearer);
}

// The k smallest of the distances offered, the largest of them on top.
class KthNearest {
 public:
  void reset(std::size_t k) {
    k_ = k;
    heap_.clear();
  }
  void offer(float distance) {
    if (heap_.size() == k_ && distance >= heap_.front()) return;
    heap_.push_back(distance);
    std::push_heap(heap_.begin(), heap_.end());
    if (heap_.size() > k_) {
      std::pop_heap(heap_.begin(), heap_.end());
      heap_.pop_back();
    }
  }
  bool full() const { return heap_.size() == k_; }
  float kth() const { return heap_.front(); }

 private:
  std::size_t k_ = 0;
  std::vector<float> heap_;
};

template <typename Entries, typename Exact, typename DistanceOf, typename IdOf>
void rerank_widening_sorted(Entries& entries, std::size_t count, std::size_t k, double quantile, RerankErrors& errors,
                            Exact& exact, DistanceOf& distance_of, IdOf& id_of) {
  auto nearer = [&](auto& a, auto& b) { return distance_of(a) < distance_of(b); };
  std::sort(entries.begin(), entries.end(), nearer);
  const std::size_t size = entries.size();
  // A query that trains the error model is re-ranked whole, its code
  // distances kept to compare; the buffers are the thread's, reused.
  const bool explore = errors.explores();
  const std::size_t first = explore ? size : std::min(std::max(count, k), size);
  thread_local std::vector<float> codes;
  if (explore) {
    codes.resize(size);
    for (std::size_t i = 0; i < size; ++i) codes[i] = distance_of(entries[i]);
  }
  exact_range(entries, 0, first, size, exact, distance_of, id_of);
  thread_local KthNearest best;
  best.reset(k);
  for (std::size_t i = 0; i < first; ++i) best.offer(distance_of(entries[i]));
  // Entries sorted by code distance (those past `first` still hold theirs):
  // the first whose code is past the k-th exact distance by more than the
  // codes' error bound ends the widening.
  if (best.full())
    for (std::size_t next = first; next < size; ++next) {
      if (distance_of(entries[next]) > best.kth() + errors.bound() * std::fabs(best.kth())) break;
      exact_range(entries, next, next + 1, size, exact, distance_of, id_of);
      best.offer(distance_of(entries[next]));
    }
  if (explore && best.full()) {
    // The errors of the true k nearest in the pool, the ones a narrow
    // re-rank must not lose.
    const float kth = best.kth();
    const float scale = std::max(std::fabs(kth), 1e-20f);
    for (std::size_t i = 0; i < size; ++i)
      if (distance_of(entries[i]) <= kth) errors.observe((codes[i] - distance_of(entries[i])) / scale);
    errors.update(quantile);
  }
  errors.count_query();
  std::sort(entries.begin(), entries.end(), nearer);
}

// A (distance, id) pair's parts.
struct PairDistance {
  template <typename T>
  auto& operator()(T& entry) const { return entry.first; }
};
struct PairId {
  template <typename T>
  const auto& operator()(const T& entry) const { return entry.second; }
};
}  // namespace detail

// Gives the `count` best entries their exact distances (count 0: all), in a
// priority queue or a vector (left sorted, nearest first). An entry's
// distance and id are what `distance_of` (a reference) and `id_of` give: by
// default a (distance, id) pair's first and second.
template <typename T, typename Container, typename Compare, typename Exact, typename DistanceOf = detail::PairDistance,
          typename IdOf = detail::PairId>
void rerank(std::priority_queue<T, Container, Compare>& queue, std::size_t count, Exact&& exact,
            DistanceOf distance_of = {}, IdOf id_of = {}) {
  std::vector<T> entries;
  entries.reserve(queue.size());
  for (; !queue.empty(); queue.pop()) entries.push_back(queue.top());
  detail::rerank_sorted(entries, count, exact, distance_of, id_of);
  for (const T& entry : entries) queue.push(entry);
}

template <typename T, typename Allocator, typename Exact, typename DistanceOf = detail::PairDistance,
          typename IdOf = detail::PairId>
void rerank(std::vector<T, Allocator>& entries, std::size_t count, Exact&& exact, DistanceOf distance_of = {},
            IdOf id_of = {}) {
  detail::rerank_sorted(entries, count, exact, distance_of, id_of);
}

// rerank() with a depth that adapts per query: at least max(count, k)
// entries, then every further one whose code distance is within the codes'
// error bound (the `quantile` of what the errors have been, learned as the
// queries come in) of the k-th nearest exact distance so far. The model is
// one per call site and thread.
template <typename T, typename Container, typename Compare, typename Exact, typename DistanceOf = detail::PairDistance,
          typename IdOf = detail::PairId>
void rerank_widening(std::priority_queue<T, Container, Compare>& queue, std::size_t count, std::size_t k,
                     double quantile, Exact&& exact, DistanceOf distance_of = {}, IdOf id_of = {}) {
  thread_local RerankErrors errors;
  std::vector<T> entries;
  entries.reserve(queue.size());
  for (; !queue.empty(); queue.pop()) entries.push_back(queue.top());
  detail::rerank_widening_sorted(entries, count, k, quantile, errors, exact, distance_of, id_of);
  for (const T& entry : entries) queue.push(entry);
}

template <typename T, typename Allocator, typename Exact, typename DistanceOf = detail::PairDistance,
          typename IdOf = detail::PairId>
void rerank_widening(std::vector<T, Allocator>& entries, std::size_t count, std::size_t k, double quantile,
                     Exact&& exact, DistanceOf distance_of = {}, IdOf id_of = {}) {
  thread_local RerankErrors errors;
  detail::rerank_widening_sorted(entries, count, k, quantile, errors, exact, distance_of, id_of);
}

}  // namespace crinn::runtime

#endif  // CRINN_RUNTIME_QUANTIZED_H
