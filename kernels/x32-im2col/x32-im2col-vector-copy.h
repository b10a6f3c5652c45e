// The Copy of x32-im2col-loops.h for the AVX2 and NEON variants: runs moved by
// whole vectors inline. A run of at least one vector ends with a vector that
// overlaps the one before it (rewriting a few bytes with the same values), so
// only shorter runs need more: fixed-size moves of half a vector, a quarter,
// ... 1 byte (no byte masks on either ISA, and AVX2's vmaskmov stores are slow
// on AMD cores). NHWC stems (C = 3: taps of 3 values, kernel rows of 9) and
// MobileNet-sized channel counts both come to a few moves per run, where
// memcpy costs a call. Internal linkage, like the loops.
//
// V: T (the vector), kBytes, load(p), store(p, v) (unaligned), and
// splat(value) for a float or a byte (the value repeated across the vector).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sparq {
namespace {

template <class V>
struct VectorCopy {
  // Writes bytes [0, n) of dst from a source: vector(i) is the kBytes for
  // dst + i, piece(i, bytes, d) writes the bytes for dst + i at d.
  template <class Source>
  static void run(uint8_t* dst, std::size_t n, const Source& source) {
    constexpr std::size_t w = V::kBytes;
    if (n >= w) {
      for (std::size_t i = 0; i + w < n; i += w) V::store(dst + i, source.vector(i));
      V::store(dst + n - w, source.vector(n - w));
      return;
    }
    std::size_t i = 0;
#pragma GCC unroll 6  // constant sizes: each piece one move, not a memcpy call
    for (std::size_t bytes = w / 2; bytes > 0; bytes /= 2)
      if (n & bytes) source.piece(i, bytes, dst + i), i += bytes;
  }

  struct From {
    const uint8_t* src;
    typename V::T vector(std::size_t i) const { return V::load(src + i); }
    void piece(std::size_t i, std::size_t bytes, uint8_t* d) const { std::memcpy(d, src + i, bytes); }
  };
  // A value repeated: offsets are multiples of the element size, so every
  // vector and piece starts on a whole element.
  struct Repeat {
    typename V::T v;
    typename V::T vector(std::size_t) const { return v; }
    void piece(std::size_t, std::size_t bytes, uint8_t* d) const { std::memcpy(d, &v, bytes); }
  };

  template <typename T>
  static void copy(T* dst, const T* src, std::size_t n) {
    run(reinterpret_cast<uint8_t*>(dst), n * sizeof(T), From{reinterpret_cast<const uint8_t*>(src)});
  }
  template <typename T>
  static void fill(T* dst, std::size_t n, T value) {
    run(reinterpret_cast<uint8_t*>(dst), n * sizeof(T), Repeat{V::splat(value)});
  }
};

}  // namespace
}  // namespace sparq
