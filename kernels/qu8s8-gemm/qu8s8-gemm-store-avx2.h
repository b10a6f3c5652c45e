// The output stage of the AVX2 qu8s8-gemm variants, shared by the files
// that include it: only -avx2.cc files of this family. Everything here has
// internal linkage (anonymous namespace), so each including file compiles its
// own copy with its own flags and none can be picked by the linker for
// portable code.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "qu8s8-gemm.h"
#include "qu8s8-gemm-output-kind.h"

namespace sparq {
namespace {

// The first n (< 16) bytes of v at p, as fixed-size moves of 8, 4, 2 and 1
// bytes: a memcpy of n bytes is a library call per row, which cost 5-12% of
// the exact 6-row kernel's time on MobileNetV2's N = 24 and 40 1x1 GEMMs
// (8 columns left over in every row; one Zen 4 core, SPARQ_ISA=avx2).
inline void store_bytes(uint8_t* p, __m128i v, std::size_t n) {
  alignas(16) uint8_t part[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(part), v);
  std::size_t j = 0;
#pragma GCC unroll 4  // constant sizes: each piece one move
  for (std::size_t bytes = 8; bytes > 0; bytes /= 2)
    if (n & bytes) std::memcpy(p + j, part + j, bytes), j += bytes;
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
        store_bytes(static_cast<uint8_t*>(row), bytes, nc);
      }
    }
  }
}

// store_rows for the output kind of `store`, chosen once per tile.
inline void store_tile(std::size_t mr, std::size_t nc, const __m256i (*acc)[2], const int32_t* col_terms,
                       const int32_t* col_zero_points, const int32_t* row_sums, const QGemmStore& store, void* c,
                       std::size_t ldc) {
  with_output_kind(store.output, [&](auto kind) {
    store_rows<decltype(kind)::value>(mr, nc, acc, col_terms, col_zero_points, row_sums, store, c, ldc);
  });
}

}  // namespace
}  // namespace sparq
