// AVX-512 f32-spconv2d microkernel: one output channel x 128 positions (8 zmm).
//
// Per entry: one broadcast weight, 8 image loads at the entry's offset, 8
// FMAs into 8 accumulators. The loads (two 512-bit per cycle) pace it at
// about one FMA per cycle, half the dense peak; 8 chains cover the FMA
// latency. A template over the vector count (1..8) serves the last
// positions of an image.
#include <immintrin.h>

#include <cassert>
#include <cmath>
#include <utility>

#include "f32-spconv2d.h"
#include "../common/shifted-conv-store-avx512.h"

namespace sparq {
namespace {

template <std::size_t V>
void tile(const F32SpConv2dTile& t) {
  __m512 acc[V];
#pragma GCC unroll 8
  for (std::size_t v = 0; v < V; ++v) acc[v] = _mm512_setzero_ps();
  for (std::size_t e = 0; e < t.entries; ++e) {
    const float* x = t.x + t.offsets[e];
    const __m512 w = _mm512_set1_ps(t.values[e]);
#pragma GCC unroll 8
    for (std::size_t v = 0; v < V; ++v) acc[v] = _mm512_fmadd_ps(w, _mm512_loadu_ps(x + v * 16), acc[v]);
  }
  const bool clamp = t.out.min > -INFINITY || t.out.max < INFINITY;
#pragma GCC unroll 8
  for (std::size_t v = 0; v < V; ++v) shifted_store(t.out, 0, v, acc[v], clamp);
}

template <std::size_t... I>
void dispatch(std::index_sequence<I...>, const F32SpConv2dTile& t) {
  using TileFn = void (*)(const F32SpConv2dTile&);
  static constexpr TileFn kTiles[] = {&tile<I + 1>...};
  kTiles[t.vectors - 1](t);
}

}  // namespace

void f32_spconv2d_128_avx512(const F32SpConv2dTile& t) {
  assert(t.vectors >= 1 && t.vectors <= 8);
  dispatch(std::make_index_sequence<8>{}, t);
}

}  // namespace sparq
