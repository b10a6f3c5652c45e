// quantize_channels_last (f32-qx8-quantize.h): any variant's row quantizer
// on [channels, pixels] tiles of an NCHW float image, the tile's bytes
// interleaved into NHWC. Portable C++: the arithmetic is the variant's, this
// file only moves bytes. The common input edge of a CNN has 3 channels (RGB):
// that interleave runs 16 pixels at a time in 128-bit registers of the base
// ISA (NEON's vst3q stores three rows interleaved; SSE2 widens the pixels to
// RGB0 words with unpacks and squeezes out every fourth byte with 64-bit
// shifts), about 3x the byte loop; the other counts take the byte loop,
// unrolled for up to 4 channels.
#include <algorithm>
#include <cassert>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#endif

#include "f32-qx8-quantize.h"
#include "../common/thread-pool.h"

namespace sparq {
namespace {

constexpr std::size_t kTilePixels = 256;
constexpr std::size_t kTileChannels = 32;
// Elements per task: big enough to amortize the dispatch (as the row kernels' chunks).
constexpr std::size_t kElementsPerTask = 32 * 1024;

// y[p * ldy + c] = tile[c * kTilePixels + p] for p < pixels, c < C.
template <std::size_t C>
void interleave(std::size_t pixels, const uint8_t* tile, uint8_t* y, std::size_t ldy) {
  for (std::size_t p = 0; p < pixels; ++p)
    for (std::size_t c = 0; c < C; ++c) y[p * ldy + c] = tile[c * kTilePixels + p];
}

// The first 16 * blocks pixels of a 3-channel tile: y[3p + c] = tile[c][p].
std::size_t interleave_rgb(std::size_t blocks, const uint8_t* tile, uint8_t* y) {
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  const __m128i low24 = _mm_set1_epi64x(0xffffff), next24 = _mm_set1_epi64x(0xffffff000000);
  // Four RGB0 words -> 12 bytes: each 64-bit half closes its gap (6 bytes), then the high half moves down next to the low.
  const auto store12 = [&](__m128i words, uint8_t* out) {
    const __m128i w = _mm_or_si128(_mm_and_si128(words, low24), _mm_and_si128(_mm_srli_epi64(words, 8), next24));
    const __m128i packed = _mm_or_si128(_mm_move_epi64(w), _mm_slli_si128(_mm_unpackhi_epi64(w, zero), 6));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out), packed);
    const uint32_t tail = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(packed, 8)));
    std::memcpy(out + 8, &tail, 4);
  };
  for (std::size_t i = 0; i < blocks; ++i) {
    const std::size_t p = 16 * i;
    const __m128i r = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tile + p));
    const __m128i g = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tile + kTilePixels + p));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tile + 2 * kTilePixels + p));
    const __m128i rg_lo = _mm_unpacklo_epi8(r, g), rg_hi = _mm_unpackhi_epi8(r, g);
    const __m128i b_lo = _mm_unpacklo_epi8(b, zero), b_hi = _mm_unpackhi_epi8(b, zero);
    uint8_t* out = y + 3 * p;
    store12(_mm_unpacklo_epi16(rg_lo, b_lo), out);
    store12(_mm_unpackhi_epi16(rg_lo, b_lo), out + 12);
    store12(_mm_unpacklo_epi16(rg_hi, b_hi), out + 24);
    store12(_mm_unpackhi_epi16(rg_hi, b_hi), out + 36);
  }
  return 16 * blocks;
#elif defined(__ARM_NEON)
  for (std::size_t i = 0; i < blocks; ++i) {
    const std::size_t p = 16 * i;
    const uint8x16x3_t rgb = {{vld1q_u8(tile + p), vld1q_u8(tile + kTilePixels + p), vld1q_u8(tile + 2 * kTilePixels + p)}};
    vst3q_u8(y + 3 * p, rgb);
  }
  return 16 * blocks;
#else
  (void)blocks, (void)tile, (void)y;
  return 0;
#endif
}

void interleave_any(std::size_t channels, std::size_t pixels, const uint8_t* tile, uint8_t* y, std::size_t ldy) {
  switch (channels) {
    case 1: return interleave<1>(pixels, tile, y, ldy);
    case 2: return interleave<2>(pixels, tile, y, ldy);
    case 3:
      if (ldy == 3) {
        // Whole images of 3 channels: 16 pixels per step, the rest below.
        const std::size_t done = interleave_rgb(pixels / 16, tile, y);
        return interleave<3>(pixels - done, tile + done, y + 3 * done, ldy);
      }
      return interleave<3>(pixels, tile, y, ldy);
    case 4: return interleave<4>(pixels, tile, y, ldy);
    default:
      for (std::size_t p = 0; p < pixels; ++p)
        for (std::size_t c = 0; c < channels; ++c) y[p * ldy + c] = tile[c * kTilePixels + p];
  }
}

}  // namespace

void quantize_channels_last(QuantizeFn row, std::size_t outer, std::size_t channels, std::size_t inner, const float* x,
                            const float* scales, std::size_t scale_count, const int32_t* zero_points,
                            std::size_t zero_point_count, void* y) {
  assert(scale_count == 1 || scale_count == channels);
  assert(zero_point_count == 1 || zero_point_count == channels);
  const std::size_t pixel_tiles = (inner + kTilePixels - 1) / kTilePixels;
  const std::size_t tiles = outer * pixel_tiles;
  if (tiles == 0 || channels == 0) return;
  const std::size_t per_task = std::max<std::size_t>(1, kElementsPerTask / (kTilePixels * channels));
  uint8_t* out = static_cast<uint8_t*>(y);
  parallel_for((tiles + per_task - 1) / per_task, [&](std::size_t task) {
    alignas(64) uint8_t tile[kTileChannels * kTilePixels];
    const std::size_t end = std::min(tiles, (task + 1) * per_task);
    for (std::size_t t = task * per_task; t < end; ++t) {
      const std::size_t n = t / pixel_tiles, p0 = t % pixel_tiles * kTilePixels;
      const std::size_t pixels = std::min(kTilePixels, inner - p0);
      for (std::size_t c0 = 0; c0 < channels; c0 += kTileChannels) {
        const std::size_t cb = std::min(kTileChannels, channels - c0);
        for (std::size_t c = 0; c < cb; ++c) {
          const std::size_t ch = c0 + c;
          row(pixels, x + (n * channels + ch) * inner + p0, scales[scale_count == 1 ? 0 : ch],
              zero_points[zero_point_count == 1 ? 0 : ch], tile + c * kTilePixels);
        }
        interleave_any(cb, pixels, tile, out + (n * inner + p0) * channels + c0, channels);
      }
    }
  });
}

}  // namespace sparq
