// std::vector whose storage starts on a 64-byte cache line. Packed weights
// live in these: the kernels read them in 32- and 64-byte vectors (and AMX in
// 64-byte tile rows), and a buffer from plain malloc (16 bytes past a line
// for large blocks on glibc) makes every such load straddle two lines.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace sparq {

constexpr std::size_t kCacheLine = 64;

template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <typename U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kCacheLine}));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{kCacheLine}); }
  template <typename U>
  bool operator==(const CacheLineAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const CacheLineAllocator<U>&) const { return false; }
};

template <typename T>
using aligned_vector = std::vector<T, CacheLineAllocator<T>>;

}  // namespace sparq
