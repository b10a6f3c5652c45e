// NEON f32-nonfinite: acc = acc + x * 0 stays +0 for finite x and becomes NaN
// (for good) at the first Inf or NaN: one FMLA per vector, four accumulators
// to cover its latency, 16 values per iteration, then 4, then a zero-padded
// tail (zeros are finite).
#include <arm_neon.h>

#include <cstring>

#include "f32-nonfinite.h"

namespace sparq {

bool f32_nonfinite_neon(std::size_t n, const float* x, float* copy) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  float32x4_t a0 = zero, a1 = zero, a2 = zero, a3 = zero;
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const float32x4_t v0 = vld1q_f32(x + i), v1 = vld1q_f32(x + i + 4);
    const float32x4_t v2 = vld1q_f32(x + i + 8), v3 = vld1q_f32(x + i + 12);
    if (copy != nullptr) {
      vst1q_f32(copy + i, v0), vst1q_f32(copy + i + 4, v1);
      vst1q_f32(copy + i + 8, v2), vst1q_f32(copy + i + 12, v3);
    }
    a0 = vfmaq_f32(a0, v0, zero), a1 = vfmaq_f32(a1, v1, zero);
    a2 = vfmaq_f32(a2, v2, zero), a3 = vfmaq_f32(a3, v3, zero);
  }
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    if (copy != nullptr) vst1q_f32(copy + i, v);
    a0 = vfmaq_f32(a0, v, zero);
  }
  if (i < n) {
    float tail[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    std::memcpy(tail, x + i, (n - i) * sizeof(float));
    if (copy != nullptr) std::memcpy(copy + i, x + i, (n - i) * sizeof(float));
    a1 = vfmaq_f32(a1, vld1q_f32(tail), zero);
  }
  const float32x4_t acc = vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3));
  // A lane equals itself unless it is NaN.
  return vminvq_u32(vceqq_f32(acc, acc)) == 0;
}

}  // namespace sparq
