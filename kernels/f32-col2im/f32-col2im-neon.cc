// NEON col2im: the loops of f32-col2im-loops.h with runs added 4 floats at a
// time, the last 1-3 one by one.
#include <arm_neon.h>

#include "f32-col2im-loops.h"

namespace sparq {
namespace {

struct NeonAdd {
  static void add(float* dst, const float* src, std::size_t n) {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(dst + i, vaddq_f32(vld1q_f32(dst + i), vld1q_f32(src + i)));
    for (; i < n; i++) dst[i] += src[i];
  }
};

}  // namespace

void f32_nhwc_col2im_neon(const Im2colShape& s, const float* col, std::size_t ldc, float* image) {
  col2im_nhwc<NeonAdd>(s, col, ldc, image);
}

}  // namespace sparq
