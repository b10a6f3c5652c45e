// NEON qu8s8-spmm for CPUs without the dot-product extension (Cortex-A53/
// A72), per output row, 32 columns per step, then 16 at a time, on the
// repacked X groups (4 columns x 4 K values per 16-byte load), exact for any
// weights.
//
// Exactness: a uint8 x int8 product lies in [-32640, 32385], so with both
// sides widened to int16 one mul holds it exactly and sadalp adds adjacent
// pairs into int32 lanes. Per entry and 4 columns: the 16 X bytes widened to
// two int16 vectors (columns 0-1 and 2-3, 4 K values each) times the
// entry's 4 weights widened and repeated, pairs added into acc[2c] and
// acc[2c + 1]; addp of the two gives the 4 columns' sums at the end.
// 32 columns keep 16 accumulators, leaving registers for the widened X and
// the weights.
//
// M = 1 (GEMV): 4 entries per step, their X words gathered by group index,
// products and pairs as above, summed across lanes at the end of the row.
// The output stage is qu8s8-gemm's NEON store_rows on one row, fed 16-lane
// copies of the row's term and multiplier.
#include <arm_neon.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "qu8s8-spmm.h"
#include "../qu8s8-gemm/qu8s8-gemm-store-neon.h"

namespace sparq {
namespace {

// acc += the 8 products of x (uint8) and w (int16), adjacent pairs summed
// into the 4 int32 lanes.
inline int32x4_t madd(int32x4_t acc, uint8x8_t x, int16x8_t w) {
  return vpadalq_s16(acc, vmulq_s16(vreinterpretq_s16_u16(vmovl_u8(x)), w));
}

// sum w * X over the entries [p, p_end) of one column (ldxp == 1).
int32_t row_dot(const int32_t* group, const int32_t* word, int32_t p, int32_t p_end, const uint8_t* x) {
  int32x4_t acc0 = vdupq_n_s32(0), acc1 = acc0;
  for (; p < p_end; p += 4) {
    // Lanes past p_end hold weight 0.
    uint32_t xs[4] = {}, ws[4] = {};
    for (int32_t e = 0; e < 4 && p + e < p_end; ++e) {
      std::memcpy(&xs[e], x + static_cast<std::size_t>(group[p + e]) * kQSpmmKr, 4);
      ws[e] = static_cast<uint32_t>(word[p + e]);
    }
    const uint8x16_t xv = vreinterpretq_u8_u32(vld1q_u32(xs));
    const int8x16_t wv = vreinterpretq_s8_u32(vld1q_u32(ws));
    acc0 = madd(acc0, vget_low_u8(xv), vmovl_s8(vget_low_s8(wv)));
    acc1 = madd(acc1, vget_high_u8(xv), vmovl_high_s8(wv));
  }
  return vaddvq_s32(vaddq_s32(acc0, acc1));
}

// acc[0..2V) += the entries [p, p_end) on the 4V columns at xm (pair sums,
// see above).
template <int V>
inline void entries(int32x4_t* out, const int32_t* group, const int32_t* word, int32_t p, int32_t p_end,
                    const uint8_t* xm, std::size_t group_bytes) {
  // Local accumulators: through `out` every X load (uint8, which may alias
  // anything) made GCC store them after each sadalp.
  int32x4_t acc[2 * V];
#pragma GCC unroll 16
  for (int i = 0; i < 2 * V; ++i) acc[i] = out[i];
  for (; p < p_end; ++p) {
    const int16x8_t wv = vmovl_s8(vreinterpret_s8_s32(vdup_n_s32(word[p])));
    const uint8_t* x = xm + static_cast<std::size_t>(group[p]) * group_bytes;
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const uint8x16_t xv = vld1q_u8(x + 16 * v);
      acc[2 * v] = madd(acc[2 * v], vget_low_u8(xv), wv);
      acc[2 * v + 1] = madd(acc[2 * v + 1], vget_high_u8(xv), wv);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < 2 * V; ++i) out[i] = acc[i];
}

template <QOutput kOut>
void rows(const QSparseW& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin, std::size_t m_end,
          const uint8_t* xp, std::size_t ldxp, const int32_t* row_terms, const QGemmStore& store, void* y,
          std::size_t ldy) {
  constexpr std::size_t kSize = kOut == QOutput::kUint8 || kOut == QOutput::kInt8 ? 1 : 4;
  int32_t terms[16];
  float multipliers[16];
  QGemmStore st = store;
  st.multipliers = multipliers;
  const int32_t* group = w.group.data();
  const int32_t* word = w.word.data();
  const std::size_t group_bytes = ldxp * kQSpmmKr;
  const int32x4_t zero = vdupq_n_s32(0);
  for (std::size_t n = row_begin; n < row_end; ++n) {
    const int32x4_t t = vdupq_n_s32(row_terms[n]);
    for (std::size_t q = 0; q < 4; ++q) vst1q_s32(terms + 4 * q, t);
    if (kOut != QOutput::kInt32) {
      const float32x4_t mul = vdupq_n_f32(store.multipliers[n]);
      for (std::size_t q = 0; q < 4; ++q) vst1q_f32(multipliers + 4 * q, mul);
    }
    const int32_t p_begin = w.indptr[n], p_end = w.indptr[n + 1];
    uint8_t* yr = static_cast<uint8_t*>(y) + n * ldy * kSize;
    if (m_end - m_begin == 1 && ldxp == 1) {
      const int32x4_t v[1][4] = {{vdupq_n_s32(row_dot(group, word, p_begin, p_end, xp + m_begin * kQSpmmKr)), zero, zero, zero}};
      store_rows<kOut>(1, 1, v, terms, nullptr, nullptr, st, yr + m_begin * kSize, ldy);
      continue;
    }
    std::size_t m0 = m_begin;
    for (; m0 + 32 <= m_end; m0 += 32) {
      int32x4_t acc[16];
      std::fill(acc, acc + 16, zero);
      entries<8>(acc, group, word, p_begin, p_end, xp + m0 * kQSpmmKr, group_bytes);
      int32x4_t v[2][4];
#pragma GCC unroll 8
      for (int c = 0; c < 8; ++c) v[c / 4][c % 4] = vpaddq_s32(acc[2 * c], acc[2 * c + 1]);
      store_rows<kOut>(1, 16, &v[0], terms, nullptr, nullptr, st, yr + m0 * kSize, ldy);
      store_rows<kOut>(1, 16, &v[1], terms, nullptr, nullptr, st, yr + (m0 + 16) * kSize, ldy);
    }
    // Loads past m_end read the repacked block's next group or its 64
    // readable bytes; those lanes are not stored.
    for (; m0 < m_end; m0 += 16) {
      int32x4_t acc[8];
      std::fill(acc, acc + 8, zero);
      entries<4>(acc, group, word, p_begin, p_end, xp + m0 * kQSpmmKr, group_bytes);
      int32x4_t v[1][4];
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c) v[0][c] = vpaddq_s32(acc[2 * c], acc[2 * c + 1]);
      store_rows<kOut>(1, std::min<std::size_t>(16, m_end - m0), v, terms, nullptr, nullptr, st, yr + m0 * kSize, ldy);
    }
  }
}

}  // namespace

void qu8s8_spmm_32_neon(const QSparseW& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                        std::size_t m_end, const uint8_t* xp, std::size_t ldxp, const int32_t* row_terms,
                        const QGemmStore& store, void* y, std::size_t ldy) {
  with_output_kind(store.output, [&](auto kind) {
    rows<decltype(kind)::value>(w, row_begin, row_end, m_begin, m_end, xp, ldxp, row_terms, store, y, ldy);
  });
}

}  // namespace sparq
