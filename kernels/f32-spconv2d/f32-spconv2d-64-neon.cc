// NEON f32-spconv2d microkernels: one output channel (CSR), its positions
// 64 at a time (4 vectors of 16 = 16 q); and blocks of 4 channels, 16
// positions at a time (f32_spconv2d_64_neon_rows4).
//
// CSR, per entry: one weight (fmla by element from a scalar register), 16
// image loads at the entry's offset, 16 FMAs into 16 accumulators. Images
// of fewer than 8 vectors split the entries over 2 or 4 partial sums
// (f32_spconv2d_chains): tiles of up to 2 vectors for 2 sums, 1 vector for
// 4, so the accumulators stay within 16 q (24 spilled). A template over the vector count
// serves the last positions of an image. One call covers the channel's
// whole row, as the AVX-512 kernel does.
//
// Entry order, partial sums and a fused multiply-add per entry as the
// scalar kernel, so every variant gives the same float results.
#include <arm_neon.h>

#include <cassert>
#include <cmath>
#include <type_traits>
#include <utility>

#include "f32-spconv2d.h"
#include "../common/even-tiles.h"
#include "../shifted-conv/shifted-conv-store-neon.h"
#include "../common/unrolled.h"

namespace sparq {
namespace {

// acc[v][q] += w * x[v * 16 + 4q ...] for V vectors.
template <std::size_t V>
[[gnu::always_inline]] inline void accumulate(float32x4_t (&acc)[V][4], const float* x, float w) {
#pragma GCC unroll 8
  for (std::size_t v = 0; v < V; ++v)
#pragma GCC unroll 4
    for (std::size_t q = 0; q < 4; ++q) acc[v][q] = vfmaq_n_f32(acc[v][q], vld1q_f32(x + 16 * v + 4 * q), w);
}

// Vectors [v0, v0 + V) of the row, entry e summed in chain e % P.
template <std::size_t V, std::size_t P>
void tile(const F32SpConv2dTile& t, std::size_t v0, bool clamp) {
  float32x4_t acc[P][V][4];
#pragma GCC unroll 4
  for (std::size_t p = 0; p < P; ++p)
#pragma GCC unroll 8
    for (std::size_t v = 0; v < V; ++v)
#pragma GCC unroll 4
      for (std::size_t q = 0; q < 4; ++q) acc[p][v][q] = vdupq_n_f32(0.0f);
  const float* x0 = t.x + v0 * 16;
  std::size_t e = 0;
  for (; e + P <= t.entries; e += P)
    unrolled([&](auto p) { accumulate(acc[p], x0 + t.offsets[e + p], t.values[e + p]); }, std::make_index_sequence<P>{});
  // The last entries, e % P = 0, 1, ...: unrolled with a guard so acc keeps constant indices.
  unrolled(
      [&](auto p) {
        if (p + 1 < P && e + p < t.entries) accumulate(acc[p], x0 + t.offsets[e + p], t.values[e + p]);
      },
      std::make_index_sequence<P>{});
  // (s0 + s1) + (s2 + s3), as f32_spconv2d_chains documents.
#pragma GCC unroll 8
  for (std::size_t v = 0; v < V; ++v)
#pragma GCC unroll 4
    for (std::size_t q = 0; q < 4; ++q) {
      if constexpr (P == 4) acc[0][v][q] = vaddq_f32(vaddq_f32(acc[0][v][q], acc[1][v][q]), vaddq_f32(acc[2][v][q], acc[3][v][q]));
      if constexpr (P == 2) acc[0][v][q] = vaddq_f32(acc[0][v][q], acc[1][v][q]);
    }
  // A local copy: the stores cannot alias it, so its fields stay in registers.
  const ConvTileOutput out = t.out;
#pragma GCC unroll 8
  for (std::size_t v = 0; v < V; ++v) shifted_store(out, 0, v0 + v, acc[0][v][0], acc[0][v][1], acc[0][v][2], acc[0][v][3], clamp);
}

// The row's vectors in even tiles of at most kMax (P partial sums each).
template <std::size_t P>
void row(const F32SpConv2dTile& t, bool clamp) {
  constexpr std::size_t kMax = 4 / P;
  for_even_tiles(t.vectors, kMax, [&](std::size_t v, std::size_t size) {
    if constexpr (kMax == 4) {
      if (size == 4) return tile<4, P>(t, v, clamp);
      if (size == 3) return tile<3, P>(t, v, clamp);
    }
    if constexpr (kMax >= 2) if (size == 2) return tile<2, P>(t, v, clamp);
    tile<1, P>(t, v, clamp);
  });
}

// Block rows of 4 channels, one vector v: per entry, 4 image loads feed 16
// FMAs (the entry's 4 weights in one q, taken by lane), FMA-bound like the
// dense kernel.
void block_tile(const F32SpConv2dTile& t, std::size_t v0, bool clamp) {
  float32x4_t acc[4][4];
#pragma GCC unroll 4
  for (std::size_t r = 0; r < 4; ++r)
#pragma GCC unroll 4
    for (std::size_t q = 0; q < 4; ++q) acc[r][q] = vdupq_n_f32(0.0f);
  const float* x0 = t.x + v0 * 16;
  for (std::size_t e = 0; e < t.entries; ++e) {
    const float* x = x0 + t.offsets[e];
    const float32x4_t w = vld1q_f32(t.values + 4 * e);
    float32x4_t xv[4];
#pragma GCC unroll 4
    for (std::size_t q = 0; q < 4; ++q) xv[q] = vld1q_f32(x + 4 * q);
    unrolled(
        [&](auto r) {
#pragma GCC unroll 4
          for (std::size_t q = 0; q < 4; ++q) acc[r][q] = vfmaq_laneq_f32(acc[r][q], xv[q], w, r);
        },
        std::make_index_sequence<4>{});
  }
  const ConvTileOutput out = t.out;  // kept in registers, as in tile()
  // Unrolled to the 4 rows with a guard, so acc stays in registers.
#pragma GCC unroll 4
  for (std::size_t r = 0; r < 4; ++r) {
    if (r >= t.rows) break;
    shifted_store(out, r, v0, acc[r][0], acc[r][1], acc[r][2], acc[r][3], clamp);
  }
}

}  // namespace

void f32_spconv2d_64_neon_rows4(const F32SpConv2dTile& t) {
  const bool clamp = t.out.min > -INFINITY || t.out.max < INFINITY;
  for (std::size_t v = 0; v < t.vectors; ++v) block_tile(t, v, clamp);
}

void f32_spconv2d_64_neon(const F32SpConv2dTile& t) {
  const bool clamp = t.out.min > -INFINITY || t.out.max < INFINITY;
  switch (f32_spconv2d_chains(t.vectors)) {
    case 1: return row<1>(t, clamp);
    case 2: return row<2>(t, clamp);
    default: return row<4>(t, clamp);
  }
}

}  // namespace sparq
