// AVX2 f32-spmm: one kernel body, Spmm<R, Entries>, for every format (see
// f32-spmm-entries.h). Per block row of R output rows:
// - 8 * V columns per step with R x V ymm accumulators (csr: V = 4, blocks:
//   V = 8 / R, so 8 of the 16 ymm): each entry's X row is loaded once as V
//   vectors and feeds R * V FMAs, one per weight of its block;
// - then 8 columns at a time, the last one masked;
// - a single contiguous column (M = 1, the GEMV case): 8 / R entries per
//   vector, whose R weights each are contiguous, against X gathered at their
//   columns and spread over the R lanes of each entry; the lanes are folded
//   down to the R row sums at the end.
// The bias seeds the accumulators; the clamp runs once per stored vector.
// Every sum step stores is also multiplied by 0 (NaN exactly for Inf and
// NaN) and OR-ed into a probe that step returns, for run's answer (the GEMV
// path does not look: there the driver checks X itself).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "f32-spmm-entries.h"
#include "f32-spmm.h"

namespace sparq {
namespace {

__m256i tail_mask(std::size_t remaining) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::min<std::size_t>(remaining, 8))),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// max(lo, v) and min(hi, v) keep a NaN v (vmaxps returns its second operand
// when either is NaN), as dense f32-gemm does.
__m256 clamp(__m256 v, __m256 lo, __m256 hi) { return _mm256_min_ps(hi, _mm256_max_ps(lo, v)); }

template <std::size_t R, typename Entries>
struct Spmm {
  static constexpr std::size_t kV = R == 1 ? 4 : 8 / R;  // vectors of 8 columns per step
  static constexpr std::size_t kE = 8 / R;               // GEMV: entries per vector

  // Rows r0 .. r0 + R of y, columns [0, 8 * V) of x and y; kMasked: only the lanes of `mask` (V = 1).
  template <std::size_t V, bool kMasked>
  static __m256 step(const F32SparseWeights& w, std::size_t r0, const float* x, std::size_t ldx, float* y,
                     std::size_t ldy, __m256i mask, const F32SpmmParams& params, __m256 lo, __m256 hi) {
    // CSR feeds only V FMAs per entry: two accumulator sets, alternating
    // entries, so each FMA waits on the one two entries back, not one.
    constexpr std::size_t S = R == 1 ? 2 : 1;
    __m256 acc[S][R][V];
#pragma GCC unroll 8
    for (std::size_t i = 0; i < R; ++i) {
      const __m256 bias = _mm256_set1_ps(params.bias != nullptr ? params.bias[r0 + i] : 0.0f);
#pragma GCC unroll 4
      for (std::size_t v = 0; v < V; ++v) {
        acc[0][i][v] = bias;
        if constexpr (S > 1) acc[1][i][v] = _mm256_setzero_ps();
      }
    }
    Entries::template each<S>(w, r0 / R, [&](std::size_t k, std::size_t p, auto s) {
      const float* xr = x + k * ldx;
      __m256 xv[V];
#pragma GCC unroll 4
      for (std::size_t v = 0; v < V; ++v) xv[v] = kMasked ? _mm256_maskload_ps(xr + 8 * v, mask) : _mm256_loadu_ps(xr + 8 * v);
      const float* wv = w.values + p * R;
#pragma GCC unroll 8
      for (std::size_t i = 0; i < R; ++i) {
        const __m256 wi = _mm256_broadcast_ss(wv + i);
#pragma GCC unroll 4
        for (std::size_t v = 0; v < V; ++v) acc[s][i][v] = _mm256_fmadd_ps(wi, xv[v], acc[s][i][v]);
      }
    });
    __m256 probe = _mm256_setzero_ps();
#pragma GCC unroll 8
    for (std::size_t i = 0; i < R; ++i)
#pragma GCC unroll 4
      for (std::size_t v = 0; v < V; ++v) {
        __m256 sum = acc[0][i][v];
        if constexpr (S > 1) sum = _mm256_add_ps(sum, acc[1][i][v]);
        probe = _mm256_or_ps(probe, _mm256_mul_ps(sum, _mm256_setzero_ps()));
        float* yr = y + (r0 + i) * ldy + 8 * v;
        if (kMasked) _mm256_maskstore_ps(yr, mask, clamp(sum, lo, hi));
        else _mm256_storeu_ps(yr, clamp(sum, lo, hi));
      }
    return probe;
  }

