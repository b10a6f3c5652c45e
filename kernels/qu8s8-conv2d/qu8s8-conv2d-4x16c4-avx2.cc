// AVX2 qu8s8-conv2d microkernel (no 8-bit dot products): one block row of 4
// channels, one 16-position vector (two ymm halves of 8 positions) at a time,
// exact in int32 for any int8 weights.
//
// vpmaddubsw (u8 x s8 pairs into a saturating int16) is exact only for 7-bit
// weights, and quantized conv weights usually span [-127, 127]; so by
// default each image word (4 channels of one position) is split into int16
// pairs,
//   even = word & 0x00FF00FF  (channels 0, 2)    odd = word >> 8 per int16  (1, 3)
// and vpmaddwd against the block row's weights split the same way
// (Qu8s8Conv2dWeights::pairs: (w0, w2), (w1, w3)) sums
//   b0 * w0 + b2 * w2  and  b1 * w1 + b3 * w3
// per 32-bit lane, so two multiplies and two adds give one position's
// 4-channel dot product in its own lane (|sum| < 2^17 per entry, exact),
// with no horizontal add at the end.
//
// Narrow weights (all in [-64, 64], t.narrow) take vpmaddubsw on the image
// word and the weight word directly, (b0 w0 + b1 w1, b2 w2 + b3 w3) in int16
// (|pair| <= 2 x 255 x 64 = 32640: no saturation), then vpmaddwd by 1 into
// int32: 2 multiplies and 1 add per half and row instead of 2 and 2, and no
// splitting (24 ALU ops per entry and vector instead of 36).
//
// Registers: 8 accumulators (4 rows x 2 halves), the even and odd halves of
// both image loads (4), one row's two weight broadcasts: 14 of 16 ymm, so
// one vector per tile; the weights are broadcast from memory per entry (a
// load port op, not an ALU one). Per entry and vector: 2 loads, 4 splitting
// ops, 8 broadcasts, 16 vpmaddwd and 16 vpaddd for 256 multiply-adds.
#include <immintrin.h>

#include <cstdint>

#include "qu8s8-conv2d.h"
#include "../shifted-conv/shifted-conv-store-avx2.h"

namespace sparq {
namespace {

// Adds entry e's products for the 4 rows to acc (positions at x, the first H halves).
template <std::size_t H>
inline void entry_exact(const uint8_t* x, const int32_t* pairs, __m256i (&acc)[4][2]) {
  const __m256i low_bytes = _mm256_set1_epi16(0x00FF);
  __m256i even[H], odd[H];
#pragma GCC unroll 2
  for (std::size_t h = 0; h < H; ++h) {
    const __m256i words = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32 * h));
    even[h] = _mm256_and_si256(words, low_bytes);
    odd[h] = _mm256_srli_epi16(words, 8);
  }
#pragma GCC unroll 4
  for (std::size_t r = 0; r < 4; ++r) {
    const __m256i w_even = _mm256_set1_epi32(pairs[2 * r]), w_odd = _mm256_set1_epi32(pairs[2 * r + 1]);
#pragma GCC unroll 2
    for (std::size_t h = 0; h < H; ++h)
      acc[r][h] = _mm256_add_epi32(acc[r][h], _mm256_add_epi32(_mm256_madd_epi16(even[h], w_even), _mm256_madd_epi16(odd[h], w_odd)));
  }
}

// The same for weights in [-64, 64] (see the top of the file).
template <std::size_t H>
inline void entry_narrow(const uint8_t* x, const int32_t* words, __m256i (&acc)[4][2]) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i pixels[H];
#pragma GCC unroll 2
  for (std::size_t h = 0; h < H; ++h) pixels[h] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32 * h));
#pragma GCC unroll 4
  for (std::size_t r = 0; r < 4; ++r) {
    const __m256i w = _mm256_set1_epi32(words[r]);
#pragma GCC unroll 2
    for (std::size_t h = 0; h < H; ++h)
      acc[r][h] = _mm256_add_epi32(acc[r][h], _mm256_madd_epi16(_mm256_maddubs_epi16(pixels[h], w), ones));
  }
}

// All entries of vector v, its first H halves.
template <bool kNarrow, std::size_t H>
inline void accumulate(const Qu8s8Conv2dTile& t, std::size_t v, __m256i (&acc)[4][2]) {
  const uint8_t* x0 = t.x + v * 64;
  for (std::size_t e = 0; e < t.entries; ++e) {
    const uint8_t* x = x0 + static_cast<std::size_t>(t.offsets[e]) * 4;
    if (kNarrow)
      entry_narrow<H>(x, t.words + 4 * e, acc);
    else
      entry_exact<H>(x, t.pairs + 8 * e, acc);
  }
}

template <bool kNarrow>
void run(const Qu8s8Conv2dTile& t) {
  const ConvTileOutput out = t.out;  // a local: the stores cannot alias it
  for (std::size_t v = 0; v < t.vectors; ++v) {
    // Packed stores keep the lanes of masks[v] only: a vector with none is
    // skipped, and one whose kept lanes all lie in its first half (often an
    // image's last: a 6x6 map's 22 positions) computes only that half.
    const uint32_t keep = out.positions ? 0xFFFF : out.masks[v];
    if (keep == 0) continue;
    __m256i acc[4][2];
#pragma GCC unroll 4
    for (std::size_t r = 0; r < 4; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    if (keep >> 8 != 0)
      accumulate<kNarrow, 2>(t, v, acc);
    else
      accumulate<kNarrow, 1>(t, v, acc);
    // Unrolled to the 4 rows with a guard: a loop to t.rows would index acc
    // at run time and keep it in memory.
#pragma GCC unroll 4
    for (std::size_t r = 0; r < 4; ++r) {
      if (r >= t.rows) break;
      const __m256i correction = _mm256_set1_epi32(t.correction[r]);
      shifted_store_i32(out, r, v, _mm256_sub_epi32(acc[r][0], correction), _mm256_sub_epi32(acc[r][1], correction));
    }
  }
}

}  // namespace

void qu8s8_conv2d_4x16c4_avx2(const Qu8s8Conv2dTile& t) { t.narrow ? run<true>(t) : run<false>(t); }

}  // namespace sparq
