// AVX2 store of one 16-position vector of a shifted-conv tile row
// (shifted-conv/shifted-conv.h), the counterpart of shifted-conv-store-avx512.h
// with the same results (and shifted_store_lanes's): a vector is two ymm,
// positions 0-7 in `lo` and 8-15 in `hi`.
//
//   shifted_store(o, r, v, lo, hi, clamp)   float accumulators: float output
//       gets bias[r] added and, when `clamp`, [min, max] keeping NaN; int32
//       output gets round-half-even(acc) (exact integer sums held in floats).
//   shifted_store_i32(o, r, v, lo, hi)      exact int32 sums, int32 output.
//
// AVX2 has no compress: the kept lanes of each 8-lane half are packed to its
// front by vpermps/vpermd with an index vector from a 256-entry table (one
// per 8-bit half mask), then written with a store of popcount lanes (a plain
// store when all 8 are kept, the common case) from the half's output index.
// Include only from -avx2 files.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "shifted-conv.h"

namespace sparq {
namespace {

// Per 8-bit mask m: the indices of m's set bits in ascending order, one per
// nibble from the lowest (nibbles past popcount(m) are 0, never stored).
// 1 KiB rather than 8 KiB of index vectors: the stores share L1 with the
// image and weights.
struct ShiftedCompressTable {
  uint32_t packed[256];
  constexpr ShiftedCompressTable() : packed() {
    for (uint32_t m = 0; m < 256; ++m) {
      uint32_t p = 0, n = 0;
      for (uint32_t lane = 0; lane < 8; ++lane)
        if (m >> lane & 1) p |= lane << (4 * n++);
      packed[m] = p;
    }
  }
};
constexpr ShiftedCompressTable kShiftedCompress{};

// vpermps/vpermd read only the low 3 bits of each index, so shifting each
// lane's nibble down is enough (the bits above it are ignored).
inline __m256i shifted_compress_index(uint32_t mask8) {
  return _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(kShiftedCompress.packed[mask8])),
                           _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28));
}

// Lanes [0, n) set, n <= 8.
inline __m256i shifted_first_lanes(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Writes the lanes of `x` kept by mask8 contiguously to out; returns how many.
inline int shifted_store_kept(float* out, uint32_t mask8, __m256 x) {
  if (mask8 == 0xFF) {
    _mm256_storeu_ps(out, x);
    return 8;
  }
  const int n = _mm_popcnt_u32(mask8);
  if (n != 0) _mm256_maskstore_ps(out, shifted_first_lanes(n), _mm256_permutevar8x32_ps(x, shifted_compress_index(mask8)));
  return n;
}

inline int shifted_store_kept(int32_t* out, uint32_t mask8, __m256i x) {
  if (mask8 == 0xFF) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), x);
    return 8;
  }
  const int n = _mm_popcnt_u32(mask8);
  if (n != 0) _mm256_maskstore_epi32(reinterpret_cast<int*>(out), shifted_first_lanes(n), _mm256_permutevar8x32_epi32(x, shifted_compress_index(mask8)));
  return n;
}

// max(vmin, x) and min(vmax, x) return x when it is NaN (the second operand
// wins an unordered compare), as the AVX-512 store and the scalar clamp do.
inline __m256 shifted_clamp(__m256 x, __m256 vmin, __m256 vmax) {
  return _mm256_min_ps(vmax, _mm256_max_ps(vmin, x));
}

// The two entry points are forced inline: GCC kept them out of line, and a
// call per tile row and vector cost 5-25% on the CIFAR CNN's layers (the
// most where a sparse row has 2-3 entries per store).

// Stores exact int32 sums (vector v of tile row r, lanes 0-7 in lo, 8-15 in hi) to an integer output.
__attribute__((always_inline)) inline void shifted_store_i32(const ConvTileOutput& o, std::size_t r, std::size_t v, __m256i lo, __m256i hi) {
  if (o.positions) {
    int32_t* at = o.yi + r * o.row_stride + v * 16;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(at), lo);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(at + 8), hi);
    return;
  }
  const uint32_t keep = o.masks[v];
  if (keep == 0) return;
  int32_t* at = o.yi + r * o.row_stride + o.starts[v];
  at += shifted_store_kept(at, keep & 0xFF, lo);
  shifted_store_kept(at, keep >> 8, hi);
}

// Stores vector v of tile row r (lanes 0-7 in lo, 8-15 in hi). Float output
// adds the row's bias and clamps when `clamp`; int32 output rounds.
__attribute__((always_inline)) inline void shifted_store(const ConvTileOutput& o, std::size_t r, std::size_t v, __m256 lo, __m256 hi, bool clamp) {
  // cvtps rounds half to even under the default MXCSR, as nearbyint does.
  if (o.int32_out) return shifted_store_i32(o, r, v, _mm256_cvtps_epi32(lo), _mm256_cvtps_epi32(hi));
  const uint32_t keep = o.positions ? 0xFFFF : o.masks[v];
  if (keep == 0) return;
  if (o.bias != nullptr) {
    const __m256 b = _mm256_set1_ps(o.bias[r]);
    lo = _mm256_add_ps(lo, b);
    hi = _mm256_add_ps(hi, b);
  }
  if (clamp) {
    const __m256 vmin = _mm256_set1_ps(o.min), vmax = _mm256_set1_ps(o.max);
    lo = shifted_clamp(lo, vmin, vmax);
    hi = shifted_clamp(hi, vmin, vmax);
  }
  float* at = o.y + r * o.row_stride + (o.positions ? v * 16 : o.starts[v]);
  at += shifted_store_kept(at, keep & 0xFF, lo);
  shifted_store_kept(at, keep >> 8, hi);
}

}  // namespace
}  // namespace sparq
