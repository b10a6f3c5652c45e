// std::vector whose storage starts on a 64-byte cache line, and whose large
// blocks sit on transparent huge pages where Linux offers them. Packed
// weights live in these:
// - the kernels read them in 32- and 64-byte vectors (and AMX in 64-byte tile
//   rows), and a buffer from plain malloc (16 bytes past a line for large
//   blocks on glibc) makes every such load straddle two lines;
// - GEMV-like calls stream all the weights once per call, and with 4 KiB pages
//   every 4 KiB of them costs a TLB miss.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace sparq {

constexpr std::size_t kCacheLine = 64;

// Allocates `bytes` aligned to a cache line, or to a huge page (with the
// kernel asked to back it with huge pages) when it is at least one.
void* allocate_aligned(std::size_t bytes);
void free_aligned(void* p, std::size_t bytes);

template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <typename U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_aligned(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) { free_aligned(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const CacheLineAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const CacheLineAllocator<U>&) const { return false; }
};

template <typename T>
using aligned_vector = std::vector<T, CacheLineAllocator<T>>;

}  // namespace sparq
