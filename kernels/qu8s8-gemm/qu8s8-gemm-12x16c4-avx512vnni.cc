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
                                   const int32_t* col_zero_points, const int32_t* row_sums, int32_t* c,
                                   std::size_t ldc) {
  assert(mr >= 1 && mr <= kMr && nc >= 1 && nc <= kQGemmNr && kc % kQGemmKr == 0);
  __m512i acc[kMr];
  for (std::size_t i = 0; i < kMr; ++i) acc[i] = _mm512_setzero_si512();

  if (mr == 1) {
    // GEMV-like calls: one row, bound by streaming B. Four accumulators over
    // interleaved K groups hide vpdpbusd's latency; integer adds are
    // associative modulo 2^32, so the split is still exact.
    std::size_t k = 0;
    for (; k + 16 <= kc; k += 16, panel += 256) {
      acc[0] = _mm512_dpbusd_epi32(acc[0], broadcast4(a + k), _mm512_loadu_si512(panel));
      acc[1] = _mm512_dpbusd_epi32(acc[1], broadcast4(a + k + 4), _mm512_loadu_si512(panel + 64));
      acc[2] = _mm512_dpbusd_epi32(acc[2], broadcast4(a + k + 8), _mm512_loadu_si512(panel + 128));
      acc[3] = _mm512_dpbusd_epi32(acc[3], broadcast4(a + k + 12), _mm512_loadu_si512(panel + 192));
    }
    for (; k < kc; k += 4, panel += 64)
      acc[0] = _mm512_dpbusd_epi32(acc[0], broadcast4(a + k), _mm512_loadu_si512(panel));
    acc[0] = _mm512_add_epi32(_mm512_add_epi32(acc[0], acc[1]), _mm512_add_epi32(acc[2], acc[3]));
  } else {
    // Rows past mr alias the last real one: computed, never stored. Rows are
    // addressed as a + i * lda from two bases so the loop needs few GPRs.
    const uint8_t* rows[kMr];
    for (std::size_t i = 0; i < kMr; ++i) rows[i] = a + (i < mr ? i : mr - 1) * lda;
    for (std::size_t k = 0; k < kc; k += 4, panel += 64) {
      const __m512i b = _mm512_loadu_si512(panel);
      for (std::size_t i = 0; i < kMr; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], broadcast4(rows[i] + k), b);
    }
  }

  const __m512i terms = _mm512_loadu_si512(col_terms);
  const __mmask16 mask = static_cast<__mmask16>((1u << nc) - 1);
  const __m512i zps = col_zero_points != nullptr ? _mm512_loadu_si512(col_zero_points) : _mm512_setzero_si512();
  for (std::size_t i = 0; i < mr; ++i, c += ldc) {
    __m512i v = _mm512_add_epi32(acc[i], terms);
    if (col_zero_points != nullptr) v = _mm512_sub_epi32(v, _mm512_mullo_epi32(_mm512_set1_epi32(row_sums[i]), zps));
    _mm512_mask_storeu_epi32(c, mask, v);
  }
}

}  // namespace sparq
