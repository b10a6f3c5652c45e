// AVX-512 VNNI channels-last qu8s8-spmm: tiles of 8 pixels (then 4, 2, 1)
// x two blocks of 8 channels, one ymm accumulator per pixel and block. Per
// stored group: one 32-byte load of the block's [8 channels][4] weights,
// and per pixel a broadcast of its 4 bytes of the group (one word of its row
// of X) and one vpdpbusd (u8 x s8, 4 products added straight into int32:
// exact for any weights). 16 independent accumulators hide its latency.
// ymm per block of 8 channels rather than a zmm of 16: the union of 16
// rows' groups keeps almost twice the groups of 8 rows' at [4 x 4]-block
// pruning, and Zen 4 runs a zmm vpdpbusd at half the rate of a ymm one. The
// two blocks' sums join into one zmm row of 16 channels for qu8s8-gemm's
// store_rows: a full row stores plain, and the output stage's steps, which
// dominate layers of few stored groups (MobileNet expansions), run on full
// vectors. A last odd block takes 16 pixels at a time, alone.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "qu8s8-spmm.h"
#include "../qu8s8-gemm/qu8s8-gemm-store-avx512.h"
#include "qu8s8-spmm-nhwc-tiles.h"

namespace sparq {
namespace {

// acc[r] = block b's sums for pixel r of the kPixels rows at x.
template <std::size_t kPixels>
inline void block_sums(const QSparseW& w, std::size_t b, const uint8_t* x, std::size_t ldx, __m256i* acc) {
#pragma GCC unroll 16  // the accumulators stay in registers
  for (std::size_t r = 0; r < kPixels; ++r) acc[r] = _mm256_setzero_si256();
  const int8_t* words = w.block_word.data();
  for (int32_t s = w.block_ptr[b]; s < w.block_ptr[b + 1]; ++s) {
    const __m256i ws = _mm256_load_si256(reinterpret_cast<const __m256i*>(words + static_cast<std::size_t>(s) * 32));
    const uint8_t* xg = x + static_cast<std::size_t>(w.block_group[s]) * kQSpmmKr;
#pragma GCC unroll 16
    for (std::size_t r = 0; r < kPixels; ++r) {
      int32_t word;
      std::memcpy(&word, xg + r * ldx, 4);
      acc[r] = _mm256_dpbusd_epi32(acc[r], _mm256_set1_epi32(word), ws);
    }
  }
}

// Blocks [b, b + kBlocks) for kPixels pixels. Widened and joined through
// all-lanes zero-masked inserts: the plain cast and zero-extend trip GCC
// 12's -Wmaybe-uninitialized (bug 105593).
template <QOutput kOut, std::size_t kPixels, std::size_t kBlocks>
void tile(const QSparseW& w, std::size_t b, const uint8_t* x, std::size_t ldx, const int32_t* col_terms,
          const QGemmStore& store, void* y, std::size_t ldy) {
  __m256i lo[kPixels], hi[kPixels];
  block_sums<kPixels>(w, b, x, ldx, lo);
  if (kBlocks == 2) block_sums<kPixels>(w, b + 1, x, ldx, hi);
  __m512i wide[kPixels];
#pragma GCC unroll 16
  for (std::size_t r = 0; r < kPixels; ++r) {
    wide[r] = _mm512_maskz_inserti32x8(0xffff, _mm512_setzero_si512(), lo[r], 0);
    if (kBlocks == 2) wide[r] = _mm512_maskz_inserti32x8(0xffff, wide[r], hi[r], 1);
  }
  store_block_rows<kOut, kPixels, kBlocks * kQSpmmNhwcOc>(w, b, wide, col_terms, store, y, ldy);
}

}  // namespace

void qu8s8_spmm_nhwc_8x16_avx512vnni(const QSparseW& w, std::size_t block_begin, std::size_t block_end,
                                     std::size_t pixels, const uint8_t* x, std::size_t ldx, const int32_t* col_terms,
                                     const QGemmStore& store, void* y, std::size_t ldy) {
  // One output kind switch for both loops (not block_tiles' one each): each
  // kind's loops stay one function that inlines its pair tiles.
  with_output_kind(store.output, [&](auto kind) {
    constexpr QOutput kOut = decltype(kind)::value;
    const std::size_t pairs_end = block_begin + (block_end - block_begin) / 2 * 2;
    pixel_tiles<2, 8, 4, 2, 1>(pixels, block_begin, pairs_end, x, ldx, static_cast<uint8_t*>(y),
                               ldy * qgemm_output_size(kOut),
                               [&](auto r, std::size_t b, const uint8_t* xr, uint8_t* yr) {
                                 tile<kOut, decltype(r)::value, 2>(w, b, xr, ldx, col_terms, store, yr, ldy);
                               });
    pixel_tiles<1, 16, 8, 4, 2, 1>(pixels, pairs_end, block_end, x, ldx, static_cast<uint8_t*>(y),
                                   ldy * qgemm_output_size(kOut),
                                   [&](auto r, std::size_t b, const uint8_t* xr, uint8_t* yr) {
                                     tile<kOut, decltype(r)::value, 1>(w, b, xr, ldx, col_terms, store, yr, ldy);
                                   });
  });
}

}  // namespace sparq
