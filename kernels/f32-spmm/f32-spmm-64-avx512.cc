// AVX-512 f32-spmm: one kernel body, Spmm<R, Entries>, for every format (see
// f32-spmm-entries.h). Per block row of R output rows:
// - 16 * V columns per step with R x V zmm accumulators (V = 4 up to R = 4,
//   then 16 / R, so at most 16): each entry's X row is loaded once as V
//   vectors and feeds R * V FMAs, one per weight of its block (csr: R = 1);
// - then 16 columns at a time, the last one masked;
// - a single contiguous column (M = 1, the GEMV case): 16 / R entries per
//   vector, whose R weights each are contiguous, against X gathered at their
//   columns (R = 1) or broadcast into the R lanes of each entry; the lanes are
//   folded down to the R row sums at the end.
// The bias seeds the accumulators; the clamp runs once per stored vector.
// Every sum step stores is also classified (vfpclassps, before its clamp):
// step returns the lanes that held Inf or NaN, for run's answer (the GEMV
// path does not look: there the driver checks X itself).
// Min/max, the gather and the folds are written as masked ops: the same
// instructions, without GCC 12's false -Wmaybe-uninitialized on the plain
// intrinsics (bug 105593).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "f32-spmm-entries.h"
#include "f32-spmm.h"

namespace sparq {
namespace {

constexpr __mmask16 kAll = 0xffff;
// vfpclassps categories: QNaN, +Inf, -Inf, SNaN.
constexpr int kInfOrNan = 0x01 | 0x08 | 0x10 | 0x80;

// max(lo, v) and min(hi, v) keep a NaN v (vmaxps returns its second operand
// when either is NaN), as dense f32-gemm does.
__m512 clamp(__m512 v, __m512 lo, __m512 hi) {
  return _mm512_maskz_min_ps(kAll, hi, _mm512_maskz_max_ps(kAll, lo, v));
}

__mmask16 first_lanes(std::size_t count) { return count >= 16 ? kAll : static_cast<__mmask16>((1u << count) - 1); }

template <std::size_t R, typename Entries>
struct Spmm {
  static constexpr std::size_t kV = R <= 4 ? 4 : 16 / R;  // vectors of 16 columns per step
  static constexpr std::size_t kE = 16 / R;               // GEMV: entries per vector

  // Rows r0 .. r0 + R of y, columns [0, 16 * V) of x and y (masked by `mask`, which is kAll when V > 1).
  template <std::size_t V>
  static __mmask16 step(const F32SparseWeights& w, std::size_t r0, const float* x, std::size_t ldx, float* y,
                        std::size_t ldy, __mmask16 mask, const F32SpmmParams& params, __m512 lo, __m512 hi) {
    // CSR feeds only V FMAs per entry: two accumulator sets, alternating
    // entries, so each FMA waits on the one two entries back, not one.
    constexpr std::size_t S = R == 1 ? 2 : 1;
    __m512 acc[S][R][V];
#pragma GCC unroll 16
    for (std::size_t i = 0; i < R; ++i) {
      const __m512 bias = _mm512_set1_ps(params.bias != nullptr ? params.bias[r0 + i] : 0.0f);
#pragma GCC unroll 4
      for (std::size_t v = 0; v < V; ++v) {
        acc[0][i][v] = bias;
        if constexpr (S > 1) acc[1][i][v] = _mm512_setzero_ps();
      }
    }
    Entries::template each<S>(w, r0 / R, [&](std::size_t k, std::size_t p, auto s) {
      const float* xr = x + k * ldx;
      __m512 xv[V];
#pragma GCC unroll 4
      for (std::size_t v = 0; v < V; ++v) xv[v] = _mm512_maskz_loadu_ps(mask, xr + 16 * v);
      const float* wv = w.values + p * R;
#pragma GCC unroll 16
      for (std::size_t i = 0; i < R; ++i) {
        const __m512 wi = _mm512_set1_ps(wv[i]);
#pragma GCC unroll 4
        for (std::size_t v = 0; v < V; ++v) acc[s][i][v] = _mm512_fmadd_ps(wi, xv[v], acc[s][i][v]);
      }
    });
    __mmask16 nonfinite = 0;
#pragma GCC unroll 16
    for (std::size_t i = 0; i < R; ++i)
#pragma GCC unroll 4
      for (std::size_t v = 0; v < V; ++v) {
        __m512 sum = acc[0][i][v];
        if constexpr (S > 1) sum = _mm512_add_ps(sum, acc[1][i][v]);
        nonfinite |= _mm512_fpclass_ps_mask(sum, kInfOrNan);
        _mm512_mask_storeu_ps(y + (r0 + i) * ldy + 16 * v, mask, clamp(sum, lo, hi));
      }
    return nonfinite;
  }

