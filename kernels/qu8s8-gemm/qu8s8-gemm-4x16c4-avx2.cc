// Fast AVX2 qu8s8-gemm microkernel: 4 rows x 16 columns, K in groups of 4.
//
// ONLY EXACT FOR NARROW WEIGHTS (every packed B' in [-64, 64]): vpmaddubsw
// adds two u8*s8 products into a saturating int16, and 2 * 255 * 64 = 32640
// fits while 2 * 255 * 128 does not. qu8s8_gemm_best() picks this variant only
// when QPackedB::narrow; full-range weights go to the exact int16 kernel.
//
// Registers, per group of 4 K values:
//   b0 = B'[4g..4g+3, cols 0..7]   b1 = B'[4g..4g+3, cols 8..15]   (32 bytes each, 4 per column)
//   a  = A[row, 4g..4g+3] broadcast to every dword
//   vpmaddubsw(a, b) -> int16 pairs (a0*b0 + a1*b1, a2*b2 + a3*b3) per column
//   vpmaddwd(that, 1) -> one int32 per column, added to acc[row][half]
// 8 accumulators (4 rows x 2 halves) + b0, b1, ones, a, product = 13 ymm.
// Each group costs 2 + 4 loads and 16 multiply uops for 256 multiply-adds:
// the two multiply ports are the bound (~32 MACs per cycle).
#include <immintrin.h>

#include <cassert>
#include <cstdint>
#include <cstring>

#include "qu8s8-gemm.h"
#include "qu8s8-gemm-store-avx2.h"

namespace sparq {
namespace {

inline __m256i broadcast4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

inline __m256i dot4(__m256i a, __m256i b, __m256i ones) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones);
}

}  // namespace

void qu8s8_gemm_4x16c4_avx2(std::size_t mr, std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda,
                            const int8_t* panel, const int32_t* col_terms, const int32_t* col_zero_points,
                            const int32_t* row_sums, const QGemmStore& store, void* c, std::size_t ldc) {
  assert(mr >= 1 && mr <= 4 && nc >= 1 && nc <= kQGemmNr && kc % kQGemmKr == 0);
  // Rows past mr alias the last real one: computed, never stored.
  const uint8_t* a0 = a;
  const uint8_t* a1 = mr > 1 ? a0 + lda : a0;
  const uint8_t* a2 = mr > 2 ? a1 + lda : a1;
  const uint8_t* a3 = mr > 3 ? a2 + lda : a2;

  const __m256i ones = _mm256_set1_epi16(1);
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00;
  __m256i c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  // One row (GEMV-like calls) skips the aliased rows, which would otherwise
  // quadruple the multiply work of a call that is bound by streaming B.
  for (std::size_t k = 0; mr == 1 && k < kc; k += 4, panel += 64) {
    const __m256i va = broadcast4(a0 + k);
    c00 = _mm256_add_epi32(c00, dot4(va, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel)), ones));
    c01 = _mm256_add_epi32(c01, dot4(va, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + 32)), ones));
  }
  for (std::size_t k = 0; mr > 1 && k < kc; k += 4, panel += 64) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + 32));
    __m256i va = broadcast4(a0 + k);
    c00 = _mm256_add_epi32(c00, dot4(va, b0, ones));
    c01 = _mm256_add_epi32(c01, dot4(va, b1, ones));
    va = broadcast4(a1 + k);
    c10 = _mm256_add_epi32(c10, dot4(va, b0, ones));
    c11 = _mm256_add_epi32(c11, dot4(va, b1, ones));
    va = broadcast4(a2 + k);
    c20 = _mm256_add_epi32(c20, dot4(va, b0, ones));
    c21 = _mm256_add_epi32(c21, dot4(va, b1, ones));
    va = broadcast4(a3 + k);
    c30 = _mm256_add_epi32(c30, dot4(va, b0, ones));
    c31 = _mm256_add_epi32(c31, dot4(va, b1, ones));
  }

  __m256i acc[4][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};

  store_tile(mr, nc, acc, col_terms, col_zero_points, row_sums, store, c, ldc);
}

}  // namespace sparq
