// Exact AVX2 qu8s8-gemm microkernel for full-range weights: 2 rows x 16
// columns on the shared c4 layout, multiplying in int16 with vpmaddwd.
//
// Exactness: vpmaddwd multiplies int16 pairs and adds them into an int32
// (|a0*b0 + a1*b1| <= 2 * 255 * 128, far from overflow), so any int8 weight
// is exact; qu8s8_gemm_best() picks this variant when B is not narrow.
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

// The end of a tile: adds the column terms, subtracts the B zero-point
// correction and stores rows 0..mr-1 (acc[i][0]: columns 0-7, acc[i][1]:
// 8-15) through the output stage of QGemmStore, with the per-vector steps of
// qs32-qx8-requantize-avx2: cvtepi32_ps (round to nearest even), one mul_ps
// (followed by no add GCC could fuse into an FMA), max_ps(lo, x),
// min_ps(hi, x) (the scalar selects, operand for operand), cvtps_epi32 (round
// half to even under the default MXCSR), so every element equals the scalar
// reference bit for bit. Its NaN step is the driver's (see QGemmStore). kOut
// is a template parameter so the row loop carries no branch on it and loads
// the multipliers and bounds once.
template <QOutput kOut>
void store_rows(std::size_t mr, std::size_t nc, const __m256i (*acc)[2], const int32_t* col_terms,
                const int32_t* col_zero_points, const int32_t* row_sums, const QGemmStore& store, void* c,
                std::size_t ldc) {
  constexpr bool kQ8 = kOut == QOutput::kUint8 || kOut == QOutput::kInt8;
  constexpr std::size_t kSize = kQ8 ? 1 : 4;
  const __m256i t0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_terms));
  const __m256i t1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_terms + 8));
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i mask0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(nc)), lanes);
  const __m256i mask1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(nc) - 8), lanes);
  const bool scaled = kOut != QOutput::kInt32;
  const __m256 m0 = scaled ? _mm256_loadu_ps(store.multipliers) : _mm256_setzero_ps();
  const __m256 m1 = scaled ? _mm256_loadu_ps(store.multipliers + 8) : _mm256_setzero_ps();
  const __m256 lo = _mm256_set1_ps(store.lo), hi = _mm256_set1_ps(store.hi);
  const __m256i zp = _mm256_set1_epi32(store.zero_point);
  // After packs_epi32 + packs/packus_epi16 each 128-bit lane holds 4-byte
  // groups v0[0..3] v1[0..3] (low lane) and v0[4..7] v1[4..7] (high lane).
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  auto quantize = [&](__m256i v, __m256 m) {
    __m256 x = _mm256_mul_ps(_mm256_cvtepi32_ps(v), m);
    x = _mm256_min_ps(hi, _mm256_max_ps(lo, x));
    return _mm256_add_epi32(_mm256_cvtps_epi32(x), zp);
  };
  for (std::size_t i = 0; i < mr; ++i) {
    __m256i v0 = _mm256_add_epi32(acc[i][0], t0);
    __m256i v1 = _mm256_add_epi32(acc[i][1], t1);
    if (col_zero_points != nullptr) {
      const __m256i s = _mm256_set1_epi32(row_sums[i]);
      v0 = _mm256_sub_epi32(v0, _mm256_mullo_epi32(s, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_zero_points))));
      v1 = _mm256_sub_epi32(v1, _mm256_mullo_epi32(s, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_zero_points + 8))));
    }
    void* row = static_cast<uint8_t*>(c) + i * ldc * kSize;
    if (kOut == QOutput::kInt32 || kOut == QOutput::kFloat32) {
      __m256i r0 = v0, r1 = v1;
      if (kOut == QOutput::kFloat32) {
        // max_ps(lo, x) / min_ps(hi, x) keep a NaN x, as the scalar selects do.
        r0 = _mm256_castps_si256(_mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_mul_ps(_mm256_cvtepi32_ps(v0), m0))));
        r1 = _mm256_castps_si256(_mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_mul_ps(_mm256_cvtepi32_ps(v1), m1))));
      }
      int32_t* out = static_cast<int32_t*>(row);
      if (nc == kQGemmNr) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), r0);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8), r1);
      } else {
        _mm256_maskstore_epi32(out, mask0, r0);
        _mm256_maskstore_epi32(out + 8, mask1, r1);
      }
    } else {
      // Quantized values already lie in the output range: the saturating
      // packs change nothing.
      const __m256i w = _mm256_packs_epi32(quantize(v0, m0), quantize(v1, m1));
      const __m256i b = kOut == QOutput::kInt8 ? _mm256_packs_epi16(w, w) : _mm256_packus_epi16(w, w);
      const __m128i bytes = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(b, order));
      if (nc == kQGemmNr) {
        _mm_storeu_si128(static_cast<__m128i*>(row), bytes);
      } else {
        alignas(16) uint8_t part[kQGemmNr];
        _mm_store_si128(reinterpret_cast<__m128i*>(part), bytes);
        std::memcpy(row, part, nc);
      }
    }
  }
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