  // X at the columns of `count` <= kE entries: R = 1 gathers, wider blocks broadcast each into its R lanes.
  static __m512 x_vector(const float* x, const int32_t* columns, std::size_t count) {
    if constexpr (R == 1) {
      const __mmask16 m = first_lanes(count);
      return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, _mm512_maskz_loadu_epi32(m, columns), x, 4);
    } else {
      __m512 xv = _mm512_setzero_ps();
#pragma GCC unroll 16
      for (std::size_t e = 0; e < kE; ++e)
        if (e < count)
          xv = _mm512_mask_broadcastss_ps(xv, static_cast<__mmask16>(((1u << R) - 1) << (e * R)), _mm_load_ss(x + columns[e]));
      return xv;
    }
  }

  // y[r0 .. r0 + R] for a contiguous X vector (M = 1, ldx = 1).
  static void gemv(const F32SparseWeights& w, std::size_t r0, const float* x, float* y, std::size_t ldy,
                   const F32SpmmParams& params, __m512 lo, __m512 hi) {
    const std::size_t b = r0 / R, end = Entries::end(w, b);
    // Two accumulators alternate, so consecutive FMAs do not wait on each other.
    __m512 acc = _mm512_setzero_ps(), other = _mm512_setzero_ps();
    alignas(64) int32_t scratch[16];
    for (std::size_t p = Entries::begin(w, b); p < end; p += kE) {
      const std::size_t count = std::min(kE, end - p);
      const __m512 xv = x_vector(x, Entries::columns(w, b, p, count, scratch), count);
      acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(first_lanes(count * R), w.values + p * R), xv, acc);
      std::swap(acc, other);
    }
    // Fold lane l onto l ^ 8, ^ 4, ^ 2, ^ 1 until the R row sums are left in lanes 0 .. R.
    __m512 t = _mm512_maskz_add_ps(kAll, acc, other);
    if constexpr (R <= 8) t = _mm512_maskz_add_ps(kAll, t, _mm512_maskz_shuffle_f32x4(kAll, t, t, 0x4e));
    if constexpr (R <= 4) t = _mm512_maskz_add_ps(kAll, t, _mm512_maskz_shuffle_f32x4(kAll, t, t, 0xb1));
    if constexpr (R <= 2) t = _mm512_maskz_add_ps(kAll, t, _mm512_maskz_permute_ps(kAll, t, 0x4e));
    if constexpr (R <= 1) t = _mm512_maskz_add_ps(kAll, t, _mm512_maskz_permute_ps(kAll, t, 0xb1));
    const __m512 bias = params.bias != nullptr ? _mm512_maskz_loadu_ps(first_lanes(R), params.bias + r0) : _mm512_setzero_ps();
    alignas(64) float out[16];
    _mm512_store_ps(out, clamp(_mm512_maskz_add_ps(kAll, t, bias), lo, hi));
    for (std::size_t i = 0; i < R; ++i) y[(r0 + i) * ldy] = out[i];
  }

  static bool run(const F32SparseWeights& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                  std::size_t m_end, const float* x, std::size_t ldx, float* y, std::size_t ldy,
                  const F32SpmmParams& params) {
    const __m512 lo = _mm512_set1_ps(params.min), hi = _mm512_set1_ps(params.max);
    if (m_end - m_begin == 1 && ldx == 1) {
      for (std::size_t r0 = row_begin; r0 < row_end; r0 += R) gemv(w, r0, x + m_begin, y + m_begin, ldy, params, lo, hi);
      return false;
    }
    __mmask16 nonfinite = 0;
    for (std::size_t r0 = row_begin; r0 < row_end; r0 += R) {
      std::size_t m0 = m_begin;
      for (; m0 + 16 * kV <= m_end; m0 += 16 * kV) nonfinite |= step<kV>(w, r0, x + m0, ldx, y + m0, ldy, kAll, params, lo, hi);
      for (; m0 < m_end; m0 += 16) nonfinite |= step<1>(w, r0, x + m0, ldx, y + m0, ldy, first_lanes(m_end - m0), params, lo, hi);
    }
    return nonfinite != 0;
  }
};

}  // namespace

F32SpmmFn f32_spmm_64_avx512(F32SpmmFormat format) { return format_kernel<Spmm>(format); }

}  // namespace sparq
