// AVX-512 VNNI qu8s8-spmm, per output row:
// - 32 columns (two zmm) per step: each entry's broadcast word serves two
//   vpdpbusd against two 64-byte loads of its repacked X group (16 columns
//   x 4 K values each). vpdpbusd multiplies u8 x s8 and adds 4 products
//   straight into an int32 lane: exact for any weights, no saturation.
//   Entries alternate between two sets of accumulators, so the 5-cycle
//   vpdpbusd latency does not cap a row at one entry per 5 cycles;
// - a strip of 16 or fewer columns takes one zmm (the loads read past M
//   into the buffer's slack; only nc lanes are stored);
// - a single column (M = 1, GEMV): 16 entries at a time, their X words
//   gathered by group index and multiplied with the words in one vpdpbusd,
//   summed across lanes at the end of the row.
// The output stage is qu8s8-gemm's store_rows on one row, fed 16-lane copies
// of the row's term (bias - a_zp * rowsum) and multiplier.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "qu8s8-spmm.h"
#include "../qu8s8-gemm/qu8s8-gemm-store-avx512.h"

namespace sparq {
namespace {

constexpr __mmask16 kAll = 0xffff;

int32_t row_dot(const int32_t* group, const int32_t* word, int32_t p, int32_t p_end, const uint8_t* x) {
  __m512i acc = _mm512_setzero_si512();
  for (; p < p_end; p += 16) {
    const __mmask16 mask = p_end - p >= 16 ? kAll : static_cast<__mmask16>((1u << (p_end - p)) - 1);
    const __m512i g = _mm512_maskz_loadu_epi32(mask, group + p);
    const __m512i xv = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, g, x, 4);
    acc = _mm512_dpbusd_epi32(acc, xv, _mm512_maskz_loadu_epi32(mask, word + p));
  }
  // Halving sums: 256-bit halves, 128-bit quarters, then within 128 bits.
  // Shuffles and extract are all-lanes masked: the plain ones trip GCC 12's
  // -Wuninitialized (bug 105593).
  acc = _mm512_add_epi32(acc, _mm512_maskz_shuffle_i32x4(kAll, acc, acc, 0x4e));
  acc = _mm512_add_epi32(acc, _mm512_maskz_shuffle_i32x4(kAll, acc, acc, 0xb1));
  __m128i q = _mm512_maskz_extracti32x4_epi32(0xf, acc, 0);
  q = _mm_add_epi32(q, _mm_shuffle_epi32(q, _MM_SHUFFLE(1, 0, 3, 2)));
  q = _mm_add_epi32(q, _mm_shuffle_epi32(q, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(q);
}

// acc[0..kVecs) (and odd[...] for every other entry) += the row's entries on
// the kVecs * 16 columns at xm.
template <int kVecs>
inline void entries(__m512i* acc, const int32_t* group, const int32_t* word, int32_t p, int32_t p_end,
                    const uint8_t* xm, std::size_t group_bytes) {
  __m512i odd[kVecs];
  for (int i = 0; i < kVecs; ++i) acc[i] = odd[i] = _mm512_setzero_si512();
  for (; p + 2 <= p_end; p += 2) {
    const __m512i w0 = _mm512_set1_epi32(word[p]), w1 = _mm512_set1_epi32(word[p + 1]);
    const uint8_t* x0 = xm + static_cast<std::size_t>(group[p]) * group_bytes;
    const uint8_t* x1 = xm + static_cast<std::size_t>(group[p + 1]) * group_bytes;
    for (int i = 0; i < kVecs; ++i) {
      acc[i] = _mm512_dpbusd_epi32(acc[i], _mm512_loadu_si512(x0 + 64 * i), w0);
      odd[i] = _mm512_dpbusd_epi32(odd[i], _mm512_loadu_si512(x1 + 64 * i), w1);
    }
  }
  if (p < p_end) {
    const __m512i w0 = _mm512_set1_epi32(word[p]);
    const uint8_t* x0 = xm + static_cast<std::size_t>(group[p]) * group_bytes;
    for (int i = 0; i < kVecs; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], _mm512_loadu_si512(x0 + 64 * i), w0);
  }
  for (int i = 0; i < kVecs; ++i) acc[i] = _mm512_add_epi32(acc[i], odd[i]);
}

template <QOutput kOut>
void rows(const QSparseW& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin, std::size_t m_end,
          const uint8_t* xp, std::size_t ldxp, const int32_t* row_terms, const QGemmStore& store, void* y,
          std::size_t ldy) {
  constexpr std::size_t kSize = kOut == QOutput::kUint8 || kOut == QOutput::kInt8 ? 1 : 4;
  alignas(64) int32_t terms[16];
  alignas(64) float multipliers[16];
  QGemmStore st = store;
  st.multipliers = multipliers;
  const int32_t* group = w.group.data();
  const int32_t* word = w.word.data();
  const std::size_t group_bytes = ldxp * kQSpmmKr;
  auto set_row = [&](std::size_t n) {
    _mm512_store_si512(terms, _mm512_set1_epi32(row_terms[n]));
    if (kOut != QOutput::kInt32) _mm512_store_ps(multipliers, _mm512_set1_ps(store.multipliers[n]));
  };
  if (m_end - m_begin == 1 && ldxp == 1) {
    for (std::size_t n = row_begin; n < row_end; ++n) {
      set_row(n);
      const __m512i v = _mm512_set1_epi32(row_dot(group, word, w.indptr[n], w.indptr[n + 1], xp + m_begin * kQSpmmKr));
      store_rows<kOut>(1, 1, &v, terms, nullptr, nullptr, st, static_cast<uint8_t*>(y) + (n * ldy + m_begin) * kSize, ldy);
    }
    return;
  }
  // Strip-outer (the driver passes one 32-column strip of X, which stays in L1).
  for (std::size_t m0 = m_begin; m0 < m_end; m0 += 32) {
    const std::size_t cols = std::min<std::size_t>(32, m_end - m0);
    const uint8_t* xm = xp + m0 * kQSpmmKr;
    for (std::size_t n = row_begin; n < row_end; ++n) {
      set_row(n);
      uint8_t* yr = static_cast<uint8_t*>(y) + (n * ldy + m0) * kSize;
      __m512i acc[2];
      if (cols > 16) {
        entries<2>(acc, group, word, w.indptr[n], w.indptr[n + 1], xm, group_bytes);
        store_rows<kOut>(1, 16, &acc[0], terms, nullptr, nullptr, st, yr, ldy);
        store_rows<kOut>(1, cols - 16, &acc[1], terms, nullptr, nullptr, st, yr + 16 * kSize, ldy);
      } else {
        entries<1>(acc, group, word, w.indptr[n], w.indptr[n + 1], xm, group_bytes);
        store_rows<kOut>(1, cols, &acc[0], terms, nullptr, nullptr, st, yr, ldy);
      }
    }
  }
}

}  // namespace

void qu8s8_spmm_32_avx512vnni(const QSparseW& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                              std::size_t m_end, const uint8_t* xp, std::size_t ldxp, const int32_t* row_terms,
                              const QGemmStore& store, void* y, std::size_t ldy) {
  with_output_kind(store.output, [&](auto kind) {
    rows<decltype(kind)::value>(w, row_begin, row_end, m_begin, m_end, xp, ldxp, row_terms, store, y, ldy);
  });
}

}  // namespace sparq
