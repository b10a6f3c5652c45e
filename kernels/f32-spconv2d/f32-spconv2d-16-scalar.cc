// Portable f32-spconv2d microkernels: one output channel (or a block of 4),
// one vector of 16 positions at a time. Entry order, partial sums (f32_spconv2d_chains) and a
// fused multiply-add per entry, as the AVX-512 kernel does, so both give the
// same float results.
#include <cmath>

#include "f32-spconv2d.h"

namespace sparq {

void f32_spconv2d_16_scalar(const F32SpConv2dTile& t) {
  const std::size_t chains = f32_spconv2d_chains(t.vectors);
  for (std::size_t v = 0; v < t.vectors; ++v) {
    float acc[4][16] = {};
    for (std::size_t e = 0; e < t.entries; ++e) {
      const float* x = t.x + v * 16 + t.offsets[e];
      float* s = acc[e % chains];
      for (std::size_t lane = 0; lane < 16; ++lane) s[lane] = std::fma(t.values[e], x[lane], s[lane]);
    }
    for (std::size_t lane = 0; lane < 16; ++lane) {
      if (chains == 4) acc[0][lane] = (acc[0][lane] + acc[1][lane]) + (acc[2][lane] + acc[3][lane]);
      if (chains == 2) acc[0][lane] = acc[0][lane] + acc[1][lane];
    }
    shifted_store_lanes(t.out, 0, v, acc[0]);
  }
}

void f32_spconv2d_16_scalar_rows4(const F32SpConv2dTile& t) {
  for (std::size_t v = 0; v < t.vectors; ++v) {
    float acc[4][16] = {};
    for (std::size_t e = 0; e < t.entries; ++e) {
      const float* x = t.x + v * 16 + t.offsets[e];
      for (std::size_t r = 0; r < 4; ++r)
        for (std::size_t lane = 0; lane < 16; ++lane) acc[r][lane] = std::fma(t.values[4 * e + r], x[lane], acc[r][lane]);
    }
    for (std::size_t r = 0; r < t.rows; ++r) shifted_store_lanes(t.out, r, v, acc[r]);
  }
}

}  // namespace sparq
