// NEON f32-minmax: four min and four max accumulators over 16 values per
// iteration, then 4, then a NaN-padded tail. Each step is the scalar
// `x < acc ? x : acc` as a compare and a bit select: FMIN would make the
// accumulator NaN at the first NaN, and FMINNM, which skips quiet NaNs, still
// turns a signalling NaN into a NaN result. The accumulators start at +-inf
// and only ever take non-NaN values, so the final reductions may use plain
// FMIN/FMAX. A zero result is returned as +0 (see the header).
#include <arm_neon.h>

#include <cassert>
#include <cmath>
#include <cstring>

#include "f32-minmax.h"

namespace sparq {
namespace {

inline float32x4_t min_step(float32x4_t x, float32x4_t acc) { return vbslq_f32(vcltq_f32(x, acc), x, acc); }
inline float32x4_t max_step(float32x4_t x, float32x4_t acc) { return vbslq_f32(vcgtq_f32(x, acc), x, acc); }

}  // namespace

void f32_minmax_neon(std::size_t n, const float* x, float* min, float* max) {
  assert(min != nullptr && max != nullptr);
  float32x4_t lo0 = vdupq_n_f32(INFINITY), lo1 = lo0, lo2 = lo0, lo3 = lo0;
  float32x4_t hi0 = vdupq_n_f32(-INFINITY), hi1 = hi0, hi2 = hi0, hi3 = hi0;
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const float32x4_t a = vld1q_f32(x + i), b = vld1q_f32(x + i + 4);
    const float32x4_t c = vld1q_f32(x + i + 8), d = vld1q_f32(x + i + 12);
    lo0 = min_step(a, lo0), hi0 = max_step(a, hi0);
    lo1 = min_step(b, lo1), hi1 = max_step(b, hi1);
    lo2 = min_step(c, lo2), hi2 = max_step(c, hi2);
    lo3 = min_step(d, lo3), hi3 = max_step(d, hi3);
  }
  for (; i + 4 <= n; i += 4) {
    const float32x4_t a = vld1q_f32(x + i);
    lo0 = min_step(a, lo0), hi0 = max_step(a, hi0);
  }
  if (i < n) {
    // NaN padding is skipped by the steps, like NaN inputs.
    float tail[4] = {NAN, NAN, NAN, NAN};
    std::memcpy(tail, x + i, (n - i) * sizeof(float));
    const float32x4_t a = vld1q_f32(tail);
    lo1 = min_step(a, lo1), hi1 = max_step(a, hi1);
  }
  const float lo = vminvq_f32(vminq_f32(vminq_f32(lo0, lo1), vminq_f32(lo2, lo3)));
  const float hi = vmaxvq_f32(vmaxq_f32(vmaxq_f32(hi0, hi1), vmaxq_f32(hi2, hi3)));
  *min = lo == 0.0f ? 0.0f : lo;
  *max = hi == 0.0f ? 0.0f : hi;
}

}  // namespace sparq
