// NEON f32-spmm: one kernel body, Spmm<R, Entries>, for every format (see
// f32-spmm-entries.h). Per block row of R output rows:
// - 4 * V columns per step with R x V q accumulators (csr: V = 8, 32
//   columns; blocks: V = 16 / R, so 16 accumulators): each entry's X row is
//   loaded once as V vectors and feeds R * V FMAs, its R weights loaded as
//   R / 4 vectors and taken by lane (fmla by element);
// - then 4 columns at a time, and the last 1-3 through lane loads and stores
//   (NEON has no masked ones);
// - a single contiguous column (M = 1, the GEMV case): csr multiplies 4
//   entries' weights (contiguous) by X at their 4 columns, picked up one by
//   one (there is no gather), folded to one sum at the end; blocks multiply
//   each entry's R contiguous weights by its X value broadcast.
// The bias seeds the accumulators; the clamp runs once per stored vector.
// Every sum step stores is also multiplied by 0 (NaN exactly for Inf and
// NaN) and added to a probe that step returns, for run's answer (the GEMV
// path does not look: there the driver checks X itself).
#include <arm_neon.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "f32-spmm-entries.h"
#include "f32-spmm.h"
#include "../common/unrolled.h"

namespace sparq {
namespace {

// v < lo ? lo : v, then v > hi ? hi : v: the scalar variant's clamp
// (std::max/std::min), NaN kept.
float32x4_t clamp(float32x4_t v, float32x4_t lo, float32x4_t hi) {
  v = vbslq_f32(vcltq_f32(v, lo), lo, v);
  return vbslq_f32(vcgtq_f32(v, hi), hi, v);
}

// p[0, n), 0 < n < 4, and zeros.
float32x4_t load_partial(const float* p, std::size_t n) {
  float32x4_t v = vld1q_lane_f32(p, vdupq_n_f32(0.0f), 0);
  if (n > 1) v = vld1q_lane_f32(p + 1, v, 1);
  if (n > 2) v = vld1q_lane_f32(p + 2, v, 2);
  return v;
}

void store_partial(float* p, float32x4_t v, std::size_t n) {
  vst1q_lane_f32(p, v, 0);
  if (n > 1) vst1q_lane_f32(p + 1, v, 1);
  if (n > 2) vst1q_lane_f32(p + 2, v, 2);
}

template <std::size_t R, typename Entries>
struct Spmm {
  static_assert(R == 1 || R == 4 || R == 8, "block rows with a kernel: 1, 4, 8");
  static constexpr std::size_t kV = R == 1 ? 8 : 16 / R;  // vectors of 4 columns per step

  // Rows r0 .. r0 + R of y, columns [0, 4 * V) of x and y, or with kPartial
  // (V = 1) only the first `count` < 4.
  template <std::size_t V, bool kPartial>
  static float32x4_t step(const F32SparseWeights& w, std::size_t r0, const float* x, std::size_t ldx, float* y,
                          std::size_t ldy, std::size_t count, const F32SpmmParams& params, float32x4_t lo,
                          float32x4_t hi) {
    float32x4_t acc[R][V];
#pragma GCC unroll 8
    for (std::size_t i = 0; i < R; ++i) {
      const float32x4_t bias = vdupq_n_f32(params.bias != nullptr ? params.bias[r0 + i] : 0.0f);
#pragma GCC unroll 8
      for (std::size_t v = 0; v < V; ++v) acc[i][v] = bias;
    }
    Entries::template each<1>(w, r0 / R, [&](std::size_t k, std::size_t p, auto) {
      const float* xr = x + k * ldx;
      float32x4_t xv[V];
#pragma GCC unroll 8
      for (std::size_t v = 0; v < V; ++v) xv[v] = kPartial ? load_partial(xr, count) : vld1q_f32(xr + 4 * v);
      const float* wv = w.values + p * R;
      if constexpr (R == 1) {
#pragma GCC unroll 8
        for (std::size_t v = 0; v < V; ++v) acc[0][v] = vfmaq_n_f32(acc[0][v], xv[v], wv[0]);
      } else {
        float32x4_t wq[R / 4];
#pragma GCC unroll 2
        for (std::size_t j = 0; j < R / 4; ++j) wq[j] = vld1q_f32(wv + 4 * j);
        unrolled(
            [&](auto i) {
#pragma GCC unroll 8
              for (std::size_t v = 0; v < V; ++v) acc[i][v] = vfmaq_laneq_f32(acc[i][v], xv[v], wq[i / 4], i % 4);
            },
            std::make_index_sequence<R>{});
      }
    });
    float32x4_t probe = vdupq_n_f32(0.0f);
    const float32x4_t zero = vdupq_n_f32(0.0f);
#pragma GCC unroll 8
    for (std::size_t i = 0; i < R; ++i)
#pragma GCC unroll 8
      for (std::size_t v = 0; v < V; ++v) {
        probe = vaddq_f32(probe, vmulq_f32(acc[i][v], zero));
        float* yr = y + (r0 + i) * ldy + 4 * v;
        if (kPartial) store_partial(yr, clamp(acc[i][v], lo, hi), count);
        else vst1q_f32(yr, clamp(acc[i][v], lo, hi));
      }
    return probe;
  }

