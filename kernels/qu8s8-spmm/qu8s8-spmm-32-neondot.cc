// NEON dot-product qu8s8-spmm (Armv8.2 FEAT_DotProd), per output row, 32
// columns (8 q registers of 4) per step, then 16 at a time, on the repacked X
// groups (4 columns x 4 K values per 16-byte load): one sdot per entry and 4
// columns, exact for any weights.
//
// sdot is signed x signed and X is uint8, so the kernel multiplies
// X' = X ^ 0x80 = X - 128 as int8 and adds the difference back per row:
//   sum w * X = sum w * X' + 128 * rowsum(w)        (modulo 2^32)
// folded into the row's term once. Every row of a call reads the same X
// block, so when the call's entries outnumber its K groups the kernel flips
// the block once into a copy of its thread (one load, eor and store per 16
// bytes); a call with fewer entries (few, very sparse rows) flips each load
// instead (one eor per sdot).
//
// Entries go 4 at a time: their 4 weight words are one 16-byte load and each
// sdot takes its entry's word by element (no broadcasts).
//
// M = 1 (GEMV): 4 entries per sdot, their X words gathered by group index
// into the 4 lanes, summed across lanes at the end of the row.
// The output stage is qu8s8-gemm's NEON store_rows on one row, fed 16-lane
// copies of the row's term and multiplier.
#include <arm_neon.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qu8s8-spmm.h"
#include "../common/aligned-vector.h"
#include "../qu8s8-gemm/qu8s8-gemm-store-neon.h"

namespace sparq {
namespace {

inline int8x16_t flipped(const uint8_t* p) { return vreinterpretq_s8_u8(veorq_u8(vld1q_u8(p), vdupq_n_u8(0x80))); }

// X' of a block already flipped (kFlip false) or flipped here.
template <bool kFlip>
inline int8x16_t load_x(const uint8_t* p) {
  return kFlip ? flipped(p) : vld1q_s8(reinterpret_cast<const int8_t*>(p));
}

// out[i] = in[i] ^ 0x80, i < n.
void flip_copy(const uint8_t* in, std::size_t n, uint8_t* out) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) vst1q_s8(reinterpret_cast<int8_t*>(out + i), flipped(in + i));
  for (; i < n; ++i) out[i] = in[i] ^ 0x80;
}

// sum w * X' over the entries [p, p_end) of one column (ldxp == 1).
template <bool kFlip>
int32_t row_dot(const int32_t* group, const int32_t* word, int32_t p, int32_t p_end, const uint8_t* x) {
  int32x4_t acc = vdupq_n_s32(0);
  for (; p < p_end; p += 4) {
    // Lanes past p_end hold weight 0: whatever X' is there multiplies nothing.
    uint32_t xs[4] = {}, ws[4] = {};
    for (int32_t e = 0; e < 4 && p + e < p_end; ++e) {
      std::memcpy(&xs[e], x + static_cast<std::size_t>(group[p + e]) * kQSpmmKr, 4);
      ws[e] = static_cast<uint32_t>(word[p + e]);
    }
    acc = vdotq_s32(acc, load_x<kFlip>(reinterpret_cast<const uint8_t*>(xs)), vreinterpretq_s8_u32(vld1q_u32(ws)));
  }
  return vaddvq_s32(acc);
}

// acc[0..V) += the entries [p, p_end) on the 4V columns at xm.
template <bool kFlip, int V>
inline void entries(int32x4_t* out, const int32_t* group, const int32_t* word, int32_t p, int32_t p_end,
                    const uint8_t* xm, std::size_t group_bytes) {
  // Local accumulators: through `out` every X load (uint8, which may alias
  // anything) made GCC store them after each sdot.
  int32x4_t acc[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) acc[v] = out[v];
  auto one = [&](const uint8_t* x, int8x16_t w4, auto lane) {
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) acc[v] = vdotq_laneq_s32(acc[v], load_x<kFlip>(x + 16 * v), w4, decltype(lane)::value);
  };
  auto at = [&](int32_t e) { return xm + static_cast<std::size_t>(group[e]) * group_bytes; };
  for (; p + 4 <= p_end; p += 4) {
    const int8x16_t w4 = vreinterpretq_s8_s32(vld1q_s32(word + p));
    one(at(p), w4, std::integral_constant<int, 0>{});
    one(at(p + 1), w4, std::integral_constant<int, 1>{});
    one(at(p + 2), w4, std::integral_constant<int, 2>{});
    one(at(p + 3), w4, std::integral_constant<int, 3>{});
  }
  for (; p < p_end; ++p) one(at(p), vreinterpretq_s8_s32(vdupq_n_s32(word[p])), std::integral_constant<int, 0>{});
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) out[v] = acc[v];
}

