// NEON dot-product qu8s8-conv2d microkernel (Armv8.2 FEAT_DotProd): one
// block row of 4 channels, one 16-position vector at a time, exact in int32
// for any int8 weights.
//
// Per entry: 4 loads of 4 positions x 4 channels, the entry's 4 row words as
// one 16-byte load, and 16 sdots (4 rows x 4 quarters, each taking its row's
// word by element: 16 multiply-adds apiece). 16 accumulators, 4 image
// vectors and the words: a second vector per tile would need 32
// accumulators.
//
// sdot is signed x signed and the image is uint8, so the kernel multiplies
// x' = x ^ 0x80 = x - 128 as int8 (one eor per load) and adds back
//   sum w * x = sum w * x' + 128 * rowsum(w)
// per row, rowsum over the tile's entries taken once per call (one sdot
// per entry against ones), folded with the zero-point correction.
#include <arm_neon.h>

#include <cstdint>
#include <type_traits>

#include "qu8s8-conv2d.h"
#include "qu8s8-conv2d-store-neon.h"

namespace sparq {
namespace {

template <int R>
using Row = std::integral_constant<int, R>;

}  // namespace

void qu8s8_conv2d_4x16c4_neondot(const Qu8s8Conv2dTile& t) {
  const uint8x16_t flip = vdupq_n_u8(0x80);
  // Lane r: the sum of row r's weights over the tile's entries.
  int32x4_t sums = vdupq_n_s32(0);
  for (std::size_t e = 0; e < t.entries; ++e) sums = vdotq_s32(sums, vld1q_s8(reinterpret_cast<const int8_t*>(t.words + 4 * e)), vdupq_n_s8(1));
  int32_t back[4];
  vst1q_s32(back, vshlq_n_s32(sums, 7));  // 128 * rowsum, modulo 2^32
  int32_t adjust[4];
  for (std::size_t r = 0; r < t.rows; ++r)
    adjust[r] = static_cast<int32_t>(static_cast<uint32_t>(back[r]) - static_cast<uint32_t>(t.correction[r]));
  const ConvTileOutput out = t.out;  // a local: the stores cannot alias it
  for (std::size_t v = 0; v < t.vectors; ++v) {
    int32x4_t acc[4][4];
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r)
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) acc[r][q] = vdupq_n_s32(0);
    const uint8_t* x0 = t.x + v * 64;
    for (std::size_t e = 0; e < t.entries; ++e) {
      const uint8_t* x = x0 + static_cast<std::size_t>(t.offsets[e]) * 4;
      const int8x16_t w4 = vld1q_s8(reinterpret_cast<const int8_t*>(t.words + 4 * e));
      int8x16_t xv[4];
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) xv[q] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(x + 16 * q), flip));
      auto row = [&](auto r) {
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q) acc[r][q] = vdotq_laneq_s32(acc[r][q], xv[q], w4, decltype(r)::value);
      };
      row(Row<0>{});
      row(Row<1>{});
      row(Row<2>{});
      row(Row<3>{});
    }
    // Unrolled to the 4 rows with a guard: a loop to t.rows would index acc
    // at run time and keep it in memory.
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
      if (static_cast<std::size_t>(r) >= t.rows) break;
      const int32x4_t a = vdupq_n_s32(adjust[r]);
#pragma GCC unroll 4
      for (int q = 0; q < 4; ++q) qconv_store_quarter(out, r, v, q, vaddq_s32(acc[r][q], a));
    }
  }
}

}  // namespace sparq
