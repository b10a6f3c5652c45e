// NEON f32-gemm microkernel, 5 rows x 16 columns (one packed panel).
//
// Register layout (32 q):
//   acc[r][q]  r = 0..4, q = 0..3   accumulators: row r, columns 4q..4q+3 (20 regs)
//   av[r]      r = 0..4             A[r][k..k+3]: 4 values of K per row  (5 regs)
//   bq                              4 panel columns of one k              (1-4 regs)
// Per 4 values of K: 5 A loads and 16 panel loads feed 80 FMAs, each taking
// its A value by lane (fmla by element), so A needs no broadcasts. 20
// independent chains cover the FMA latency on 2-4 pipes. 6 rows (24
// accumulators + 6 A) would fit the 32 registers only exactly, and GCC 12
// spilled about 20 values per 4 K there.
//
// Rows past mr alias row mr - 1 (same A row, same C row): the duplicate rows
// compute and store exactly the values of row mr - 1, so the full tile always
// runs. Columns past nr go through a 16-float buffer on every C and bias
// access (NEON has no masked loads or stores).
//
// A single row (mr == 1, GEMV-like calls) takes its own loop: it is bound by
// reading B, and the 5-row loop would spend its FMAs on aliased rows.
#include <arm_neon.h>

#include <cassert>
#include <cstring>
#include <type_traits>
#include <utility>

#include "f32-gemm.h"
#include "../common/unrolled.h"

namespace sparq {
namespace {

// The 16 columns of one C row (or bias), the first nr of them real. A row
// is stored from 4 q values passed by value: an accumulator array whose
// address escapes into a call is kept in memory by GCC, stored back on every k.
struct Columns {
  std::size_t nr;

