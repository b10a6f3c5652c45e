// The output stage of the AVX-512 qu8s8-gemm variants (VNNI and AMX), shared
// by the files that include it: only -avx512vnni.cc and -amx.cc files of this
// family, whose flags both include AVX-512 F/BW. Everything here has internal
// linkage (anonymous namespace), so each including file compiles its own copy
// with its own flags and none can be picked by the linker for portable code.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "qu8s8-gemm.h"
#include "qu8s8-gemm-output-kind.h"

namespace sparq {
namespace {

// The end of a tile (store_rows): adds the column terms, subtracts the B
// zero-point correction and stores rows 0..mr-1 through the output stage of
// QGemmStore (Stage: one row of 16 finished sums, for kernels that add the
// terms themselves), with the per-vector steps of qs32-qx8-requantize-avx2 on
// 16 lanes:
// cvtepi32_ps (round to nearest even), one mul_ps (followed by no add GCC
// could fuse into an FMA), max_ps(lo, x), min_ps(hi, x) (the scalar selects,
// operand for operand), cvtps_epi32 (round half to even under the default
// MXCSR), so every element equals the scalar reference bit for bit. Its NaN
// step is the driver's (see QGemmStore). The clamped values lie in the output
// type's range, so the saturating down-conversions (vpmovusdb / vpmovsdb)
// only narrow them. A row of 16 columns is stored plain, a shorter one
// through the mask of its nc columns.
// kOut is a template parameter so the row loop carries no branch on it and
// loads its constants once. Conversions, max and min are written as
// all-lanes zero-masked ops, which compile to the same instructions: GCC 12
// warns on the plain intrinsics (their undefined pass-through operand trips
// -Wmaybe-uninitialized, GCC bug 105593).
template <QOutput kOut>
struct Stage {
  static constexpr std::size_t kSize = kOut == QOutput::kUint8 || kOut == QOutput::kInt8 ? 1 : 4;
  __m512 mul, lo, hi;
  __m512i zp;

  // `multipliers`: the 16 of the panel being stored (unused for kInt32).
  Stage(const QGemmStore& store, const float* multipliers)
      : mul(kOut != QOutput::kInt32 ? _mm512_loadu_ps(multipliers) : _mm512_setzero_ps()),
        lo(_mm512_set1_ps(store.lo)),
        hi(_mm512_set1_ps(store.hi)),
        zp(_mm512_set1_epi32(store.zero_point)) {}

  // Stores the columns of `mask` of one row of finished sums v (column and
  // zero-point terms already added) at `row`.
  void store(__m512i v, void* row, __mmask16 mask) const {
    const __mmask16 all = 0xFFFF;
    // A full row takes a plain store: a masked store to a line that is not
    // in cache is slow on some cores (MobileNetV2's 200704 x 16 x 96 GEMM at
    // batch 16 to uint8, C 19 MB: 12.2 ms masked, about 3 plain).
    if (kOut == QOutput::kInt32) {
      if (mask == 0xFFFF) {
        _mm512_storeu_si512(row, v);
      } else {
        _mm512_mask_storeu_epi32(row, mask, v);
      }
      return;
    }
    __m512 x = _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(all, v), mul);
    if (kOut == QOutput::kFloat32) {
      // max_ps(lo, x) / min_ps(hi, x) keep a NaN x, as the scalar selects do.
      x = _mm512_maskz_min_ps(all, hi, _mm512_maskz_max_ps(all, lo, x));
      if (mask == 0xFFFF) {
        _mm512_storeu_ps(row, x);
      } else {
        _mm512_mask_storeu_ps(row, mask, x);
      }
      return;
    }
    x = _mm512_maskz_min_ps(all, hi, _mm512_maskz_max_ps(all, lo, x));
    const __m512i q = _mm512_add_epi32(_mm512_maskz_cvtps_epi32(all, x), zp);
    const __m128i bytes =
        kOut == QOutput::kUint8 ? _mm512_maskz_cvtusepi32_epi8(all, q) : _mm512_maskz_cvtsepi32_epi8(all, q);
    if (mask == 0xFFFF) {
      _mm_storeu_si128(static_cast<__m128i*>(row), bytes);
    } else {
      _mm_mask_storeu_epi8(row, mask, bytes);
    }
  }
};

// The uint8/int8 output stage of QGemmStore::saturating stores, four rows
// of 16 finished sums at a time: per row cvtepi32_ps, mul_ps and cvtps_epi32
// (round half to even) alone, then vpackssdw, vpaddsw of the zero point and
// vpackuswb / vpacksswb narrow the four rows together, with a clamp on the
// bytes only where [out_min, out_max] is narrower than the output type
// (a fused ReLU6 that cuts it): the bytes Stage stores (see
// QGemmStore::saturating for why), in fewer instructions per row than its
// float clamp and per-row vpmov{us,s}db narrowing, which is what a tile of
// short K (MobileNet's 1x1 layers of 16-32 input channels) spends most of
// its time on. The packs work within 128-bit lanes, so lane l holds the
// columns 4l..4l+3 of rows 0-3; one vpermd gathers each row into a lane.
template <QOutput kOut>
struct ByteRowsStage {
  static_assert(kOut == QOutput::kUint8 || kOut == QOutput::kInt8, "bytes only");
  __m512 mul;
  __m512i zp16, min8, max8;
  bool full_range;

