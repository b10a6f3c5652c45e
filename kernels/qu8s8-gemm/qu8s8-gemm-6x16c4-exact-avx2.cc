// Exact AVX2 qu8s8-gemm microkernel for full-range weights: 6 rows x 16
// columns on the shared c4 layout, multiplying in int16 with vpmaddwd.
//
// Exactness: vpmaddwd multiplies int16 pairs and adds them into an int32
// (|a0*b0 + a1*b1| <= 2 * 255 * 128, far from overflow), so any int8 weight
// is exact; qu8s8_gemm_best() picks this variant when B is not narrow.
//
// Cost model. vpmaddwd does 16 multiply-adds, as many per multiply uop as
// vpmaddubsw + vpmaddwd-by-ones do (32 for 2 uops), so the exact step can
// run near the 7-bit kernel's rate if nothing else competes for the vector
// ports: per 16 multiply-adds one vpmaddwd and one vpaddd, and as few
// widenings as possible.
//   - A is widened u8 -> int16 once per call into a stack buffer (one
//     vpmovzxbw per 16 values), so each use is a plain vpbroadcastq load of
//     a0..a3: no shuffle per row and K group, which the 2-row kernel paid.
//   - B is widened per load (vpmovsxbw from memory: 16 bytes = 4 columns x
//     4 K values), once per 6 rows.
// vpmaddwd on (a0 a1 a2 a3) x (b0 b1 b2 b3) of one column leaves two pair
// sums per column (a0b0 + a1b1, a2b2 + a3b3), so 16 columns need 4
// accumulators per row: 24 for 6 rows, more than the 16 ymm. The tile is
// therefore run as two passes of 8 columns over the widened A (each 6 rows x
// 2 accumulators = 12 ymm, + 2 B + A + product = 16), and the pair sums are
// added with vphaddd once at the end.
// Per pass and K group: 2 B widenings, 6 broadcast loads, 12 vpmaddwd, 12
// vpaddd for 192 multiply-adds (the 2-row kernel: 4 + 2 widenings for 128).
// Measured on one Zen 4 core (thread CPU time; bench/peak: vpmaddwd 195,
// vpmaddubsw 224 GOP/s): ResNet-18's 3x3-as-GEMM shapes (K 576-4608) 149-156
// GOP/s against 122-125 for the 2-row kernel, MobileNetV2-96's 1x1 shapes
// 113 vs 100 over the model. At K = 16-32 both run 70-100: per row, the A
// widening, the vphaddd epilogue and the output stage cost as much as the
// multiplies there (the 7-bit kernel: 145-180).
#include <immintrin.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstring>

#include "qu8s8-gemm.h"
#include "qu8s8-gemm-store-avx2.h"

namespace sparq {
namespace {

constexpr std::size_t kMr = 6;
// K values of A widened per chunk: kMr x 512 int16 = 6 KiB of stack, in L1
// beside the panel. Longer K runs chunk after chunk, the pair sums kept in
// memory between them.
constexpr std::size_t kChunk = 512;

// Row r of A, k0 .. k0+n (n a multiple of 4), as int16 into dst. Reads no
// byte past k0 + n: the microkernel contract guarantees only kc bytes a row.
inline void widen_row(const uint8_t* src, std::size_t n, int16_t* dst) {
  std::size_t k = 0;
  for (; k + 16 <= n; k += 16)
    _mm256_store_si256(reinterpret_cast<__m256i*>(dst + k),
                       _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + k))));
  for (; k < n; k += 4) {
    int32_t v;
    std::memcpy(&v, src + k, 4);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + k), _mm_cvtepu8_epi16(_mm_cvtsi32_si128(v)));
  }
}

