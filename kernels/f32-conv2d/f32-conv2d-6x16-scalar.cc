// Portable f32-conv2d microkernel: up to 6 output channels, one vector of 16
// positions at a time, in plain loops (the compiler may vectorize the lanes). Sums in
// tap order with a fused multiply-add per tap, as the AVX-512 kernel does, so
// both give the same float results.
#include <cassert>
#include <cmath>

#include "f32-conv2d.h"

namespace sparq {

void f32_conv2d_6x16_scalar(const F32Conv2dTile& t) {
  assert(t.rows >= 1 && t.rows <= kF32Conv2dMr);
  for (std::size_t i = 0; i < t.images; ++i)
  for (std::size_t v = 0; v < t.vectors; ++v) {
    float acc[kF32Conv2dMr][16] = {};
    for (std::size_t k = 0; k < t.taps; ++k) {
      const float* x = t.x[i] + v * 16 + t.offsets[k];
      for (std::size_t r = 0; r < t.rows; ++r) {
        const float w = t.strip[k * kF32Conv2dMr + r];
        for (std::size_t lane = 0; lane < 16; ++lane) acc[r][lane] = std::fma(w, x[lane], acc[r][lane]);
      }
    }
    for (std::size_t r = 0; r < t.rows; ++r) shifted_store_lanes(t.out[i], r, v, acc[r]);
  }
}

}  // namespace sparq
