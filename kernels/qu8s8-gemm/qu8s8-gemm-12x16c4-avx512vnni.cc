// AVX-512 VNNI qu8s8-gemm microkernel: 12 rows x 16 columns, K in groups of 4.
//
// Exact for ANY weights: vpdpbusd multiplies 4 u8 x s8 pairs and adds them
// straight into an int32 lane (no int16 intermediate, no saturation; the
// plain form wraps modulo 2^32 like every other term of the correction).
// So needs_narrow is false and this variant serves narrow and full-range B.
//
// Registers, per group of 4 K values (the c4 layout of one panel is exactly
// one zmm per group: 16 columns x 4 bytes):
//   b       = B'[4g..4g+3, cols 0..15]                   (one 64-byte load)
//   a[i]    = A[row i, 4g..4g+3] broadcast to every dword (vpbroadcastd)
//   acc[i] += vpdpbusd(a[i], b)   one int32 per column
// 12 accumulators + b + broadcasts fit easily in 32 zmm. vpdpbusd has a
// 5-cycle latency and two 512-bit ports on Sapphire Rapids, so at least 10
// independent accumulators are needed to keep both ports busy; 12 rows cover
// that with one B load per 12 multiplies. vpdpbusd takes the u8 operand from
// a register, so A is broadcast (a load-port uop, no shuffle port).
#include <immintrin.h>

#include <cassert>
#include <cstdint>
#include <cstring>

#include "qu8s8-gemm.h"
#include "qu8s8-gemm-store-avx512.h"

namespace sparq {
namespace {

constexpr std::size_t kMr = 12;

inline __m512i broadcast4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

}  // namespace

void qu8s8_gemm_12x16c4_avx512vnni(std::size_t mr, std::size_t nc, std::size_t kc, const uint8_t* a,
                                   std::size_t lda, const int8_t* panel, const int32_t* col_terms,
                                   const int32_t* col_zero_points, const int32_t* row_sums,
                                   const QGemmStore& store, void* c, std::size_t ldc) {
  assert(mr >= 1 && mr <= kMr && nc >= 1 && nc <= kQGemmNr && kc % kQGemmKr == 0);
  // Rows past mr alias the last real one: computed, never stored.
  const uint8_t* a0 = a;
  const uint8_t* a1 = mr > 1 ? a0 + lda : a0;
  const uint8_t* a2 = mr > 2 ? a1 + lda : a1;
  const uint8_t* a3 = mr > 3 ? a2 + lda : a2;
  const uint8_t* a4 = mr > 4 ? a3 + lda : a3;
  const uint8_t* a5 = mr > 5 ? a4 + lda : a4;
  const uint8_t* a6 = mr > 6 ? a5 + lda : a5;
  const uint8_t* a7 = mr > 7 ? a6 + lda : a6;
  const uint8_t* a8 = mr > 8 ? a7 + lda : a7;
  const uint8_t* a9 = mr > 9 ? a8 + lda : a8;
  const uint8_t* a10 = mr > 10 ? a9 + lda : a9;
  const uint8_t* a11 = mr > 11 ? a10 + lda : a10;

  __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  __m512i c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  if (mr == 1) {
    // GEMV-like calls: one row, bound by streaming B. Four accumulators over
    // interleaved K groups hide vpdpbusd's latency; integer adds are
    // associative modulo 2^32, so the split is still exact.
    std::size_t k = 0;
    for (; k + 16 <= kc; k += 16, panel += 256) {
      c0 = _mm512_dpbusd_epi32(c0, broadcast4(a0 + k), _mm512_loadu_si512(panel));
      c1 = _mm512_dpbusd_epi32(c1, broadcast4(a0 + k + 4), _mm512_loadu_si512(panel + 64));
      c2 = _mm512_dpbusd_epi32(c2, broadcast4(a0 + k + 8), _mm512_loadu_si512(panel + 128));
      c3 = _mm512_dpbusd_epi32(c3, broadcast4(a0 + k + 12), _mm512_loadu_si512(panel + 192));
    }
    for (; k < kc; k += 4, panel += 64)
      c0 = _mm512_dpbusd_epi32(c0, broadcast4(a0 + k), _mm512_loadu_si512(panel));
    c0 = _mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3));
  } else {
    for (std::size_t k = 0; k < kc; k += 4, panel += 64) {
      const __m512i b = _mm512_loadu_si512(panel);
      c0 = _mm512_dpbusd_epi32(c0, broadcast4(a0 + k), b);
      c1 = _mm512_dpbusd_epi32(c1, broadcast4(a1 + k), b);
      c2 = _mm512_dpbusd_epi32(c2, broadcast4(a2 + k), b);
      c3 = _mm512_dpbusd_epi32(c3, broadcast4(a3 + k), b);
      c4 = _mm512_dpbusd_epi32(c4, broadcast4(a4 + k), b);
      c5 = _mm512_dpbusd_epi32(c5, broadcast4(a5 + k), b);
      c6 = _mm512_dpbusd_epi32(c6, broadcast4(a6 + k), b);
      c7 = _mm512_dpbusd_epi32(c7, broadcast4(a7 + k), b);
      c8 = _mm512_dpbusd_epi32(c8, broadcast4(a8 + k), b);
      c9 = _mm512_dpbusd_epi32(c9, broadcast4(a9 + k), b);
      c10 = _mm512_dpbusd_epi32(c10, broadcast4(a10 + k), b);
      c11 = _mm512_dpbusd_epi32(c11, broadcast4(a11 + k), b);
    }
  }

  const __m512i acc[kMr] = {c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11};
  store_tile(mr, nc, acc, col_terms, col_zero_points, row_sums, store, c, ldc);
}

}  // namespace sparq
