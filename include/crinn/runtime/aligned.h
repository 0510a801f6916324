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
#include <type_traits>
#include <vector>

namespace crinn::runtime {

// With HugePages, blocks of 2 MiB and more start on a 2 MiB boundary and are
// advised to the kernel as huge-page memory before anything touches them
// (MADV_HUGEPAGE), so the vectors fault in as 2 MiB pages where the kernel has
// them: a search reads vectors at random, and with 4 KiB pages nearly every
// one is a TLB miss (aligned-storage's huge_pages).
template <typename T, std::size_t Alignment = 64, bool HugePages = false>
struct AlignedAllocator {
  static_assert(Alignment >= alignof(T) && (Alignment & (Alignment - 1)) == 0, "alignment must be a power of two");
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = AlignedAllocator<U, Alignment, HugePages>;
  };
  static constexpr std::size_t kHugePage = std::size_t(1) << 21;

  AlignedAllocator() noexcept = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U, Alignment, HugePages>&) noexcept {}

  T* allocate(std::size_t n) {
    std::size_t bytes = (n * sizeof(T) + Alignment - 1) / Alignment * Alignment;
    const bool huge = HugePages && bytes >= kHugePage;
    if (huge) bytes = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(huge ? kHugePage : Alignment, bytes == 0 ? Alignment : bytes);
    if (!p) throw std::bad_alloc();
    if (huge) madvise(p, bytes, MADV_HUGEPAGE);  // advice: refused, it changes nothing
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { std::free(p); }

  template <typename U>
  bool operator==(const AlignedAllocator<U, Alignment, HugePages>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const AlignedAllocator<U, Alignment, HugePages>&) const noexcept {
    return false;
  }
};

// Blocks of 1 MiB and more straight from mmap, given back to the system when
// freed: a vector that grows by doubling (quantized codes encoded as the
// build adds vectors) then leaves no resident copies of its smaller blocks
// behind, as it does when malloc keeps them in its heap for reuse. Smaller
// blocks are 64-byte aligned, mapped ones page aligned. With huge_pages, a
// mapped block is advised to the kernel as huge-page memory before anything
// touches it (MADV_HUGEPAGE), so that its pages fault in as 2 MiB pages where
// the kernel has them: random reads of codes or rows then miss the TLB far
// less often. The flag travels with the vector (it propagates on assignment).
template <typename T>
struct MappedAllocator {
  using value_type = T;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  static constexpr std::size_t kMapped = std::size_t(1) << 20;
  static constexpr std::size_t kAlignment = 64;

  MappedAllocator() noexcept = default;
  explicit MappedAllocator(bool huge) noexcept : huge_pages(huge) {}
  template <typename U>
  MappedAllocator(const MappedAllocator<U>& other) noexcept : huge_pages(other.huge_pages) {}

  T* allocate(std::size_t n) {
    std::size_t bytes = n * sizeof(T);
    void* p = bytes < kMapped ? std::aligned_alloc(kAlignment, (bytes + kAlignment) / kAlignment * kAlignment)
                              : mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!p || p == MAP_FAILED) throw std::bad_alloc();
    if (huge_pages && bytes >= kMapped) madvise(p, bytes, MADV_HUGEPAGE);  // advice: refused, it changes nothing
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < kMapped)
      std::free(p);
    else
      munmap(p, n * sizeof(T));
  }

  template <typename U>
  bool operator==(const MappedAllocator<U>& other) const noexcept {
    return huge_pages == other.huge_pages;
  }
  template <typename U>
  bool operator!=(const MappedAllocator<U>& other) const noexcept {
    return !(*this == other);
  }

  bool huge_pages = false;
};

// Moves `blocks` into memory from an allocator with huge pages, once.
template <typename T>
void use_huge_pages(std::vector<T, MappedAllocator<T>>& blocks) {
  if (blocks.get_allocator().huge_pages) return;
  blocks = std::vector<T, MappedAllocator<T>>(blocks.begin(), blocks.end(), MappedAllocator<T>(true));
}

// For code that handed the storage, as a std::vector<float>, to functions
// written for the default allocator: a copy with the default allocator, and
// assignment from any range.
template <typename T, std::size_t Alignment, bool HugePages>
std::vector<T> as_std_vector(const std::vector<T, AlignedAllocator<T, Alignment, HugePages>>& v) {
  return std::vector<T>(v.begin(), v.end());
}

template <typename Target, typename Source>
Target& assign_from(Target& target, const Source& source) {
  target.assign(source.begin(), source.end());
  return target;
}

}  // namespace crinn::runtime

#endif  // CRINN_RUNTIME_ALIGNED_H
