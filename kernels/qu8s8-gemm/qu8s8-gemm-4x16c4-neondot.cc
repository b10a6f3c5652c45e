// NEON dot-product qu8s8-gemm microkernel (Armv8.2 FEAT_DotProd: Apple M1,
// Graviton2, Neoverse, Cortex-A55/A76 on), 4 rows x 16 columns on the shared
// c4 layout: one sdot multiplies 4 int8 pairs per 32-bit lane and adds them
// to an int32, exact for any weights.
//
// sdot is signed x signed and A is uint8 (udot/sdot have no mixed form
// before FEAT_I8MM), so the kernel multiplies A' = A ^ 0x80 = A - 128 as
// int8 and adds the difference back per column:
//   sum_k A * B' = sum_k A' * B' + 128 * colsum(B'),
// with colsum(B') taken by one more sdot per panel vector against ones (the
// driver's column sums are not passed to the microkernel). All modulo 2^32.
//
// Registers (32 q), per 4 groups of 4 K values:
//   acc[r][q]  rows r < R, columns 4q..4q+3            (16 for R = 4)
//   sums[q]    colsum(B') of columns 4q..4q+3           (4)
//   av[r]      A'[r, k..k+15]: 4 K groups of one row    (4)
//   b[q]       the panel's 16 bytes of columns 4q..4q+3 (4)
//   ones, flip                                          (2)
// sdot by element takes its row's 4 A' values of one group from lane g of
// av[r], so A needs no broadcasts. Per group 16 sdots carry the products and
// 4 the column sums (a fifth more work; with 5 rows the accumulators and A
// would not fit next to them). GCC 12 hoists the 16 panel loads of the 4
// groups and spills a few accumulators per 16 K (about one load/store per 5
// sdots), which the load/store pipes absorb.
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
  const uint8x16_t flip = vdupq_n_u8(0x80);
  const int8x16_t ones = vdupq_n_s8(1);
  int32x4_t acc[4][4], sums[4];
#pragma GCC unroll 8
  for (std::size_t q = 0; q < 4; ++q) {
    sums[q] = vdupq_n_s32(0);
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) acc[r][q] = vdupq_n_s32(0);
  }
  // One K group: panel vectors b, A' of group G in lane G of av.
  auto group = [&](const int8_t* p, const int8x16_t* av, auto lane) {
    constexpr int kLane = decltype(lane)::value;
#pragma GCC unroll 8
    for (std::size_t q = 0; q < 4; ++q) {
      const int8x16_t b = vld1q_s8(p + 16 * q);
      sums[q] = vdotq_s32(sums[q], b, ones);
#pragma GCC unroll 8
      for (std::size_t r = 0; r < R; ++r) acc[r][q] = vdotq_laneq_s32(acc[r][q], b, av[r], kLane);
    }
  };
  std::size_t k = 0;
  for (; k + 16 <= kc; k += 16, panel += 4 * 64) {
    int8x16_t av[R];
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) av[r] = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(a + r * lda + k), flip));
    group(panel, av, std::integral_constant<int, 0>{});
    group(panel + 64, av, std::integral_constant<int, 1>{});
    group(panel + 128, av, std::integral_constant<int, 2>{});
    group(panel + 192, av, std::integral_constant<int, 3>{});
  }
  // The last 1-3 groups: a row is readable only up to kc bytes.
  for (; k < kc; k += 4, panel += 64) {
    int8x16_t av[R];
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) {
      uint32_t word;
      std::memcpy(&word, a + r * lda + k, 4);
      av[r] = vreinterpretq_s8_u8(veorq_u8(vreinterpretq_u8_u32(vdupq_n_u32(word)), flip));
    }
    group(panel, av, std::integral_constant<int, 0>{});
  }
#pragma GCC unroll 8
  for (std::size_t q = 0; q < 4; ++q) {
    const int32x4_t back = vshlq_n_s32(sums[q], 7);  // 128 * colsum, modulo 2^32
#pragma GCC unroll 8
    for (std::size_t r = 0; r < R; ++r) acc[r][q] = vaddq_s32(acc[r][q], back);
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
