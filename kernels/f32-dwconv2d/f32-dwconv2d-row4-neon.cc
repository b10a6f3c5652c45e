// NEON f32-dwconv2d plane of K x K kernels (3 or 5) at stride_w S (1 or 2):
// per output row, 4 outputs per vector across the interior columns, the K*K
// weights in registers (25 of the 32 for 5x5), the last 1-3 interior
// outputs and the border columns by the shared portable code.
//
// Stride 2: the 4 outputs of tap j read the even columns of p[0..6]
// (p = row + 2*ow - PL + j): a = p[0..3], b = p[3..6] rotated to
// p4 p5 p6 p3, and uzp1(a, b) = p0 p2 p4 p6, so no load reaches past the
// last column the window uses (vld2q would read p[7]).
#include <arm_neon.h>

#include "f32-dwconv2d.h"

namespace sparq {
namespace {

constexpr std::size_t kV = 4;

template <std::size_t S>
float32x4_t load(const float* p) {
  if constexpr (S == 1) {
    return vld1q_f32(p);
  } else {
    const float32x4_t b = vld1q_f32(p + 3);
    return vuzp1q_f32(vld1q_f32(p), vextq_f32(b, b, 1));
  }
}

template <std::size_t K, std::size_t S>
void plane(const DwConv2dPlane& p) {
  const DwConv2dShape& s = *p.shape;
  float32x4_t w[K * K];
  for (std::size_t t = 0; t < K * K; t++) w[t] = vdupq_n_f32(p.w[t]);
  const float32x4_t bias = vdupq_n_f32(p.bias), lo = vdupq_n_f32(p.min), hi = vdupq_n_f32(p.max);
  const float* rows[K];
  for (std::size_t oh = 0; oh < s.out_h; oh++) {
    f32_dwconv2d_rows(p, oh, rows);
    float* y = p.y + oh * s.out_w;
    f32_dwconv2d_columns(p, rows, 0, p.lo, y);
    std::size_t ow = p.lo;
    for (; ow + kV <= p.hi; ow += kV) {
      const std::size_t x0 = ow * S - s.pad_left;
      // Two accumulators (even and odd kernel rows) halve the chain of dependent FMAs.
      float32x4_t acc[2] = {bias, p.accumulate ? vld1q_f32(y + ow) : vdupq_n_f32(0.0f)};
#pragma GCC unroll 5
      for (std::size_t i = 0; i < K; i++) {
#pragma GCC unroll 5
        for (std::size_t j = 0; j < K; j++) acc[i % 2] = vfmaq_f32(acc[i % 2], load<S>(rows[i] + x0 + j), w[i * K + j]);
      }
      vst1q_f32(y + ow, vminq_f32(vmaxq_f32(vaddq_f32(acc[0], acc[1]), lo), hi));
    }
    f32_dwconv2d_columns(p, rows, ow, s.out_w, y);
  }
}

}  // namespace

void f32_dwconv2d_row4_neon(const DwConv2dPlane& p) {
  const std::size_t k = p.shape->kernel_w, stride = p.shape->stride_w;
  if (k == 3) return stride == 1 ? plane<3, 1>(p) : plane<3, 2>(p);
  return stride == 1 ? plane<5, 1>(p) : plane<5, 2>(p);
}

}  // namespace sparq
