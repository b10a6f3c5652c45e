// NEON 2x2 stride-2 max pooling of float32 and int32 planes without padding
// (the usual CNN downsampling, and the pool fused into direct convolutions,
// which pools int32 sums), the counterpart of f32-maxpool-2x2s2-avx512.cc.
//
// Per 4 outputs of a row: one ld2 per input row splits 8 values into the
// even and odd columns, then the window in row-major order as
// m = v > m ? v : m from -infinity, the float semantics of f32-maxpool.h
// (NaN never wins; of +0 and -0 the first stays). That is a compare and a
// select: fmax would return NaN, and fmaxnm would not keep the first zero.
// The last 1-3 outputs of a row take the same steps one value at a time.
#include <arm_neon.h>

#include <cmath>
#include <cstdint>

#include "f32-maxpool.h"

namespace sparq {
namespace {

float32x4_t keep_max(float32x4_t v, float32x4_t m) { return vbslq_f32(vcgtq_f32(v, m), v, m); }

float keep_max(float v, float m) { return v > m ? v : m; }

}  // namespace

void f32_maxpool_2x2s2_neon(const MaxPoolShape& s, const float* x, float* y) {
  const float32x4_t lowest = vdupq_n_f32(-INFINITY);
  for (std::size_t p = 0; p < s.planes; p++) {
    const float* plane = x + p * s.height * s.width;
    for (std::size_t oh = 0; oh < s.out_h; oh++, y += s.out_w) {
      const float* r0 = plane + 2 * oh * s.width;
      const float* r1 = r0 + s.width;
      std::size_t ow = 0;
      for (; ow + 4 <= s.out_w; ow += 4) {
        const float32x4x2_t a = vld2q_f32(r0 + 2 * ow), b = vld2q_f32(r1 + 2 * ow);
        float32x4_t m = keep_max(a.val[0], lowest);
        m = keep_max(a.val[1], m);
        m = keep_max(b.val[0], m);
        vst1q_f32(y + ow, keep_max(b.val[1], m));
      }
      for (; ow < s.out_w; ow++) {
        const float* a = r0 + 2 * ow;
        const float* b = r1 + 2 * ow;
        y[ow] = keep_max(b[1], keep_max(b[0], keep_max(a[1], keep_max(a[0], -INFINITY))));
      }
    }
  }
}

void s32_maxpool_2x2s2_neon(const MaxPoolShape& s, const int32_t* x, int32_t* y) {
  for (std::size_t p = 0; p < s.planes; p++) {
    const int32_t* plane = x + p * s.height * s.width;
    for (std::size_t oh = 0; oh < s.out_h; oh++, y += s.out_w) {
      const int32_t* r0 = plane + 2 * oh * s.width;
      const int32_t* r1 = r0 + s.width;
      std::size_t ow = 0;
      for (; ow + 4 <= s.out_w; ow += 4) {
        const int32x4x2_t a = vld2q_s32(r0 + 2 * ow), b = vld2q_s32(r1 + 2 * ow);
        vst1q_s32(y + ow, vmaxq_s32(vmaxq_s32(a.val[0], a.val[1]), vmaxq_s32(b.val[0], b.val[1])));
      }
      for (; ow < s.out_w; ow++) {
        const int32_t* a = r0 + 2 * ow;
        const int32_t* b = r1 + 2 * ow;
        const int32_t top = a[0] > a[1] ? a[0] : a[1], bottom = b[0] > b[1] ? b[0] : b[1];
        y[ow] = top > bottom ? top : bottom;
      }
    }
  }
}

}  // namespace sparq
