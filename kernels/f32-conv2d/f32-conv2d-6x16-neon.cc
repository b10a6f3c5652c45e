// NEON f32-conv2d microkernel: 6 output channels x 16 positions (4 q).
//
// Register layout (32 q): acc[r][q], r < 6, q < 4 (24 accumulators); the 4
// image quarters of the current tap; the tap's 6 weights in one q (channels
// 0-3) and one d (channels 4-5), each FMA taking its weight by lane (fmla
// by element), so a tap costs 4 image loads and 2 weight loads for 24 FMAs.
// Strips of 1 or 2 channels take 4 or 2 vectors per tile, so each tap still
// feeds 16 FMAs (2 channels x 3 vectors spilled: a tap's image quarters are
// all loaded before its FMAs).
//
// Sums in tap order with one fused multiply-add per tap, as the scalar and
// AVX-512 kernels do, so every variant gives the same float results.
#include <arm_neon.h>

#include <cassert>
#include <cmath>
#include <type_traits>
#include <utility>

#include "f32-conv2d.h"
#include "../common/even-tiles.h"
#include "../shifted-conv/shifted-conv-store-neon.h"
#include "../common/unrolled.h"

namespace sparq {
namespace {

// Vectors per tile for an R-channel strip: accumulators and image quarters within 32 q.
constexpr std::size_t vectors_for(std::size_t rows) { return rows == 1 ? 4 : rows == 2 ? 2 : 1; }

// Rows [0, R) x vectors [v0, v0 + V) of image i.
template <std::size_t R, std::size_t V>
void tile(const F32Conv2dTile& t, std::size_t i, std::size_t v0, bool clamp) {
  float32x4_t acc[R][V][4];
#pragma GCC unroll 8
  for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (std::size_t v = 0; v < V; ++v)
#pragma GCC unroll 8
      for (std::size_t q = 0; q < 4; ++q) acc[r][v][q] = vdupq_n_f32(0.0f);
  const float* w = t.strip;
  const float* x0 = t.x[i] + v0 * 16;
  for (std::size_t k = 0; k < t.taps; ++k, w += kF32Conv2dMr) {
    const float* x = x0 + t.offsets[k];
    float32x4_t xv[V][4];
#pragma GCC unroll 8
    for (std::size_t v = 0; v < V; ++v)
#pragma GCC unroll 8
      for (std::size_t q = 0; q < 4; ++q) xv[v][q] = vld1q_f32(x + 16 * v + 4 * q);
    const float32x4_t w03 = vld1q_f32(w);
    const float32x2_t w45 = vld1_f32(w + 4);
    unrolled(
        [&](auto r) {
#pragma GCC unroll 8
          for (std::size_t v = 0; v < V; ++v)
#pragma GCC unroll 8
            for (std::size_t q = 0; q < 4; ++q) {
              if constexpr (r < 4) acc[r][v][q] = vfmaq_laneq_f32(acc[r][v][q], xv[v][q], w03, r);
              else acc[r][v][q] = vfmaq_lane_f32(acc[r][v][q], xv[v][q], w45, r - 4);
            }
        },
        std::make_index_sequence<R>{});
  }
  // A local copy: the stores cannot alias it, so its fields stay in registers.
  const ConvTileOutput out = t.out[i];
#pragma GCC unroll 8
  for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (std::size_t v = 0; v < V; ++v) shifted_store(out, r, v0 + v, acc[r][v][0], acc[r][v][1], acc[r][v][2], acc[r][v][3], clamp);
}

// The strip over every vector of every image, in tiles of at most vectors_for(R).
template <std::size_t R>
void strip(const F32Conv2dTile& t, bool clamp) {
  constexpr std::size_t kMax = vectors_for(R);
  for (std::size_t i = 0; i < t.images; ++i)
    for_even_tiles(t.vectors, kMax, [&](std::size_t v, std::size_t size) {
      if constexpr (kMax == 4) {
        if (size == 4) return tile<R, 4>(t, i, v, clamp);
        if (size == 3) return tile<R, 3>(t, i, v, clamp);
      }
      if constexpr (kMax >= 2) if (size == 2) return tile<R, 2>(t, i, v, clamp);
      tile<R, 1>(t, i, v, clamp);
    });
}

template <std::size_t... I>
void dispatch(std::index_sequence<I...>, const F32Conv2dTile& t, bool clamp) {
  using StripFn = void (*)(const F32Conv2dTile&, bool);
  static constexpr StripFn kStrips[kF32Conv2dMr] = {&strip<I + 1>...};
  kStrips[t.rows - 1](t, clamp);
}

}  // namespace

void f32_conv2d_6x16_neon(const F32Conv2dTile& t) {
  assert(t.rows >= 1 && t.rows <= kF32Conv2dMr);
  dispatch(std::make_index_sequence<kF32Conv2dMr>{}, t, t.out[0].min > -INFINITY || t.out[0].max < INFINITY);
}

}  // namespace sparq
