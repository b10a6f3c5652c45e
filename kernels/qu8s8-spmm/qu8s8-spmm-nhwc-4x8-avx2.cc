// AVX2 channels-last qu8s8-spmm: tiles of 4 pixels (then 2, 1) x one block
// of 8 channels, exact for any weights through int16 widening (vpmaddubsw
// would saturate 255 * 127 pairs): per stored group the block's [8][4]
// weights widen to two ymm of int16, [ch 0, 1 | ch 2, 3] and [ch 4, 5 | ch
// 6, 7], and per pixel its 4 bytes widen to int16 repeated in every 64 bits;
// vpmaddwd adds pairs of products into int32 (|255 * 128 * 2| fits), two
// lanes per channel and accumulator. At the end vphaddd sums the pairs,
// [ch 0, 1, 2, 3 | 4, 5, 6, 7] with the lanes above. The output stage is
// qu8s8-gemm's AVX2 store_rows with 8 (or the block's fewer) columns.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "qu8s8-spmm.h"
#include "../qu8s8-gemm/qu8s8-gemm-store-avx2.h"
#include "qu8s8-spmm-nhwc-tiles.h"

namespace sparq {
namespace {

template <QOutput kOut, std::size_t kPixels>
void tile(const QSparseW& w, std::size_t b, const uint8_t* x, std::size_t ldx, const int32_t* col_terms,
          const QGemmStore& store, void* y, std::size_t ldy) {
  __m256i lo[kPixels], hi[kPixels];
  #pragma GCC unroll 16  // the accumulators stay in registers
  for (std::size_t r = 0; r < kPixels; ++r) lo[r] = hi[r] = _mm256_setzero_si256();
  const int8_t* words = w.block_word.data();
  for (int32_t s = w.block_ptr[b]; s < w.block_ptr[b + 1]; ++s) {
    const int8_t* ws = words + static_cast<std::size_t>(s) * 32;
    const __m256i w_lo = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(ws)));
    const __m256i w_hi = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(ws + 16)));
    const uint8_t* xg = x + static_cast<std::size_t>(w.block_group[s]) * kQSpmmKr;
    #pragma GCC unroll 16  // the accumulators stay in registers
    for (std::size_t r = 0; r < kPixels; ++r) {
      int32_t word;
      std::memcpy(&word, xg + r * ldx, 4);
      const __m256i xv = _mm256_cvtepu8_epi16(_mm_set1_epi32(word));
      lo[r] = _mm256_add_epi32(lo[r], _mm256_madd_epi16(xv, w_lo));
      hi[r] = _mm256_add_epi32(hi[r], _mm256_madd_epi16(xv, w_hi));
    }
  }
  __m256i acc[kPixels][2];
  #pragma GCC unroll 16  // the accumulators stay in registers
  for (std::size_t r = 0; r < kPixels; ++r) {
    acc[r][0] = _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo[r], hi[r]), _MM_SHUFFLE(3, 1, 2, 0));
    acc[r][1] = _mm256_setzero_si256();
  }
  store_block_rows<kOut, kPixels, kQSpmmNhwcOc>(w, b, acc, col_terms, store, y, ldy);
}

}  // namespace

void qu8s8_spmm_nhwc_4x8_avx2(const QSparseW& w, std::size_t block_begin, std::size_t block_end, std::size_t pixels,
                              const uint8_t* x, std::size_t ldx, const int32_t* col_terms, const QGemmStore& store,
                              void* y, std::size_t ldy) {
  block_tiles<1, 4, 2, 1>(store.output, pixels, block_begin, block_end, x, ldx, y, ldy,
                          [&](auto kind, auto r, std::size_t b, const uint8_t* xr, uint8_t* yr) {
                            tile<decltype(kind)::value, decltype(r)::value>(w, b, xr, ldx, col_terms, store, yr, ldy);
                          });
}

}  // namespace sparq
