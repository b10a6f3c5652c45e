// AVX-512 f32-spconv2d microkernel: one output channel, its positions 128
// at a time (8 zmm).
//
// Per entry: one broadcast weight, 8 image loads at the entry's offset, 8
// FMAs into 8 accumulators. The loads (two 512-bit per cycle) pace it at
// about one FMA per cycle, half the dense peak; 8 chains cover the FMA
// latency. A template over the vector count (1..7) serves the last
// positions of an image. One call covers the channel's whole row: with 2-3
// entries per channel (a pruned first layer), per-call costs outweighed the FMAs.
#include <immintrin.h>

#include <cassert>
#include <cmath>
#include <utility>

#include "f32-spconv2d.h"
#include "../common/shifted-conv-store-avx512.h"

namespace sparq {
namespace {

constexpr std::size_t kVectors = 8;

// Vectors [v0, v0 + V) of the row.
template <std::size_t V>
void tile(const F32SpConv2dTile& t, std::size_t v0, bool clamp) {
  __m512 acc[V];
#pragma GCC unroll 8
  for (std::size_t v = 0; v < V; ++v) acc[v] = _mm512_setzero_ps();
  const float* x0 = t.x + v0 * 16;
  for (std::size_t e = 0; e < t.entries; ++e) {
    const float* x = x0 + t.offsets[e];
    const __m512 w = _mm512_set1_ps(t.values[e]);
#pragma GCC unroll 8
    for (std::size_t v = 0; v < V; ++v) acc[v] = _mm512_fmadd_ps(w, _mm512_loadu_ps(x + v * 16), acc[v]);
  }
#pragma GCC unroll 8
  for (std::size_t v = 0; v < V; ++v) shifted_store(t.out, 0, v0 + v, acc[v], clamp);
}

template <std::size_t... I>
void tail(std::index_sequence<I...>, const F32SpConv2dTile& t, std::size_t v0, bool clamp) {
  using TileFn = void (*)(const F32SpConv2dTile&, std::size_t, bool);
  static constexpr TileFn kTiles[] = {&tile<I + 1>...};
  kTiles[t.vectors - v0 - 1](t, v0, clamp);
}

}  // namespace

void f32_spconv2d_128_avx512(const F32SpConv2dTile& t) {
  const bool clamp = t.out.min > -INFINITY || t.out.max < INFINITY;
  std::size_t v = 0;
  for (; v + kVectors <= t.vectors; v += kVectors) tile<kVectors>(t, v, clamp);
  if (v < t.vectors) tail(std::make_index_sequence<kVectors - 1>{}, t, v, clamp);
}

}  // namespace sparq
