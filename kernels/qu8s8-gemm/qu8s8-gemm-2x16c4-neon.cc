// NEON qu8s8-gemm microkernel for CPUs without the dot-product extension
// (Cortex-A53/A72: Raspberry Pi 3/4), 2 rows x 16 columns on the shared c4
// layout, exact for any weights.
//
// Exactness: a uint8 x int8 product lies in [-32640, 32385], so with both
// operands widened to int16 one mul (the low 16 bits) holds it exactly, and
// sadalp adds each adjacent pair of products into an int32 lane. Per group of
// 4 K values:
//   av[r]  = int16 A[r, 4g..4g+3] twice                      (ushll of a dup)
//   b      = int16 B' of 2 columns x 4 K (sshll of 8 panel bytes)
//   acc[r][h] += pairs of av[r] * b: (k0k1, k2k3) of column 2h, then of 2h + 1
// and the epilogue adds each column's two pair sums (addp), giving 4
// consecutive columns per vector: 2 instructions per 8 multiply-adds.
//
// Registers (32 q): 16 accumulators (2 rows x 8 column pairs), 2 widened A,
// the 8 widened panel halves of one group and a product. A third row (24
// accumulators) would leave 5 registers for the 8 panel halves, its A and
// the products.
//
// The row count is a template parameter: a one-row tile (GEMV-like calls)
// does no work on a row it does not store.
#include <arm_neon.h>

#include <cassert>
#include <cstdint>
#include <cstring>

#include "qu8s8-gemm.h"
#include "qu8s8-gemm-store-neon.h"

namespace sparq {
namespace {

template <std::size_t R>
void tile(std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda, const int8_t* panel,
          const int32_t* col_terms, const int32_t* col_zero_points, const int32_t* row_sums, const QGemmStore& store,
          void* c, std::size_t ldc) {
  int32x4_t acc[R][8];
#pragma GCC unroll 8
  for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (std::size_t h = 0; h < 8; ++h) acc[r][h] = vdupq_n_s32(0);
  for (std::size_t k = 0; k < kc; k += 4, panel += 64) {
    int16x8_t av[R];
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) {
      uint32_t word;
      std::memcpy(&word, a + r * lda + k, 4);
      av[r] = vreinterpretq_s16_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(word))));
    }
#pragma GCC unroll 8
    for (std::size_t q = 0; q < 4; ++q) {
      const int8x16_t b = vld1q_s8(panel + 16 * q);
      const int16x8_t b0 = vmovl_s8(vget_low_s8(b)), b1 = vmovl_high_s8(b);
#pragma GCC unroll 8
      for (std::size_t r = 0; r < R; ++r) {
        acc[r][2 * q] = vpadalq_s16(acc[r][2 * q], vmulq_s16(av[r], b0));
        acc[r][2 * q + 1] = vpadalq_s16(acc[r][2 * q + 1], vmulq_s16(av[r], b1));
      }
    }
  }
  int32x4_t cols[R][4];
#pragma GCC unroll 8
  for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (std::size_t q = 0; q < 4; ++q) cols[r][q] = vpaddq_s32(acc[r][2 * q], acc[r][2 * q + 1]);
  store_tile(R, nc, cols, col_terms, col_zero_points, row_sums, store, c, ldc);
}

}  // namespace

void qu8s8_gemm_2x16c4_neon(std::size_t mr, std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda,
                            const int8_t* panel, const int32_t* col_terms, const int32_t* col_zero_points,
                            const int32_t* row_sums, const QGemmStore& store, void* c, std::size_t ldc) {
  assert(mr >= 1 && mr <= 2 && nc >= 1 && nc <= kQGemmNr && kc % kQGemmKr == 0);
  if (mr == 2) return tile<2>(nc, kc, a, lda, panel, col_terms, col_zero_points, row_sums, store, c, ldc);
  tile<1>(nc, kc, a, lda, panel, col_terms, col_zero_points, row_sums, store, c, ldc);
}

}  // namespace sparq