  void load(const float* p, float32x4_t (&q)[4]) const {
    float partial[kF32GemmNr] = {};
    if (nr != kF32GemmNr) p = static_cast<const float*>(std::memcpy(partial, p, nr * sizeof(float)));
#pragma GCC unroll 4
    for (std::size_t i = 0; i < 4; ++i) q[i] = vld1q_f32(p + 4 * i);
  }
  void store(float* p, float32x4_t q0, float32x4_t q1, float32x4_t q2, float32x4_t q3) const {
    float partial[kF32GemmNr];
    float* out = nr == kF32GemmNr ? p : partial;
    vst1q_f32(out, q0);
    vst1q_f32(out + 4, q1);
    vst1q_f32(out + 8, q2);
    vst1q_f32(out + 12, q3);
    if (out != p) std::memcpy(p, partial, nr * sizeof(float));
  }
};

// x < min ? min : x, then x > max ? max : x, the scalar variant's clamp:
// NaN passes through.
float32x4_t clamp(float32x4_t x, float32x4_t vmin, float32x4_t vmax) {
  x = vbslq_f32(vcltq_f32(x, vmin), vmin, x);
  return vbslq_f32(vcgtq_f32(x, vmax), vmax, x);
}

// Adds C (accumulate), then on the last K block the bias (when there is
// one) and the clamp, and stores R rows, the last one first: an aliased row
// stores the same values as row mr - 1. Inlined, so acc stays in registers.
template <std::size_t R>
[[gnu::always_inline]] inline void finish(const Columns& cols, float32x4_t (&acc)[R][4], float* const (&out)[R],
                                          bool accumulate, bool last, const float* bias, float min, float max) {
  if (accumulate) {
#pragma GCC unroll 5
    for (std::size_t r = 0; r < R; ++r) {
      float32x4_t old[4];
      cols.load(out[r], old);
#pragma GCC unroll 4
      for (std::size_t q = 0; q < 4; ++q) acc[r][q] = vaddq_f32(old[q], acc[r][q]);
    }
  }
  if (last) {
    if (bias != nullptr) {
      float32x4_t b[4];
      cols.load(bias, b);
#pragma GCC unroll 5
      for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (std::size_t q = 0; q < 4; ++q) acc[r][q] = vaddq_f32(acc[r][q], b[q]);
    }
    const float32x4_t vmin = vdupq_n_f32(min), vmax = vdupq_n_f32(max);
#pragma GCC unroll 5
    for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (std::size_t q = 0; q < 4; ++q) acc[r][q] = clamp(acc[r][q], vmin, vmax);
  }
#pragma GCC unroll 5
  for (std::size_t i = 0; i < R; ++i) {
    const std::size_t r = R - 1 - i;
    cols.store(out[r], acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
  }
}

void gemv_1x16(const Columns& cols, std::size_t kc, const float* a, const float* panel, float* c, bool accumulate,
               bool last, const float* bias, float min, float max) {
  // Four partial sums over k mod 4 break the FMA latency chain (16 regs).
  float32x4_t s[4][4];
#pragma GCC unroll 4
  for (std::size_t j = 0; j < 4; ++j)
#pragma GCC unroll 4
    for (std::size_t q = 0; q < 4; ++q) s[j][q] = vdupq_n_f32(0.0f);
  std::size_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    const float32x4_t av = vld1q_f32(a + k);
    unrolled(
        [&](auto j) {
          const float* b = panel + (k + j) * kF32GemmNr;
#pragma GCC unroll 4
          for (std::size_t q = 0; q < 4; ++q) s[j][q] = vfmaq_laneq_f32(s[j][q], vld1q_f32(b + 4 * q), av, j);
        },
        std::make_index_sequence<4>{});
  }
  for (; k < kc; ++k)
#pragma GCC unroll 4
    for (std::size_t q = 0; q < 4; ++q) s[0][q] = vfmaq_n_f32(s[0][q], vld1q_f32(panel + k * kF32GemmNr + 4 * q), a[k]);
  float32x4_t acc[1][4];
#pragma GCC unroll 4
  for (std::size_t q = 0; q < 4; ++q) acc[0][q] = vaddq_f32(vaddq_f32(s[0][q], s[1][q]), vaddq_f32(s[2][q], s[3][q]));
  float* const out[1] = {c};
  finish(cols, acc, out, accumulate, last, bias, min, max);
}

}  // namespace

// A 16-column variant reads a single panel, so it never needs panel_stride.
void f32_gemm_5x16_neon(std::size_t mr, std::size_t nr, std::size_t kc, const float* a, std::size_t lda,
                        const float* panel, std::size_t /*panel_stride*/, float* c, std::size_t ldc,
                        bool accumulate, bool last, const float* bias, float min, float max) {
  constexpr std::size_t kMr = 5;
  assert(mr >= 1 && mr <= kMr);
  assert(nr >= 1 && nr <= kF32GemmNr);
  const Columns cols{nr};
  if (mr == 1) return gemv_1x16(cols, kc, a, panel, c, accumulate, last, bias, min, max);

  const float* rows[kMr];
  float* out[kMr];
  for (std::size_t r = 0; r < kMr; ++r) {
    rows[r] = a + (r < mr ? r : mr - 1) * lda;
    out[r] = c + (r < mr ? r : mr - 1) * ldc;
  }

  float32x4_t acc[kMr][4];
#pragma GCC unroll 5
  for (std::size_t r = 0; r < kMr; ++r)
#pragma GCC unroll 4
    for (std::size_t q = 0; q < 4; ++q) acc[r][q] = vdupq_n_f32(0.0f);

  std::size_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    float32x4_t av[kMr];
#pragma GCC unroll 5
    for (std::size_t r = 0; r < kMr; ++r) av[r] = vld1q_f32(rows[r] + k);
    unrolled(
        [&](auto j) {
          const float* b = panel + (k + j) * kF32GemmNr;
#pragma GCC unroll 4
          for (std::size_t q = 0; q < 4; ++q) {
            const float32x4_t bq = vld1q_f32(b + 4 * q);
#pragma GCC unroll 5
            for (std::size_t r = 0; r < kMr; ++r) acc[r][q] = vfmaq_laneq_f32(acc[r][q], bq, av[r], j);
          }
        },
        std::make_index_sequence<4>{});
  }
  for (; k < kc; ++k) {
    const float* b = panel + k * kF32GemmNr;
#pragma GCC unroll 4
    for (std::size_t q = 0; q < 4; ++q) {
      const float32x4_t bq = vld1q_f32(b + 4 * q);
#pragma GCC unroll 5
      for (std::size_t r = 0; r < kMr; ++r) acc[r][q] = vfmaq_n_f32(acc[r][q], bq, rows[r][k]);
    }
  }
  finish(cols, acc, out, accumulate, last, bias, min, max);
}

}  // namespace sparq
