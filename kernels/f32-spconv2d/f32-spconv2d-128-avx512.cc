// AVX-512 f32-spconv2d microkernels: one output channel (CSR), its
// positions 128 at a time (8 zmm); and blocks of 4 channels, up to 96
// positions at a time (f32_spconv2d_128_avx512_rows4).
//
// Per entry: one broadcast weight, 8 image loads at the entry's offset, 8
// FMAs into 8 accumulators, 8 chains to cover the FMA latency. Images of
// fewer than 8 vectors (a 6x6 map has 2) split the entries over 2 or 4
// partial sums (f32_spconv2d_chains), or 2 chains would wait on latency. A template over the vector count (1..7) serves the last
// positions of an image. One call covers the channel's whole row: with 2-3
// entries per channel (a pruned first layer), per-call costs outweighed the FMAs.
#include <immintrin.h>

#include <cassert>
#include <cmath>
#include <utility>

#include "f32-spconv2d.h"
#include "../common/even-tiles.h"
#include "../shifted-conv/shifted-conv-store-avx512.h"

namespace sparq {
namespace {

constexpr std::size_t kVectors = 8;

// acc[v] += w * x[v * 16 ...] for V vectors.
template <std::size_t V>
inline void accumulate(__m512 (&acc)[V], const float* x, float w) {
  const __m512 wv = _mm512_set1_ps(w);
#pragma GCC unroll 8
  for (std::size_t v = 0; v < V; ++v) acc[v] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + v * 16), acc[v]);
}

// Vectors [v0, v0 + V) of the row, entry e summed in chain e % P.
template <std::size_t V, std::size_t P>
void tile(const F32SpConv2dTile& t, std::size_t v0, bool clamp) {
  __m512 acc[P][V];
#pragma GCC unroll 4
  for (std::size_t p = 0; p < P; ++p)
#pragma GCC unroll 8
    for (std::size_t v = 0; v < V; ++v) acc[p][v] = _mm512_setzero_ps();
  const float* x0 = t.x + v0 * 16;
  std::size_t e = 0;
  for (; e + P <= t.entries; e += P)
#pragma GCC unroll 4
    for (std::size_t p = 0; p < P; ++p) accumulate(acc[p], x0 + t.offsets[e + p], t.values[e + p]);
  for (std::size_t p = 0; e < t.entries; ++e, ++p) accumulate(acc[p], x0 + t.offsets[e], t.values[e]);
  // (s0 + s1) + (s2 + s3), as f32_spconv2d_chains documents.
  if constexpr (P == 4)
#pragma GCC unroll 8
    for (std::size_t v = 0; v < V; ++v) acc[0][v] = _mm512_add_ps(_mm512_add_ps(acc[0][v], acc[1][v]), _mm512_add_ps(acc[2][v], acc[3][v]));
  if constexpr (P == 2)
#pragma GCC unroll 8
    for (std::size_t v = 0; v < V; ++v) acc[0][v] = _mm512_add_ps(acc[0][v], acc[1][v]);
  // A local copy: the stores cannot alias it, so its fields stay in registers.
  const ConvTileOutput out = t.out;
#pragma GCC unroll 8
  for (std::size_t v = 0; v < V; ++v) shifted_store(out, 0, v0 + v, acc[0][v], clamp);
}

template <std::size_t P, std::size_t... I>
void tail(std::index_sequence<I...>, const F32SpConv2dTile& t, std::size_t v0, bool clamp) {
  using TileFn = void (*)(const F32SpConv2dTile&, std::size_t, bool);
  static constexpr TileFn kTiles[] = {&tile<I + 1, P>...};
  kTiles[t.vectors - v0 - 1](t, v0, clamp);
}

template <std::size_t P>
void row(const F32SpConv2dTile& t, bool clamp) {
  std::size_t v = 0;
  for (; v + kVectors <= t.vectors; v += kVectors) tile<kVectors, P>(t, v, clamp);
  if (v < t.vectors) tail<P>(std::make_index_sequence<kVectors - 1>{}, t, v, clamp);
}

// Block rows of 4 channels, vectors [v0, v0 + V): per entry, V image loads
// feed 4V FMAs (one per channel), so a block entry costs about as much as 4
// dense taps of one channel, FMA-bound like the dense kernel.
template <std::size_t V>
void block_tile(const F32SpConv2dTile& t, std::size_t v0, bool clamp) {
  __m512 acc[4][V];
#pragma GCC unroll 4
  for (std::size_t r = 0; r < 4; ++r)
#pragma GCC unroll 6
    for (std::size_t v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
  const float* x0 = t.x + v0 * 16;
  for (std::size_t e = 0; e < t.entries; ++e) {
    const float* x = x0 + t.offsets[e];
    const float* w = t.values + 4 * e;
    __m512 xv[V];
#pragma GCC unroll 6
    for (std::size_t v = 0; v < V; ++v) xv[v] = _mm512_loadu_ps(x + v * 16);
#pragma GCC unroll 4
    for (std::size_t r = 0; r < 4; ++r) {
      const __m512 wr = _mm512_set1_ps(w[r]);
#pragma GCC unroll 6
      for (std::size_t v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(wr, xv[v], acc[r][v]);
    }
  }
  const ConvTileOutput out = t.out;  // kept in registers, as in tile()
  // Unrolled to the 4 rows with a guard, so acc stays in registers.
#pragma GCC unroll 4
  for (std::size_t r = 0; r < 4; ++r) {
    if (r >= t.rows) break;
#pragma GCC unroll 6
    for (std::size_t v = 0; v < V; ++v) shifted_store(out, r, v0 + v, acc[r][v], clamp);
  }
}

}  // namespace

void f32_spconv2d_128_avx512_rows4(const F32SpConv2dTile& t) {
  const bool clamp = t.out.min > -INFINITY || t.out.max < INFINITY;
  // Tiles of up to 6 vectors (24 accumulators).
  for_even_tiles(t.vectors, 6, [&](std::size_t v, std::size_t size) {
    switch (size) {
      case 6: return block_tile<6>(t, v, clamp);
      case 5: return block_tile<5>(t, v, clamp);
      case 4: return block_tile<4>(t, v, clamp);
      case 3: return block_tile<3>(t, v, clamp);
      case 2: return block_tile<2>(t, v, clamp);
      default: return block_tile<1>(t, v, clamp);
    }
  });
}

void f32_spconv2d_128_avx512(const F32SpConv2dTile& t) {
  const bool clamp = t.out.min > -INFINITY || t.out.max < INFINITY;
  switch (f32_spconv2d_chains(t.vectors)) {
    case 1: return row<1>(t, clamp);
    case 2: return row<2>(t, clamp);
    default: return row<4>(t, clamp);
  }
}

}  // namespace sparq
