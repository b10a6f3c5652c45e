// AVX-512 f32-conv2d microkernel: 6 output channels x 64 positions (4 zmm).
//
// Register layout (32 zmm): acc[r][v], r < 6, v < 4 (24 accumulators); the 4
// image vectors of the current tap; one broadcast weight. Per tap: 4 image
// loads (one offset apart from the last tap's, from L1) and 6 broadcasts feed
// 24 FMAs, 12 cycles on two FMA ports, with 24 chains to hide the latency.
// Templates over rows (1..6) and vectors (1..4) let short strips and the
// last positions of an image compute only what they store. One call covers
// the strip's whole image.
#include <immintrin.h>

#include <cassert>
#include <cmath>
#include <utility>

#include "f32-conv2d.h"
#include "../common/even-tiles.h"
#include "../shifted-conv/shifted-conv-store-avx512.h"

namespace sparq {
namespace {

constexpr std::size_t kVectors = 4;

// Rows [0, R) x vectors [v0, v0 + V) of the strip.
template <std::size_t R, std::size_t V>
void tile(const F32Conv2dTile& t, std::size_t v0, bool clamp) {
  __m512 acc[R][V];
#pragma GCC unroll 8
  for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (std::size_t v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
  const float* w = t.strip;
  const float* x0 = t.x[0] + v0 * 16;
  for (std::size_t k = 0; k < t.taps; ++k, w += kF32Conv2dMr) {
    const float* x = x0 + t.offsets[k];
    __m512 xv[V];
#pragma GCC unroll 4
    for (std::size_t v = 0; v < V; ++v) xv[v] = _mm512_loadu_ps(x + v * 16);
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) {
      const __m512 wr = _mm512_set1_ps(w[r]);
#pragma GCC unroll 4
      for (std::size_t v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(wr, xv[v], acc[r][v]);
    }
  }
  // A local copy: the stores cannot alias it, so its fields stay in registers.
  const ConvTileOutput out = t.out[0];
#pragma GCC unroll 8
  for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (std::size_t v = 0; v < V; ++v) shifted_store(out, r, v0 + v, acc[r][v], clamp);
}

// I small images of V vectors each (I x V <= 4): rows [0, R) x all their vectors.
template <std::size_t R, std::size_t V, std::size_t I>
void images_tile(const F32Conv2dTile& t, bool clamp) {
  __m512 acc[R][I * V];
#pragma GCC unroll 8
  for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (std::size_t j = 0; j < I * V; ++j) acc[r][j] = _mm512_setzero_ps();
  const float* w = t.strip;
  for (std::size_t k = 0; k < t.taps; ++k, w += kF32Conv2dMr) {
    __m512 xv[I * V];
#pragma GCC unroll 4
    for (std::size_t j = 0; j < I * V; ++j) xv[j] = _mm512_loadu_ps(t.x[j / V] + t.offsets[k] + j % V * 16);
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) {
      const __m512 wr = _mm512_set1_ps(w[r]);
#pragma GCC unroll 4
      for (std::size_t j = 0; j < I * V; ++j) acc[r][j] = _mm512_fmadd_ps(wr, xv[j], acc[r][j]);
    }
  }
  ConvTileOutput out[I];
#pragma GCC unroll 4
  for (std::size_t i = 0; i < I; ++i) out[i] = t.out[i];
#pragma GCC unroll 8
  for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (std::size_t j = 0; j < I * V; ++j) shifted_store(out[j / V], r, j % V, acc[r][j], clamp);
}

// The strip over all its vectors, in tiles of at most kVectors.
template <std::size_t R>
void strip(const F32Conv2dTile& t, bool clamp) {
  if (t.images > 1) {
    // vectors x images <= 4: 1 x 2..4 or 2 x 2.
    if (t.vectors == 2) return images_tile<R, 2, 2>(t, clamp);
    switch (t.images) {
      case 4: return images_tile<R, 1, 4>(t, clamp);
      case 3: return images_tile<R, 1, 3>(t, clamp);
      default: return images_tile<R, 1, 2>(t, clamp);
    }
  }
  for_even_tiles(t.vectors, kVectors, [&](std::size_t v, std::size_t size) {
    switch (size) {
      case 4: return tile<R, 4>(t, v, clamp);
      case 3: return tile<R, 3>(t, v, clamp);
      case 2: return tile<R, 2>(t, v, clamp);
      default: return tile<R, 1>(t, v, clamp);
    }
  });
}

template <std::size_t... I>
void dispatch(std::index_sequence<I...>, const F32Conv2dTile& t, bool clamp) {
  using StripFn = void (*)(const F32Conv2dTile&, bool);
  static constexpr StripFn kStrips[kF32Conv2dMr] = {&strip<I + 1>...};
  kStrips[t.rows - 1](t, clamp);
}

}  // namespace

void f32_conv2d_6x64_avx512(const F32Conv2dTile& t) {
  assert(t.rows >= 1 && t.rows <= kF32Conv2dMr);
  dispatch(std::make_index_sequence<kF32Conv2dMr>{}, t, t.out[0].min > -INFINITY || t.out[0].max < INFINITY);
}

}  // namespace sparq