  // `multipliers`: the 16 of the panel being stored.
  ByteRowsStage(const QGemmStore& store, const float* multipliers)
      : mul(_mm512_loadu_ps(multipliers)),
        zp16(_mm512_set1_epi16(static_cast<int16_t>(store.zero_point))),
        min8(_mm512_set1_epi8(static_cast<char>(static_cast<int32_t>(store.lo) + store.zero_point))),
        max8(_mm512_set1_epi8(static_cast<char>(static_cast<int32_t>(store.hi) + store.zero_point))),
        full_range(static_cast<int32_t>(store.lo) + store.zero_point == (kOut == QOutput::kUint8 ? 0 : -128) &&
                   static_cast<int32_t>(store.hi) + store.zero_point == (kOut == QOutput::kUint8 ? 255 : 127)) {}

  // Stores the columns of `mask` of rows 0..rows-1 (1 to 4) of v at c, c + ldc, ...; v[i] for i >= rows is
  // computed and not stored.
  void store(const __m512i (&v)[4], std::size_t rows, uint8_t* c, std::size_t ldc, __mmask16 mask) const {
    const __mmask16 all = 0xFFFF;
    __m512i q[4];
#pragma GCC unroll 4
    for (std::size_t i = 0; i < 4; ++i)
      q[i] = _mm512_maskz_cvtps_epi32(all, _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(all, v[i]), mul));
    const __m512i q01 = _mm512_adds_epi16(_mm512_packs_epi32(q[0], q[1]), zp16);
    const __m512i q23 = _mm512_adds_epi16(_mm512_packs_epi32(q[2], q[3]), zp16);
    __m512i b = kOut == QOutput::kUint8 ? _mm512_packus_epi16(q01, q23) : _mm512_packs_epi16(q01, q23);
    if (!full_range)
      b = kOut == QOutput::kUint8 ? _mm512_max_epu8(min8, _mm512_min_epu8(max8, b)) : _mm512_max_epi8(min8, _mm512_min_epi8(max8, b));
    // Dword 4l + i (row i, columns 4l..4l+3) -> dword 4i + l.
    b = _mm512_maskz_permutexvar_epi32(all, _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0), b);
    store_row(c, _mm512_maskz_extracti32x4_epi32(0xF, b, 0), mask);
    if (rows > 1) store_row(c + ldc, _mm512_maskz_extracti32x4_epi32(0xF, b, 1), mask);
    if (rows > 2) store_row(c + 2 * ldc, _mm512_maskz_extracti32x4_epi32(0xF, b, 2), mask);
    if (rows > 3) store_row(c + 3 * ldc, _mm512_maskz_extracti32x4_epi32(0xF, b, 3), mask);
  }

 private:
  // A full row takes a plain store (see Stage::store).
  static void store_row(uint8_t* row, __m128i bytes, __mmask16 mask) {
    if (mask == 0xFFFF) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(row), bytes);
    } else {
      _mm_mask_storeu_epi8(row, mask, bytes);
    }
  }
};

template <QOutput kOut>
void store_rows(std::size_t mr, std::size_t nc, const __m512i* acc, const int32_t* col_terms,
                const int32_t* col_zero_points, const int32_t* row_sums, const QGemmStore& store, void* c,
                std::size_t ldc) {
  const Stage<kOut> stage(store, store.multipliers);
  const __m512i terms = _mm512_loadu_si512(col_terms);
  const __mmask16 mask = static_cast<__mmask16>((1u << nc) - 1);
  const __m512i zps = col_zero_points != nullptr ? _mm512_loadu_si512(col_zero_points) : _mm512_setzero_si512();
  for (std::size_t i = 0; i < mr; ++i) {
    __m512i v = _mm512_add_epi32(acc[i], terms);
    if (col_zero_points != nullptr) v = _mm512_sub_epi32(v, _mm512_mullo_epi32(_mm512_set1_epi32(row_sums[i]), zps));
    stage.store(v, static_cast<uint8_t*>(c) + i * ldc * Stage<kOut>::kSize, mask);
  }
}

// store_rows for the output kind of `store`, chosen once per tile. acc[i]
// holds row i's 16 int32 sums.
inline void store_tile(std::size_t mr, std::size_t nc, const __m512i* acc, const int32_t* col_terms,
                       const int32_t* col_zero_points, const int32_t* row_sums, const QGemmStore& store, void* c,
                       std::size_t ldc) {
  with_output_kind(store.output, [&](auto kind) {
    store_rows<decltype(kind)::value>(mr, nc, acc, col_terms, col_zero_points, row_sums, store, c, ldc);
  });
}

}  // namespace
}  // namespace sparq
