// Loads and stores of 8-float vectors, whole or the first k lanes (tails
// through vmaskmov), for the AVX2 kernels whose loop headers take a vector
// traits struct: each derives its struct from this one. Included only by
// -avx2.cc files; internal linkage, so each includer compiles its own copy
// with its own flags and none can reach portable code.
#pragma once

#include <immintrin.h>

#include <cstddef>

namespace sparq {
namespace {

struct F32LanesAvx2 {
  using T = __m256;
  static constexpr std::size_t W = 8;
  // Lanes [0, k) set, k <= 8.
  static __m256i first(std::size_t k) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(k)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static T load_n(const float* p, std::size_t k) { return _mm256_maskload_ps(p, first(k)); }
  static void store_n(float* p, T v, std::size_t k) { _mm256_maskstore_ps(p, first(k), v); }
};

}  // namespace
}  // namespace sparq
