// Loads and stores of 16-float vectors, whole or the first k lanes (masked
// loads zero the rest), for the AVX-512 kernels whose loop headers take a
// vector traits struct: each derives its struct from this one. Included only
// by -avx512.cc files; internal linkage, so each includer compiles its own
// copy with its own flags and none can reach portable code.
#pragma once

#include <immintrin.h>

#include <cstddef>

namespace sparq {
namespace {

struct F32LanesAvx512 {
  using T = __m512;
  static constexpr std::size_t W = 16;
  // Lanes [0, k) set, k <= 16.
  static __mmask16 first(std::size_t k) { return static_cast<__mmask16>((1u << k) - 1); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static T load_n(const float* p, std::size_t k) { return _mm512_maskz_loadu_ps(first(k), p); }
  static void store_n(float* p, T v, std::size_t k) { _mm512_mask_storeu_ps(p, first(k), v); }
};

}  // namespace
}  // namespace sparq
