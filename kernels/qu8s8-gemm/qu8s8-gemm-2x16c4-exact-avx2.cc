// Exact AVX2 qu8s8-gemm microkernel for full-range weights: 2 rows x 16
// columns on the shared c4 layout, multiplying in int16 with vpmaddwd.
//
// Exactness: vpmaddwd multiplies int16 pairs and adds them into an int32
// (|a0*b0 + a1*b1| <= 2 * 255 * 128, far from overflow), so any int8 weight
// is exact. qu8s8_gemm_best() picks the 6-row exact kernel
// (qu8s8-gemm-6x16c4-exact-avx2) when B is not narrow; that kernel hands
// strips of one or two rows to this one, which streams B in a single pass.
//
// Registers, per group of 4 K values:
//   b = vpmovsxbw(16 bytes of the panel) = int16 B'[4g..4g+3] of 4 columns,
//       one column per 64 bits                                  (4 per group)
//   a = vpmovzxbw(A[row, 4g..4g+3] broadcast) = int16 a0..a3 in every 64 bits
//   vpmaddwd(a, b) -> per column two partial sums: (a0b0 + a1b1, a2b2 + a3b3)
// acc[row][q] holds columns 4q..4q+3 as those pairs (low 128 bits: columns
// 4q, 4q+1; high: 4q+2, 4q+3); the epilogue adds each pair with vphaddd.
// 8 accumulators (2 rows x 4 quads) + 2 widened A rows + b + product = 12 ymm.
// Per group: 4 + 2 widenings and 16 multiply/add uops for 128 multiply-adds,
// about half the narrow kernel's rate (measured ~94 vs ~185 GOP/s per core).
// Three rows would need 17 ymm: GCC then spills accumulators every group,
// which measured slower than two rows.
#include <immintrin.h>

#include <cassert>
#include <cstdint>
#include <cstring>

#include "qu8s8-gemm.h"
#include "qu8s8-gemm-store-avx2.h"

namespace sparq {
namespace {

constexpr std::size_t kMr = 2;

inline __m256i widen4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_cvtepu8_epi16(_mm_set1_epi32(v));
}

// int16 B' of 4 columns x 4 K values.
inline __m256i widen16(const int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// 8 consecutive columns from two quads of pair sums (see the layout above).
inline __m256i columns8(__m256i q0, __m256i q1) {
  // hadd per 128-bit lane: low = cols 0,1 | 4,5; high = cols 2,3 | 6,7.
  return _mm256_permute4x64_epi64(_mm256_hadd_epi32(q0, q1), _MM_SHUFFLE(3, 1, 2, 0));
}

}  // namespace

void qu8s8_gemm_2x16c4_exact_avx2(std::size_t mr, std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda,
                                  const int8_t* panel, const int32_t* col_terms, const int32_t* col_zero_points,
                                  const int32_t* row_sums, const QGemmStore& store, void* c, std::size_t ldc) {
  assert(mr >= 1 && mr <= kMr && nc >= 1 && nc <= kQGemmNr && kc % kQGemmKr == 0);
  // Rows past mr alias the last real one: computed, never stored.
  const uint8_t* a0 = a;
  const uint8_t* a1 = mr > 1 ? a0 + lda : a0;

  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00;
  __m256i c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  // One row (GEMV-like calls) skips the aliased row, halving the multiply
  // work of a call that is bound by streaming B.
  for (std::size_t k = 0; mr == 1 && k < kc; k += 4, panel += 64) {
    const __m256i va0 = widen4(a0 + k);
    c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(va0, widen16(panel)));
    c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(va0, widen16(panel + 16)));
    c02 = _mm256_add_epi32(c02, _mm256_madd_epi16(va0, widen16(panel + 32)));
    c03 = _mm256_add_epi32(c03, _mm256_madd_epi16(va0, widen16(panel + 48)));
  }
  for (std::size_t k = 0; mr > 1 && k < kc; k += 4, panel += 64) {
    const __m256i va0 = widen4(a0 + k), va1 = widen4(a1 + k);
    __m256i b = widen16(panel);
    c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(va0, b));
    c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(va1, b));
    b = widen16(panel + 16);
    c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(va0, b));
    c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(va1, b));
    b = widen16(panel + 32);
    c02 = _mm256_add_epi32(c02, _mm256_madd_epi16(va0, b));
    c12 = _mm256_add_epi32(c12, _mm256_madd_epi16(va1, b));
    b = widen16(panel + 48);
    c03 = _mm256_add_epi32(c03, _mm256_madd_epi16(va0, b));
    c13 = _mm256_add_epi32(c13, _mm256_madd_epi16(va1, b));
  }

  const __m256i acc[kMr][2] = {{columns8(c00, c01), columns8(c02, c03)},
                               {columns8(c10, c11), columns8(c12, c13)}};

  store_tile(mr, nc, acc, col_terms, col_zero_points, row_sums, store, c, ldc);
}

}  // namespace sparq