  // X at the columns of `count` <= kE entries, each in its R lanes.
  static __m256 x_vector(const float* x, const int32_t* columns, std::size_t count) {
    if constexpr (kE == 1) {
      return _mm256_broadcast_ss(x + columns[0]);
    } else if constexpr (R == 1) {
      const __m256i m = tail_mask(count);
      return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), x, _mm256_maskload_epi32(columns, m), _mm256_castsi256_ps(m), 4);
    } else {
      const __m128i m = _mm_cmpgt_epi32(_mm_set1_epi32(static_cast<int>(count)), _mm_setr_epi32(0, 1, 2, 3));
      const __m128 g = _mm_mask_i32gather_ps(_mm_setzero_ps(), x, _mm_maskload_epi32(columns, m), _mm_castsi128_ps(m), 4);
      const __m256i spread = _mm256_srli_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), __builtin_ctz(R));
      // Lane l takes entry l / R.
      return _mm256_permutevar8x32_ps(_mm256_zextps128_ps256(g), spread);
    }
  }

  // y[r0 .. r0 + R] for a contiguous X vector (M = 1, ldx = 1).
  static void gemv(const F32SparseWeights& w, std::size_t r0, const float* x, float* y, std::size_t ldy,
                   const F32SpmmParams& params, __m256 lo, __m256 hi) {
    const std::size_t b = r0 / R, end = Entries::end(w, b);
    // Two accumulators alternate, so consecutive FMAs do not wait on each other.
    __m256 acc = _mm256_setzero_ps(), other = _mm256_setzero_ps();
    alignas(32) int32_t scratch[16];
    for (std::size_t p = Entries::begin(w, b); p < end; p += kE) {
      const std::size_t count = std::min(kE, end - p);
      const __m256 xv = x_vector(x, Entries::columns(w, b, p, count, scratch), count);
      acc = _mm256_fmadd_ps(_mm256_maskload_ps(w.values + p * R, tail_mask(count * R)), xv, acc);
      std::swap(acc, other);
    }
    // Fold lane l onto l ^ 4, ^ 2, ^ 1 until the R row sums are left in lanes 0 .. R.
    __m256 t = _mm256_add_ps(acc, other);
    if constexpr (R <= 4) t = _mm256_add_ps(t, _mm256_permute2f128_ps(t, t, 1));
    if constexpr (R <= 2) t = _mm256_add_ps(t, _mm256_permute_ps(t, 0x4e));
    if constexpr (R <= 1) t = _mm256_add_ps(t, _mm256_permute_ps(t, 0xb1));
    const __m256 bias = params.bias != nullptr ? _mm256_maskload_ps(params.bias + r0, tail_mask(R)) : _mm256_setzero_ps();
    alignas(32) float out[8];
    _mm256_store_ps(out, clamp(_mm256_add_ps(t, bias), lo, hi));
    for (std::size_t i = 0; i < R; ++i) y[(r0 + i) * ldy] = out[i];
  }

  static bool run(const F32SparseWeights& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                  std::size_t m_end, const float* x, std::size_t ldx, float* y, std::size_t ldy,
                  const F32SpmmParams& params) {
    const __m256 lo = _mm256_set1_ps(params.min), hi = _mm256_set1_ps(params.max);
    const __m256i all = _mm256_set1_epi32(-1);
    if (m_end - m_begin == 1 && ldx == 1) {
      for (std::size_t r0 = row_begin; r0 < row_end; r0 += R) gemv(w, r0, x + m_begin, y + m_begin, ldy, params, lo, hi);
      return false;
    }
    __m256 probe = _mm256_setzero_ps();
    for (std::size_t r0 = row_begin; r0 < row_end; r0 += R) {
      std::size_t m0 = m_begin;
      for (; m0 + 8 * kV <= m_end; m0 += 8 * kV) probe = _mm256_or_ps(probe, step<kV, false>(w, r0, x + m0, ldx, y + m0, ldy, all, params, lo, hi));
      for (; m0 < m_end; m0 += 8) probe = _mm256_or_ps(probe, step<1, true>(w, r0, x + m0, ldx, y + m0, ldy, tail_mask(m_end - m0), params, lo, hi));
    }
    return _mm256_movemask_ps(_mm256_cmp_ps(probe, probe, _CMP_UNORD_Q)) != 0;
  }
};

}  // namespace

F32SpmmFn f32_spmm_32_avx2(F32SpmmFormat format) { return format_kernel<Spmm>(format); }

}  // namespace sparq
