// An allocator for vector storage that crinn-opt's aligned-storage rewrite
// puts into std::vector<float, ...>: blocks aligned to Alignment bytes and
// rounded up to a multiple of it, so SIMD loads of the last row never cross
// into unmapped memory and rows start aligned whenever the row size is a
// multiple of the alignment.
#ifndef CRINN_RUNTIME_ALIGNED_H
#define CRINN_RUNTIME_ALIGNED_H

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace crinn::runtime {

template <typename T, std::size_t Alignment = 64>
struct AlignedAllocator {
  static_assert(Alignment >= alignof(T) && (Alignment & (Alignment - 1)) == 0, "alignment must be a power of two");
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = AlignedAllocator<U, Alignment>;
  };

  AlignedAllocator() noexcept = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U, Alignment>&) noexcept {}

  T* allocate(std::size_t n) {
    std::size_t bytes = (n * sizeof(T) + Alignment - 1) / Alignment * Alignment;
    void* p = std::aligned_alloc(Alignment, bytes == 0 ? Alignment : bytes);
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { std::free(p); }

  template <typename U>
  bool operator==(const AlignedAllocator<U, Alignment>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const AlignedAllocator<U, Alignment>&) const noexcept {
    return false;
  }
};

// For code that handed the storage, as a std::vector<float>, to functions
// written for the default allocator: a copy with the default allocator, and
// assignment from any range.
template <typename T, std::size_t Alignment>
std::vector<T> as_std_vector(const std::vector<T, AlignedAllocator<T, Alignment>>& v) {
  return std::vector<T>(v.begin(), v.end());
}

template <typename Target, typename Source>
Target& assign_from(Target& target, const Source& source) {
  target.assign(source.begin(), source.end());
  return target;
}

}  // namespace crinn::runtime

#endif  // CRINN_RUNTIME_ALIGNED_H
