// NEON channels-last qu8s8-spmm: tiles of 4 pixels (then 2, 1) x one block
// of 8 channels, exact through int16 widening: per stored group ld4 splits
// the block's [8][4] weights into 4 vectors of 8 channels (one per input of
// the group), widened to int16, and each pixel's 4 bytes widen to int16
// lanes; smlal by lane multiplies a weight vector by its input and adds into
// two int32x4 accumulators (channels 0-3, 4-7) per pixel. The output stage is
// qu8s8-gemm's NEON store_rows with 8 (or the block's fewer) columns.
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
  for (int32_t s = w.block_ptr[b]; s < w.block_ptr[b + 1]; ++s) {
    const int8x8x4_t ws = vld4_s8(words + static_cast<std::size_t>(s) * 32);
    const int16x8_t w0 = vmovl_s8(ws.val[0]), w1 = vmovl_s8(ws.val[1]), w2 = vmovl_s8(ws.val[2]), w3 = vmovl_s8(ws.val[3]);
    const uint8_t* xg = x + static_cast<std::size_t>(w.block_group[s]) * kQSpmmKr;
    #pragma GCC unroll 16  // the accumulators stay in registers
    for (std::size_t r = 0; r < kPixels; ++r) {
      uint32_t word;
      std::memcpy(&word, xg + r * ldx, 4);
      const int16x4_t xv = vreinterpret_s16_u16(vget_low_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(word)))));
      acc[r][0] = vmlal_lane_s16(acc[r][0], vget_low_s16(w0), xv, 0);
      acc[r][1] = vmlal_high_lane_s16(acc[r][1], w0, xv, 0);
      acc[r][0] = vmlal_lane_s16(acc[r][0], vget_low_s16(w1), xv, 1);
      acc[r][1] = vmlal_high_lane_s16(acc[r][1], w1, xv, 1);
      acc[r][0] = vmlal_lane_s16(acc[r][0], vget_low_s16(w2), xv, 2);
      acc[r][1] = vmlal_high_lane_s16(acc[r][1], w2, xv, 2);
      acc[r][0] = vmlal_lane_s16(acc[r][0], vget_low_s16(w3), xv, 3);
      acc[r][1] = vmlal_high_lane_s16(acc[r][1], w3, xv, 3);
    }
  }
  store_block_rows<kOut, kPixels, kQSpmmNhwcOc>(w, b, acc, col_terms, store, y, ldy);
}

}  // namespace

void qu8s8_spmm_nhwc_4x8_neon(const QSparseW& w, std::size_t block_begin, std::size_t block_end, std::size_t pixels,
                              const uint8_t* x, std::size_t ldx, const int32_t* col_terms, const QGemmStore& store,
                              void* y, std::size_t ldy) {
  block_tiles<1, 4, 2, 1>(store.output, pixels, block_begin, block_end, x, ldx, y, ldy,
                          [&](auto kind, auto r, std::size_t b, const uint8_t* xr, uint8_t* yr) {
                            tile<decltype(kind)::value, decltype(r)::value>(w, b, xr, ldx, col_terms, store, yr, ldy);
                          });
}

}  // namespace sparq
