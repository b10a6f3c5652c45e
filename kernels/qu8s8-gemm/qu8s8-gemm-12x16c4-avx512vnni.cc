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

// The end of a tile: adds the column terms, subtracts the B zero-point
// correction and stores rows 0..mr-1 through the output stage of QGemmStore,
// with the per-vector steps of qs32-qx8-requantize-avx2 on 16 lanes:
// cvtepi32_ps (round to nearest even), one mul_ps (followed by no add GCC
// could fuse into an FMA), max_ps(lo, x), min_ps(hi, x) (the scalar selects,
// operand for operand), cvtps_epi32 (round half to even under the default
// MXCSR), so every element equals the scalar reference bit for bit. Its NaN
// step is the driver's (see QGemmStore). The clamped values lie in the output
// type's range, so the saturating down-converting stores (vpmovusdb /
// vpmovsdb) only narrow them, and their mask writes exactly the nc columns.
// kOut is a template parameter so the row loop carries no branch on it and
// loads its constants once. Conversions, max and min are written as
// all-lanes zero-masked ops, which compile to the same instructions: GCC 12
// warns on the plain intrinsics (their undefined pass-through operand trips
// -Wmaybe-uninitialized, GCC bug 105593).
template <QOutput kOut>
void store_rows(std::size_t mr, std::size_t nc, const __m512i* acc, const int32_t* col_terms,
                const int32_t* col_zero_points, const int32_t* row_sums, const QGemmStore& store, void* c,
                std::size_t ldc) {
  constexpr std::size_t kSize = kOut == QOutput::kUint8 || kOut == QOutput::kInt8 ? 1 : 4;
  const __m512i terms = _mm512_loadu_si512(col_terms);
  const __mmask16 mask = static_cast<__mmask16>((1u << nc) - 1);
  const __m512i zps = col_zero_points != nullptr ? _mm512_loadu_si512(col_zero_points) : _mm512_setzero_si512();
  const __m512 mul = kOut != QOutput::kInt32 ? _mm512_loadu_ps(store.multipliers) : _mm512_setzero_ps();
  const __m512 lo = _mm512_set1_ps(store.lo), hi = _mm512_set1_ps(store.hi);
  const __m512i zp = _mm512_set1_epi32(store.zero_point);
  const __mmask16 all = 0xFFFF;
  for (std::size_t i = 0; i < mr; ++i) {
    __m512i v = _mm512_add_epi32(acc[i], terms);
    if (col_zero_points != nullptr) v = _mm512_sub_epi32(v, _mm512_mullo_epi32(_mm512_set1_epi32(row_sums[i]), zps));
    void* row = static_cast<uint8_t*>(c) + i * ldc * kSize;
    if (kOut == QOutput::kInt32) {
      _mm512_mask_storeu_epi32(row, mask, v);
      continue;
    }
    __m512 x = _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(all, v), mul);
    if (kOut == QOutput::kFloat32) {
      // max_ps(lo, x) / min_ps(hi, x) keep a NaN x, as the scalar selects do.
      _mm512_mask_storeu_ps(row, mask, _mm512_maskz_min_ps(all, hi, _mm512_maskz_max_ps(all, lo, x)));
      continue;
    }
    x = _mm512_maskz_min_ps(all, hi, _mm512_maskz_max_ps(all, lo, x));
    const __m512i q = _mm512_add_epi32(_mm512_maskz_cvtps_epi32(all, x), zp);
    if (kOut == QOutput::kUint8) {
      _mm512_mask_cvtusepi32_storeu_epi8(row, mask, q);
    } else {
      _mm512_mask_cvtsepi32_storeu_epi8(row, mask, q);
    }
  }
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
  switch (store.output) {
    case QOutput::kInt32:
      store_rows<QOutput::kInt32>(mr, nc, acc, col_terms, col_zero_points, row_sums, store, c, ldc);
      break;
    case QOutput::kUint8:
      store_rows<QOutput::kUint8>(mr, nc, acc, col_terms, col_zero_points, row_sums, store, c, ldc);
      break;
    case QOutput::kInt8:
      store_rows<QOutput::kInt8>(mr, nc, acc, col_terms, col_zero_points, row_sums, store, c, ldc);
      break;
    case QOutput::kFloat32:
      store_rows<QOutput::kFloat32>(mr, nc, acc, col_terms, col_zero_points, row_sums, store, c, ldc);
      break;
  }
}

}  // namespace sparq
