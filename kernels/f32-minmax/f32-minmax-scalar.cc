// Portable f32-minmax. `x < lo` is false for NaN, so NaN never replaces a
// running value; a zero result is returned as +0 (see the header).
#include <cassert>
#include <cmath>

#include "f32-minmax.h"

namespace sparq {

void f32_minmax_scalar(std::size_t n, const float* x, float* min, float* max) {
  assert(min != nullptr && max != nullptr);
  float lo = INFINITY, hi = -INFINITY;
  for (std::size_t i = 0; i < n; i++) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  *min = lo == 0.0f ? 0.0f : lo;
  *max = hi == 0.0f ? 0.0f : hi;
}

}  // namespace sparq