template <QOutput kOut, bool kFlip>
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
    const uint32_t term = static_cast<uint32_t>(row_terms[n]) + 128u * static_cast<uint32_t>(w.row_sums[n]);
    const int32x4_t t = vdupq_n_s32(static_cast<int32_t>(term));
    for (std::size_t q = 0; q < 4; ++q) vst1q_s32(terms + 4 * q, t);
    if (kOut != QOutput::kInt32) {
      const float32x4_t mul = vdupq_n_f32(store.multipliers[n]);
      for (std::size_t q = 0; q < 4; ++q) vst1q_f32(multipliers + 4 * q, mul);
    }
    const int32_t p_begin = w.indptr[n], p_end = w.indptr[n + 1];
    uint8_t* yr = static_cast<uint8_t*>(y) + n * ldy * kSize;
    if (m_end - m_begin == 1 && ldxp == 1) {
      const int32x4_t v[1][4] = {{vdupq_n_s32(row_dot<kFlip>(group, word, p_begin, p_end, xp + m_begin * kQSpmmKr)), zero, zero, zero}};
      store_rows<kOut>(1, 1, v, terms, nullptr, nullptr, st, yr + m_begin * kSize, ldy);
      continue;
    }
    std::size_t m0 = m_begin;
    for (; m0 + 32 <= m_end; m0 += 32) {
      int32x4_t acc[8] = {zero, zero, zero, zero, zero, zero, zero, zero};
      entries<kFlip, 8>(acc, group, word, p_begin, p_end, xp + m0 * kQSpmmKr, group_bytes);
      const int32x4_t v[2][4] = {{acc[0], acc[1], acc[2], acc[3]}, {acc[4], acc[5], acc[6], acc[7]}};
      store_rows<kOut>(1, 16, &v[0], terms, nullptr, nullptr, st, yr + m0 * kSize, ldy);
      store_rows<kOut>(1, 16, &v[1], terms, nullptr, nullptr, st, yr + (m0 + 16) * kSize, ldy);
    }
    // Loads past m_end read the repacked block's next group or its 64
    // readable bytes; those lanes are not stored.
    for (; m0 < m_end; m0 += 16) {
      int32x4_t acc[4] = {zero, zero, zero, zero};
      entries<kFlip, 4>(acc, group, word, p_begin, p_end, xp + m0 * kQSpmmKr, group_bytes);
      const int32x4_t v[1][4] = {{acc[0], acc[1], acc[2], acc[3]}};
      store_rows<kOut>(1, std::min<std::size_t>(16, m_end - m0), v, terms, nullptr, nullptr, st, yr + m0 * kSize, ldy);
    }
  }
}

}  // namespace

void qu8s8_spmm_32_neondot(const QSparseW& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                           std::size_t m_end, const uint8_t* xp, std::size_t ldxp, const int32_t* row_terms,
                           const QGemmStore& store, void* y, std::size_t ldy) {
  const std::size_t entries = static_cast<std::size_t>(w.indptr[row_end] - w.indptr[row_begin]);
  if (entries > w.groups) {
    // The block and the 64 bytes readable past it, flipped once.
    const std::size_t bytes = w.groups * ldxp * kQSpmmKr + 64;
    thread_local aligned_vector<uint8_t> flipped_x;
    if (flipped_x.size() < bytes) flipped_x.resize(bytes);
    flip_copy(xp, bytes, flipped_x.data());
    with_output_kind(store.output, [&](auto kind) {
      rows<decltype(kind)::value, false>(w, row_begin, row_end, m_begin, m_end, flipped_x.data(), ldxp, row_terms,
                                         store, y, ldy);
    });
    return;
  }
  with_output_kind(store.output, [&](auto kind) {
    rows<decltype(kind)::value, true>(w, row_begin, row_end, m_begin, m_end, xp, ldxp, row_terms, store, y, ldy);
  });
}

}  // namespace sparq
