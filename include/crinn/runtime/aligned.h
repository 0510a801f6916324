// Allocators for the runtime's vectors. AlignedAllocator is what crinn-opt's
// aligned-storage rewrite puts into std::vector<float, ...>: blocks aligned to
// Alignment bytes and rounded up to a multiple of it, so SIMD loads of the
// last row never cross into unmapped memory and rows start aligned whenever
// the row size is a multiple of the alignment. MappedAllocator keeps large
// growing buffers from leaving resident garbage behind.
#ifndef CRINN_RUNTIME_ALIGNED_H
#define CRINN_RUNTIME_ALIGNED_H

#include <sys/mman.h>

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

// Blocks of 1 MiB and more straight from mmap, given back to the system when
// freed: a vector that grows by doubling (quantized codes encoded as the
// build adds vectors) then leaves no resident copies of its smaller blocks
// behind, as it does when malloc keeps them in its heap for reuse.
template <typename T>
struct MappedAllocator {
  using value_type = T;
  static constexpr std::size_t kMapped = std::size_t(1) << 20;

  MappedAllocator() noexcept = default;
  template <typename U>
  MappedAllocator(const MappedAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    std::size_t bytes = n * sizeof(T);
    void* p = bytes < kMapped ? std::malloc(bytes == 0 ? 1 : bytes)
                              : mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!p || p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < kMapped)
      std::free(p);
    else
      munmap(p, n * sizeof(T));
  }

  template <typename U>
  bool operator==(const MappedAllocator<U>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const MappedAllocator<U>&) const noexcept {
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
