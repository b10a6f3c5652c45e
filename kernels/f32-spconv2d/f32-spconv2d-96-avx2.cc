// AVX2 + FMA f32-spconv2d microkernels, for x86 CPUs without AVX-512: one
// output channel (CSR), its positions up to 96 at a time (6 vectors of 16,
// 12 ymm); and blocks of 4 channels, 16 positions at a time
// (f32_spconv2d_96_avx2_rows4).
//
// CSR, per entry: one broadcast weight, then one FMA per ymm with the image
// load as its memory operand, so 12 accumulators + the broadcast fit the 16
// ymm with room to spare. One load per FMA (two per cycle) keeps this
// load-bound, as on AVX-512. Images of fewer than 8 vectors split the
// entries over 2 or 4 partial sums (f32_spconv2d_chains, the order every
// variant sums in), which takes registers from the tile: 2 x 3 vectors or
// 4 x 1 vector (8-12 accumulators). One call covers the channel's whole row:
// with 2-3 entries per channel (a pruned first layer), per-call costs
// outweighed the FMAs.
#include <immintrin.h>

#include <cassert>
#include <cmath>

#include "f32-spconv2d.h"
#include "../common/even-tiles.h"
#include "../shifted-conv/shifted-conv-store-avx2.h"

namespace sparq {
namespace {

// acc[h] += w * x[h * 8 ...] for the 2V ymm halves of V vectors.
template <std::size_t V>
inline void accumulate(__m256 (&acc)[2 * V], const float* x, float w) {
  const __m256 wv = _mm256_set1_ps(w);
#pragma GCC unroll 12
  for (std::size_t h = 0; h < 2 * V; ++h) acc[h] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + h * 8), acc[h]);
}

// Vectors [v0, v0 + V) of the row, entry e summed in chain e % P.
template <std::size_t V, std::size_t P>
void tile(const F32SpConv2dTile& t, std::size_t v0, bool clamp) {
  __m256 acc[P][2 * V];
#pragma GCC unroll 4
  for (std::size_t p = 0; p < P; ++p)
#pragma GCC unroll 12
    for (std::size_t h = 0; h < 2 * V; ++h) acc[p][h] = _mm256_setzero_ps();
  const float* x0 = t.x + v0 * 16;
  std::size_t e = 0;
  for (; e + P <= t.entries; e += P)
#pragma GCC unroll 4
    for (std::size_t p = 0; p < P; ++p) accumulate<V>(acc[p], x0 + t.offsets[e + p], t.values[e + p]);
  for (std::size_t p = 0; e < t.entries; ++e, ++p) accumulate<V>(acc[p], x0 + t.offsets[e], t.values[e]);
  // (s0 + s1) + (s2 + s3), as f32_spconv2d_chains documents.
  if constexpr (P == 4)
#pragma GCC unroll 12
    for (std::size_t h = 0; h < 2 * V; ++h) acc[0][h] = _mm256_add_ps(_mm256_add_ps(acc[0][h], acc[1][h]), _mm256_add_ps(acc[2][h], acc[3][h]));
  if constexpr (P == 2)
#pragma GCC unroll 12
    for (std::size_t h = 0; h < 2 * V; ++h) acc[0][h] = _mm256_add_ps(acc[0][h], acc[1][h]);
  // A local copy: the stores cannot alias it, so its fields stay in registers.
  const ConvTileOutput out = t.out;
#pragma GCC unroll 6
  for (std::size_t v = 0; v < V; ++v) shifted_store(out, 0, v0 + v, acc[0][2 * v], acc[0][2 * v + 1], clamp);
}

// The row in even tiles of at most 12 / (2P) vectors (12 accumulators; 8 for P = 4).
template <std::size_t P>
void row(const F32SpConv2dTile& t, bool clamp) {
  constexpr std::size_t kMax = P == 1 ? 6 : P == 2 ? 3 : 1;
  for_even_tiles(t.vectors, kMax, [&](std::size_t v, std::size_t size) {
    if constexpr (kMax >= 6)
      if (size == 6) return tile<6, P>(t, v, clamp);
    if constexpr (kMax >= 5)
      if (size == 5) return tile<5, P>(t, v, clamp);
    if constexpr (kMax >= 4)
      if (size == 4) return tile<4, P>(t, v, clamp);
    if constexpr (kMax >= 3)
      if (size == 3) return tile<3, P>(t, v, clamp);
    if constexpr (kMax >= 2)
      if (size == 2) return tile<2, P>(t, v, clamp);
    return tile<1, P>(t, v, clamp);
  });
}

}  // namespace

// Block rows of 4 channels, one vector at a time: per entry, 2 image loads
// and 4 broadcasts feed 8 FMAs into 8 accumulators (4 cycles on two FMA
// ports), FMA-bound like the dense kernel. Two vectors would need 16
// accumulators.
void f32_spconv2d_96_avx2_rows4(const F32SpConv2dTile& t) {
  assert(t.rows >= 1 && t.rows <= 4);
  const bool clamp = t.out.min > -INFINITY || t.out.max < INFINITY;
  const ConvTileOutput out = t.out;  // kept in registers, as in tile()
  for (std::size_t v = 0; v < t.vectors; ++v) {
    __m256 lo[4], hi[4];
#pragma GCC unroll 4
    for (std::size_t r = 0; r < 4; ++r) lo[r] = hi[r] = _mm256_setzero_ps();
    const float* x0 = t.x + v * 16;
    for (std::size_t e = 0; e < t.entries; ++e) {
      const float* x = x0 + t.offsets[e];
      const float* w = t.values + 4 * e;
      const __m256 xlo = _mm256_loadu_ps(x), xhi = _mm256_loadu_ps(x + 8);
#pragma GCC unroll 4
      for (std::size_t r = 0; r < 4; ++r) {
        const __m256 wr = _mm256_broadcast_ss(w + r);
        lo[r] = _mm256_fmadd_ps(wr, xlo, lo[r]);
        hi[r] = _mm256_fmadd_ps(wr, xhi, hi[r]);
      }
    }
    // Unrolled to the 4 rows with a guard, so the accumulators stay in registers.
#pragma GCC unroll 4
    for (std::size_t r = 0; r < 4; ++r) {
      if (r >= t.rows) break;
      shifted_store(out, r, v, lo[r], hi[r], clamp);
    }
  }
}

void f32_spconv2d_96_avx2(const F32SpConv2dTile& t) {
  const bool clamp = t.out.min > -INFINITY || t.out.max < INFINITY;
  switch (f32_spconv2d_chains(t.vectors)) {
    case 1: return row<1>(t, clamp);
    case 2: return row<2>(t, clamp);
    default: return row<4>(t, clamp);
  }
}

}  // namespace sparq