  // y[r0 .. r0 + R] for a contiguous X vector (M = 1, ldx = 1).
  static void gemv(const F32SparseWeights& w, std::size_t r0, const float* x, float* y, std::size_t ldy,
                   const F32SpmmParams& params, float32x4_t lo, float32x4_t hi) {
    const std::size_t b = r0 / R;
    if constexpr (R == 1) {
      const std::size_t end = Entries::end(w, b);
      // Two accumulators alternate, so consecutive FMAs do not wait on each other.
      float32x4_t acc = vdupq_n_f32(0.0f), other = acc;
      int32_t scratch[16];
      for (std::size_t p = Entries::begin(w, b); p < end; p += 4) {
        const std::size_t count = std::min<std::size_t>(4, end - p);
        const int32_t* columns = Entries::columns(w, b, p, count, scratch);
        float picked[4] = {};
        for (std::size_t i = 0; i < count; ++i) picked[i] = x[columns[i]];
        const float32x4_t wv = count == 4 ? vld1q_f32(w.values + p) : load_partial(w.values + p, count);
        acc = vfmaq_f32(acc, wv, vld1q_f32(picked));
        std::swap(acc, other);
      }
      float sum = vaddvq_f32(vaddq_f32(acc, other)) + (params.bias != nullptr ? params.bias[r0] : 0.0f);
      // The clamp of the other paths, on one value.
      sum = sum < params.min ? params.min : sum;
      y[r0 * ldy] = sum > params.max ? params.max : sum;
    } else {
      // Per entry: its R weights (R / 4 vectors) times its X value broadcast;
      // two accumulator sets alternate entries.
      float32x4_t acc[2][R / 4];
#pragma GCC unroll 2
      for (std::size_t j = 0; j < R / 4; ++j) acc[0][j] = acc[1][j] = vdupq_n_f32(0.0f);
      Entries::template each<2>(w, b, [&](std::size_t k, std::size_t p, auto s) {
        const float32x4_t xv = vld1q_dup_f32(x + k);
#pragma GCC unroll 2
        for (std::size_t j = 0; j < R / 4; ++j) acc[s][j] = vfmaq_f32(acc[s][j], vld1q_f32(w.values + p * R + 4 * j), xv);
      });
#pragma GCC unroll 2
      for (std::size_t j = 0; j < R / 4; ++j) {
        float32x4_t sum = vaddq_f32(acc[0][j], acc[1][j]);
        if (params.bias != nullptr) sum = vaddq_f32(sum, vld1q_f32(params.bias + r0 + 4 * j));
        float out[4];
        vst1q_f32(out, clamp(sum, lo, hi));
        for (std::size_t i = 0; i < 4; ++i) y[(r0 + 4 * j + i) * ldy] = out[i];
      }
    }
  }

  static bool run(const F32SparseWeights& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                  std::size_t m_end, const float* x, std::size_t ldx, float* y, std::size_t ldy,
                  const F32SpmmParams& params) {
    const float32x4_t lo = vdupq_n_f32(params.min), hi = vdupq_n_f32(params.max);
    if (m_end - m_begin == 1 && ldx == 1) {
      for (std::size_t r0 = row_begin; r0 < row_end; r0 += R) gemv(w, r0, x + m_begin, y + m_begin, ldy, params, lo, hi);
      return false;
    }
    float32x4_t probe = vdupq_n_f32(0.0f);
    for (std::size_t r0 = row_begin; r0 < row_end; r0 += R) {
      std::size_t m0 = m_begin;
      for (; m0 + 4 * kV <= m_end; m0 += 4 * kV)
        probe = vaddq_f32(probe, step<kV, false>(w, r0, x + m0, ldx, y + m0, ldy, 4, params, lo, hi));
      for (; m0 + 4 <= m_end; m0 += 4)
        probe = vaddq_f32(probe, step<1, false>(w, r0, x + m0, ldx, y + m0, ldy, 4, params, lo, hi));
      if (m0 < m_end)
        probe = vaddq_f32(probe, step<1, true>(w, r0, x + m0, ldx, y + m0, ldy, m_end - m0, params, lo, hi));
    }
    // A lane is NaN iff some stored sum was Inf or NaN (0 x finite = +-0).
    return vmaxvq_u32(vmvnq_u32(vceqq_f32(probe, probe))) != 0;
  }
};

}  // namespace

F32SpmmFn f32_spmm_32_neon(F32SpmmFormat format) { return format_kernel<Spmm>(format); }

}  // namespace sparq
