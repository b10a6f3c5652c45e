// AVX-512 store of one 16-position vector of a shifted-conv tile row
// (shifted-conv/shifted-conv.h): the kept lanes are packed together in a register
// (vcompressps to a register is cheap; the memory form is microcoded on AMD)
// and written contiguously from the vector's output index. Include only from
// -avx512 files.
#pragma once

#include <immintrin.h>

#include "shifted-conv.h"

namespace sparq {
namespace {

// max(vmin, x) and min(vmax, x) keep a NaN x, as the f32-gemm epilogue does
// (all-lanes masked forms: GCC 12 warns on the unmasked ones, bug 105593).
inline __m512 shifted_clamp(__m512 x, __m512 vmin, __m512 vmax) {
  const __mmask16 all = 0xFFFF;
  return _mm512_maskz_min_ps(all, vmax, _mm512_maskz_max_ps(all, vmin, x));
}

// Stores vector v of tile row r. Float output adds the row's bias and clamps.
inline void shifted_store(const ConvTileOutput& o, std::size_t r, std::size_t v, __m512 acc, bool clamp) {
  if (o.positions) {
    const std::size_t at = r * o.row_stride + v * 16;
    if (o.int32_out) return _mm512_storeu_si512(o.yi + at, _mm512_maskz_cvtps_epi32(0xFFFF, acc));
    if (o.bias != nullptr) acc = _mm512_add_ps(acc, _mm512_set1_ps(o.bias[r]));
    if (clamp) acc = shifted_clamp(acc, _mm512_set1_ps(o.min), _mm512_set1_ps(o.max));
    return _mm512_storeu_ps(o.y + at, acc);
  }
  const __mmask16 keep = o.masks[v];
  if (keep == 0) return;
  const __mmask16 first = static_cast<__mmask16>((1u << _mm_popcnt_u32(keep)) - 1);
  const std::size_t at = r * o.row_stride + o.starts[v];
  if (o.int32_out) {
    _mm512_mask_storeu_epi32(o.yi + at, first, _mm512_maskz_compress_epi32(keep, _mm512_maskz_cvtps_epi32(0xFFFF, acc)));
    return;
  }
  if (o.bias != nullptr) acc = _mm512_add_ps(acc, _mm512_set1_ps(o.bias[r]));
  if (clamp) acc = shifted_clamp(acc, _mm512_set1_ps(o.min), _mm512_set1_ps(o.max));
  _mm512_mask_storeu_ps(o.y + at, first, _mm512_maskz_compress_ps(keep, acc));
}

// Stores exact int32 sums (vector v of tile row r) to an integer output.
inline void shifted_store_i32(const ConvTileOutput& o, std::size_t r, std::size_t v, __m512i acc) {
  if (o.positions) return _mm512_storeu_si512(o.yi + r * o.row_stride + v * 16, acc);
  const __mmask16 keep = o.masks[v];
  if (keep == 0) return;
  const __mmask16 first = static_cast<__mmask16>((1u << _mm_popcnt_u32(keep)) - 1);
  _mm512_mask_storeu_epi32(o.yi + r * o.row_stride + o.starts[v], first, _mm512_maskz_compress_epi32(keep, acc));
}

}  // namespace
}  // namespace sparq
