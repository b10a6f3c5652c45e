// AVX-512 VNNI qu8s8-conv2d microkernel: one block row of 4 channels, up to
// 96 positions (6 zmm) at a time.
//
// Per entry: V loads of 16 positions x 4 channels, 4 broadcast weight words,
// 4V vpdpbusd (64 multiply-adds each, exact in int32): 4 times the products
// of an FMA per instruction. Tiles as even as possible over the image's
// vectors, as the float kernels do.
#include <immintrin.h>

#include <cstdint>

#include "qu8s8-conv2d.h"
#include "../common/even-tiles.h"
#include "../shifted-conv/shifted-conv-store-avx512.h"

namespace sparq {
namespace {

template <std::size_t V>
void tile(const Qu8s8Conv2dTile& t, std::size_t v0) {
  __m512i acc[4][V];
#pragma GCC unroll 4
  for (std::size_t r = 0; r < 4; ++r)
#pragma GCC unroll 6
    for (std::size_t v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_si512();
  const uint8_t* x0 = t.x + v0 * 64;
  for (std::size_t e = 0; e < t.entries; ++e) {
    const uint8_t* x = x0 + static_cast<std::size_t>(t.offsets[e]) * 4;
    __m512i xv[V];
#pragma GCC unroll 6
    for (std::size_t v = 0; v < V; ++v) xv[v] = _mm512_loadu_si512(x + v * 64);
#pragma GCC unroll 4
    for (std::size_t r = 0; r < 4; ++r) {
      const __m512i w = _mm512_set1_epi32(t.words[4 * e + r]);
#pragma GCC unroll 6
      for (std::size_t v = 0; v < V; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], xv[v], w);
    }
  }
  const ConvTileOutput out = t.out;  // a local: the stores cannot alias it
  // Unrolled to the 4 rows with a guard: a loop to t.rows would index acc at
  // run time and keep it in memory.
#pragma GCC unroll 4
  for (std::size_t r = 0; r < 4; ++r) {
    if (r >= t.rows) break;
    const __m512i correction = _mm512_set1_epi32(t.correction[r]);
#pragma GCC unroll 6
    for (std::size_t v = 0; v < V; ++v) shifted_store_i32(out, r, v0 + v, _mm512_sub_epi32(acc[r][v], correction));
  }
}

}  // namespace

void qu8s8_conv2d_4x96c4_avx512vnni(const Qu8s8Conv2dTile& t) {
  for_even_tiles(t.vectors, 6, [&](std::size_t v, std::size_t size) {
    switch (size) {
      case 6: return tile<6>(t, v);
      case 5: return tile<5>(t, v);
      case 4: return tile<4>(t, v);
      case 3: return tile<3>(t, v);
      case 2: return tile<2>(t, v);
      default: return tile<1>(t, v);
    }
  });
}

}  // namespace sparq
