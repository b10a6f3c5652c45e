// AVX2 + FMA f32-conv2d microkernel: 6 output channels x 16 positions (one
// vector of the image, 2 ymm), for x86 CPUs without AVX-512 (Zen 1-3, Intel
// client cores).
//
// Register layout (16 ymm): acc[r][h], r < 6, h < 2 (12 accumulators); the 2
// halves of the current tap's image vector; one broadcast weight. Per tap: 2
// image loads and 6 broadcasts (loads too, 8 of the 2-3 per cycle) feed 12
// FMAs, 6 cycles on two FMA ports, with 12 chains to cover a 4-5 cycle
// latency. A wider tile does not fit: 6 x 3 ymm needs 18 accumulators, and
// 4 x 3 would split the 6-channel strips every variant shares. Images too
// small to fill a tile gain nothing from being computed together here (one
// vector is already a whole tile), so each image of a call runs on its own.
// A template over rows (1..6) lets a short strip compute only what it
// stores. Same tap order and one fused multiply-add per tap as the scalar
// variant, so both give the same float results.
#include <immintrin.h>

#include <cassert>
#include <cmath>
#include <utility>

#include "f32-conv2d.h"
#include "../shifted-conv/shifted-conv-store-avx2.h"

namespace sparq {
namespace {

// Rows [0, R) of the strip over every vector of image i.
template <std::size_t R>
void strip(const F32Conv2dTile& t, std::size_t i, bool clamp) {
  // A local copy: the stores cannot alias it, so its fields stay in registers.
  const ConvTileOutput out = t.out[i];
  const float* image = t.x[i];
  for (std::size_t v = 0; v < t.vectors; ++v) {
    __m256 lo[R], hi[R];
#pragma GCC unroll 6
    for (std::size_t r = 0; r < R; ++r) lo[r] = hi[r] = _mm256_setzero_ps();
    const float* w = t.strip;
    const float* x0 = image + v * 16;
    for (std::size_t k = 0; k < t.taps; ++k, w += kF32Conv2dMr) {
      const float* x = x0 + t.offsets[k];
      const __m256 xlo = _mm256_loadu_ps(x), xhi = _mm256_loadu_ps(x + 8);
#pragma GCC unroll 6
      for (std::size_t r = 0; r < R; ++r) {
        const __m256 wr = _mm256_broadcast_ss(w + r);
        lo[r] = _mm256_fmadd_ps(wr, xlo, lo[r]);
        hi[r] = _mm256_fmadd_ps(wr, xhi, hi[r]);
      }
    }
#pragma GCC unroll 6
    for (std::size_t r = 0; r < R; ++r) shifted_store(out, r, v, lo[r], hi[r], clamp);
  }
}

template <std::size_t... I>
void dispatch(std::index_sequence<I...>, const F32Conv2dTile& t, std::size_t i, bool clamp) {
  using StripFn = void (*)(const F32Conv2dTile&, std::size_t, bool);
  static constexpr StripFn kStrips[kF32Conv2dMr] = {&strip<I + 1>...};
  kStrips[t.rows - 1](t, i, clamp);
}

}  // namespace

void f32_conv2d_6x16_avx2(const F32Conv2dTile& t) {
  assert(t.rows >= 1 && t.rows <= kF32Conv2dMr);
  const bool clamp = t.out[0].min > -INFINITY || t.out[0].max < INFINITY;
  for (std::size_t i = 0; i < t.images; ++i) dispatch(std::make_index_sequence<kF32Conv2dMr>{}, t, i, clamp);
}

}  // namespace sparq