// int16 B' of 4 columns x 4 K values.
inline __m256i widen16(const int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// int16 a0..a3 of one row's K group, in every 64 bits.
inline __m256i broadcast4(const int16_t* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return _mm256_set1_epi64x(v);
}

// 8 consecutive columns from two quads of pair sums (q0: columns 0-3, q1:
// 4-7, each column's two sums in one 64-bit lane).
inline __m256i columns8(__m256i q0, __m256i q1) {
  // hadd per 128-bit lane: low = cols 0,1 | 4,5; high = cols 2,3 | 6,7.
  return _mm256_permute4x64_epi64(_mm256_hadd_epi32(q0, q1), _MM_SHUFFLE(3, 1, 2, 0));
}

// One pass: columns [8h, 8h + 8) of R rows over n K values of the widened
// chunk a16 (row stride kChunk), adding into the pair sums c[r][0] (columns
// 8h .. 8h+3) and c[r][1] (8h+4 .. 8h+7).
template <std::size_t R>
inline void pass(std::size_t n, const int16_t* a16, const int8_t* panel, std::size_t h, __m256i (*c)[2]) {
  const int8_t* p = panel + 32 * h;
  for (std::size_t k = 0; k < n; k += 4, p += 64) {
    const __m256i b0 = widen16(p), b1 = widen16(p + 16);
#pragma GCC unroll 6
    for (std::size_t r = 0; r < R; ++r) {
      const __m256i a = broadcast4(a16 + r * kChunk + k);
      c[r][0] = _mm256_add_epi32(c[r][0], _mm256_madd_epi16(a, b0));
      c[r][1] = _mm256_add_epi32(c[r][1], _mm256_madd_epi16(a, b1));
    }
  }
}

template <std::size_t R>
void tile(std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda, const int8_t* panel,
          const int32_t* col_terms, const int32_t* col_zero_points, const int32_t* row_sums,
          const QGemmStore& store, void* c, std::size_t ldc) {
  alignas(32) int16_t a16[R * kChunk];
  // Pair sums of both passes between chunks (only when K > kChunk).
  __m256i sums[2][R][2];
  __m256i acc[R][2];
  // Runs once when kc = 0 (K = 0), leaving zero sums: the tile is col_terms.
  for (std::size_t k0 = 0; k0 == 0 || k0 < kc; k0 += kChunk) {
    const std::size_t n = std::min(kChunk, kc - k0);
    const bool first = k0 == 0, last = k0 + n == kc;
    for (std::size_t r = 0; r < R; ++r) widen_row(a + r * lda + k0, n, a16 + r * kChunk);
    for (std::size_t h = 0; h < 2; ++h) {
      __m256i s[R][2];
#pragma GCC unroll 6
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t q = 0; q < 2; ++q) s[r][q] = first ? _mm256_setzero_si256() : sums[h][r][q];
      pass<R>(n, a16, panel + k0 * kQGemmNr, h, s);
#pragma GCC unroll 6
      for (std::size_t r = 0; r < R; ++r) {
        if (last) acc[r][h] = columns8(s[r][0], s[r][1]);
        else sums[h][r][0] = s[r][0], sums[h][r][1] = s[r][1];
      }
    }
  }
  store_tile(R, nc, acc, col_terms, col_zero_points, row_sums, store, c, ldc);
}

}  // namespace

void qu8s8_gemm_2x16c4_exact_avx2(std::size_t mr, std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda,
                                  const int8_t* panel, const int32_t* col_terms, const int32_t* col_zero_points,
                                  const int32_t* row_sums, const QGemmStore& store, void* c, std::size_t ldc);

void qu8s8_gemm_6x16c4_exact_avx2(std::size_t mr, std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda,
                                  const int8_t* panel, const int32_t* col_terms, const int32_t* col_zero_points,
                                  const int32_t* row_sums, const QGemmStore& store, void* c, std::size_t ldc) {
  assert(mr >= 1 && mr <= kMr && nc >= 1 && nc <= kQGemmNr && kc % kQGemmKr == 0);
  switch (mr) {
    case 1:
    case 2:
      // Bound by streaming the panel: the 2-row kernel reads it in one pass
      // (2 rows x 4 quads of accumulators fit) and widens A as it goes,
      // cheaper than the buffer when only 1-2 rows share each B widening
      // (M = 1, K = 1280, N = 1000: 93 vs 80 GOP/s).
      return qu8s8_gemm_2x16c4_exact_avx2(mr, nc, kc, a, lda, panel, col_terms, col_zero_points, row_sums, store, c,
                                          ldc);
    case 3: return tile<3>(nc, kc, a, lda, panel, col_terms, col_zero_points, row_sums, store, c, ldc);
    case 4: return tile<4>(nc, kc, a, lda, panel, col_terms, col_zero_points, row_sums, store, c, ldc);
    case 5: return tile<5>(nc, kc, a, lda, panel, col_terms, col_zero_points, row_sums, store, c, ldc);
    default: return tile<6>(nc, kc, a, lda, panel, col_terms, col_zero_points, row_sums, store, c, ldc);
  }
}

}  // namespace sparq
