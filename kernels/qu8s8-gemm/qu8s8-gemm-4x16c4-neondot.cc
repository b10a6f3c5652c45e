// NEON dot-product qu8s8-gemm microkernel (Armv8.2 FEAT_DotProd: Apple M1,
// Graviton2, Neoverse, Cortex-A55/A76 on), 4 rows x 16 columns on the shared
// c4 layout: one sdot multiplies 4 int8 pairs per 32-bit lane and adds them
// to an int32, exact for any weights.
//
// sdot is signed x signed and A is uint8 (udot/sdot have no mixed form
// before FEAT_I8MM), so the kernel multiplies A' = A ^ 0x80 = A - 128 as
// int8 (one eor per row and 8 K values):
//   sum_k A * B' = sum_k A' * B' + 128 * colsum(B'),
// and the driver puts 128 * colsum(B') back in col_terms for kNeonDot
// variants (see QGemmUkernel), from the column sums packing made.
//
// Registers (32 q), per 2 groups of 4 K values:
//   acc[r][q]  rows r < R, columns 4q..4q+3            (16 for R = 4)
//   av[r]      A'[r, k..k+7]: 2 K groups of one row     (4 d)
//   b          the panel's 16 bytes of columns 4q..4q+3 (8: 4 per group)
// sdot by element takes its row's 4 A' values of one group from lane g of
// av[r], so A needs no broadcasts: per group 4 panel loads feed 16 sdots.
// 2 groups per step, not 4 from a 16-byte A load: GCC 12 hoists every
// panel load of the step, and 16 of them with 16 accumulators spilled
// accumulators on every step.
//
// The row count is a template parameter: a tile of fewer rows (GEMV-like
// calls, the last strip) does no work on rows it does not store.
#include <arm_neon.h>

#include <cassert>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qu8s8-gemm.h"
#include "qu8s8-gemm-store-neon.h"

namespace sparq {
namespace {

template <std::size_t R>
void tile(std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda, const int8_t* panel,
          const int32_t* col_terms, const int32_t* col_zero_points, const int32_t* row_sums, const QGemmStore& store,
          void* c, std::size_t ldc) {
  const uint8x8_t flip = vdup_n_u8(0x80);
  int32x4_t acc[R][4];
#pragma GCC unroll 8
  for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (std::size_t q = 0; q < 4; ++q) acc[r][q] = vdupq_n_s32(0);
  // One K group: panel vectors b, A' of the group in lane kLane of av.
  auto group = [&](const int8_t* p, const int8x8_t* av, auto lane) {
    constexpr int kLane = decltype(lane)::value;
#pragma GCC unroll 8
    for (std::size_t q = 0; q < 4; ++q) {
      const int8x16_t b = vld1q_s8(p + 16 * q);
#pragma GCC unroll 8
      for (std::size_t r = 0; r < R; ++r) acc[r][q] = vdotq_lane_s32(acc[r][q], b, av[r], kLane);
    }
  };
  std::size_t k = 0;
  for (; k + 8 <= kc; k += 8, panel += 2 * 64) {
    int8x8_t av[R];
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) av[r] = vreinterpret_s8_u8(veor_u8(vld1_u8(a + r * lda + k), flip));
    group(panel, av, std::integral_constant<int, 0>{});
    group(panel + 64, av, std::integral_constant<int, 1>{});
  }
  // The last group: a row is readable only up to kc bytes.
  if (k < kc) {
    int8x8_t av[R];
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) {
      uint32_t word;
      std::memcpy(&word, a + r * lda + k, 4);
      av[r] = vreinterpret_s8_u8(veor_u8(vreinterpret_u8_u32(vdup_n_u32(word)), flip));
    }
    group(panel, av, std::integral_constant<int, 0>{});
  }
  store_tile(R, nc, acc, col_terms, col_zero_points, row_sums, store, c, ldc);
}

}  // namespace

void qu8s8_gemm_4x16c4_neondot(std::size_t mr, std::size_t nc, std::size_t kc, const uint8_t* a, std::size_t lda,
                               const int8_t* panel, const int32_t* col_terms, const int32_t* col_zero_points,
                               const int32_t* row_sums, const QGemmStore& store, void* c, std::size_t ldc) {
  assert(mr >= 1 && mr <= 4 && nc >= 1 && nc <= kQGemmNr && kc % kQGemmKr == 0);
  switch (mr) {
    case 4: return tile<4>(nc, kc, a, lda, panel, col_terms, col_zero_points, row_sums, store, c, ldc);
    case 3: return tile<3>(nc, kc, a, lda, panel, col_terms, col_zero_points, row_sums, store, c, ldc);
    case 2: return tile<2>(nc, kc, a, lda, panel, col_terms, col_zero_points, row_sums, store, c, ldc);
    default: return tile<1>(nc, kc, a, lda, panel, col_terms, col_zero_points, row_sums, store, c, ldc);
  }
}

}  // namespace sparq
