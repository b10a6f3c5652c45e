// NEON dot-product channels-last qu8s8-spmm (Armv8.2 FEAT_DotProd): tiles
// of 8 pixels (then 4, 2, 1) x one block of 8 channels. Per stored group
// the block's [8][4] weights are two 16-byte loads (channels 0-3, 4-7), and
// per pixel its 4 bytes, flipped to X' = X ^ 0x80 = X - 128 as int8 (sdot
// is signed x signed), are duplicated into every lane: two sdot add the 4
// products of each channel into int32, exact for any weights. The driver
// puts the 128 * rowsum(w) back through col_terms (see QSpmmNhwcFn). The
// output stage is qu8s8-gemm's NEON store_rows with 8 (or fewer) columns.
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "qu8s8-spmm.h"
#include "../qu8s8-gemm/qu8s8-gemm-store-neon.h"
#include "qu8s8-spmm-nhwc-tiles.h"

namespace sparq {
namespace {

template <QOutput kOut, std::size_t kPixels>
void tile(const QSparseW& w, std::size_t b, const uint8_t* x, std::size_t ldx, const int32_t* col_terms,
          const QGemmStore& store, void* y, std::size_t ldy) {
  int32x4_t acc[kPixels][4];
  #pragma GCC unroll 16  // the accumulators stay in registers
  for (std::size_t r = 0; r < kPixels; ++r)
    for (std::size_t q = 0; q < 4; ++q) acc[r][q] = vdupq_n_s32(0);
  const int8_t* words = w.block_word.data();
  const uint32x4_t flip = vdupq_n_u32(0x80808080u);
  for (int32_t s = w.block_ptr[b]; s < w.block_ptr[b + 1]; ++s) {
    const int8_t* ws = words + static_cast<std::size_t>(s) * 32;
    const int8x16_t w_lo = vld1q_s8(ws), w_hi = vld1q_s8(ws + 16);
    const uint8_t* xg = x + static_cast<std::size_t>(w.block_group[s]) * kQSpmmKr;
    #pragma GCC unroll 16  // the accumulators stay in registers
    for (std::size_t r = 0; r < kPixels; ++r) {
      uint32_t word;
      std::memcpy(&word, xg + r * ldx, 4);
      const int8x16_t xv = vreinterpretq_s8_u32(veorq_u32(vdupq_n_u32(word), flip));
      acc[r][0] = vdotq_s32(acc[r][0], w_lo, xv);
      acc[r][1] = vdotq_s32(acc[r][1], w_hi, xv);
    }
  }
  store_block_rows<kOut, kPixels, kQSpmmNhwcOc>(w, b, acc, col_terms, store, y, ldy);
}

}  // namespace

void qu8s8_spmm_nhwc_8x8_neondot(const QSparseW& w, std::size_t block_begin, std::size_t block_end,
                                 std::size_t pixels, const uint8_t* x, std::size_t ldx, const int32_t* col_terms,
                                 const QGemmStore& store, void* y, std::size_t ldy) {
  block_tiles<1, 8, 4, 2, 1>(store.output, pixels, block_begin, block_end, x, ldx, y, ldy,
                             [&](auto kind, auto r, std::size_t b, const uint8_t* xr, uint8_t* yr) {
                               tile<decltype(kind)::value, decltype(r)::value>(w, b, xr, ldx, col_terms, store, yr, ldy);
                             });
}

}  // namespace sparq
