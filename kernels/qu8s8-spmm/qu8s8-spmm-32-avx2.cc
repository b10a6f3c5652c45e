// Exact AVX2 qu8s8-spmm, per output row, 32 columns (four ymm of 8) per step,
// then 16 at a time, on the repacked X groups (8 columns x 4 K values per
// 32-byte load).
//
// Exactness: vpmaddubsw multiplies u8 X by s8 weights and adds adjacent
// products into a saturating int16, exact only while |x0*w0 + x1*w1| <=
// 32767. Packing puts each row's pair-safe entries first (in every byte pair
// one weight is 0 or |w0| + |w1| <= 128, so the sum is at most 255 * 128):
// those take one vpmaddubsw + vpmaddwd(ones) + add. The rest are split into
// their even and odd bytes (word & 0x00ff00ff, word & 0xff00ff00), each pair
// then holding one product: two of each. Unstructured sparsity at the
// densities that pay off is almost all single-weight groups, hence safe.
//
// M = 1 (GEMV): 8 entries at a time, their X words gathered by group index,
// both operands widened to int16 and multiplied with vpmaddwd (exact for any
// weights), summed across lanes at the end of the row.
// The output stage is qu8s8-gemm's AVX2 store_rows on one row, fed 16-lane
// copies of the row's term and multiplier.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "qu8s8-spmm.h"
#include "../qu8s8-gemm/qu8s8-gemm-store-avx2.h"

namespace sparq {
namespace {

inline __m256i hsum_broadcast(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm256_broadcastd_epi32(s);
}

__m256i row_dot(const int32_t* group, const int32_t* word, int32_t p, int32_t p_end, const uint8_t* x) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i acc = _mm256_setzero_si256();
  for (; p < p_end; p += 8) {
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(p_end - p), lanes);
    const __m256i g = _mm256_maskload_epi32(group + p, mask);
    const __m256i xv = _mm256_mask_i32gather_epi32(_mm256_setzero_si256(), reinterpret_cast<const int*>(x), g, mask, 4);
    const __m256i wv = _mm256_maskload_epi32(word + p, mask);
    const __m256i lo = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(xv)),
                                         _mm256_cvtepi8_epi16(_mm256_castsi256_si128(wv)));
    const __m256i hi = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm256_extracti128_si256(xv, 1)),
                                         _mm256_cvtepi8_epi16(_mm256_extracti128_si256(wv, 1)));
    acc = _mm256_add_epi32(acc, _mm256_add_epi32(lo, hi));
  }
  return hsum_broadcast(acc);
}

// Adds x * word (one entry, 8 columns) to acc; kSplit for entries that are not pair-safe.
template <bool kSplit>
inline __m256i step(__m256i acc, __m256i x, __m256i word, __m256i ones) {
  if (!kSplit) return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(x, word), ones));
  const __m256i even = _mm256_and_si256(word, _mm256_set1_epi32(0x00ff00ff));
  const __m256i odd = _mm256_and_si256(word, _mm256_set1_epi32(static_cast<int>(0xff00ff00u)));
  acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(x, even), ones));
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(x, odd), ones));
}

// acc[0..kVecs) += the entries [p, p_end) on the kVecs * 8 columns at xm.
template <bool kSplit, int kVecs>
inline void entries(__m256i* acc, const int32_t* group, const int32_t* word, int32_t p, int32_t p_end,
                    const uint8_t* xm, std::size_t group_bytes, __m256i ones) {
  for (; p < p_end; ++p) {
    const __m256i wv = _mm256_set1_epi32(word[p]);
    const uint8_t* x = xm + static_cast<std::size_t>(group[p]) * group_bytes;
    for (int i = 0; i < kVecs; ++i)
      acc[i] = step<kSplit>(acc[i], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32 * i)), wv, ones);
  }
}

template <QOutput kOut>
void rows(const QSparseW& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin, std::size_t m_end,
          const uint8_t* xp, std::size_t ldxp, const int32_t* row_terms, const QGemmStore& store, void* y,
          std::size_t ldy) {
  constexpr std::size_t kSize = kOut == QOutput::kUint8 || kOut == QOutput::kInt8 ? 1 : 4;
  alignas(32) int32_t terms[16];
  alignas(32) float multipliers[16];
  QGemmStore st = store;
  st.multipliers = multipliers;
  const int32_t* group = w.group.data();
  const int32_t* word = w.word.data();
  const __m256i ones = _mm256_set1_epi16(1);
  const std::size_t group_bytes = ldxp * kQSpmmKr;
  for (std::size_t n = row_begin; n < row_end; ++n) {
    const __m256i t = _mm256_set1_epi32(row_terms[n]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(terms), t);
    _mm256_store_si256(reinterpret_cast<__m256i*>(terms + 8), t);
    if (kOut != QOutput::kInt32) {
      const __m256 mul = _mm256_set1_ps(store.multipliers[n]);
      _mm256_store_ps(multipliers, mul);
      _mm256_store_ps(multipliers + 8, mul);
    }
    const int32_t p_begin = w.indptr[n], p_safe = w.pair_safe_end[n], p_end = w.indptr[n + 1];
    uint8_t* yr = static_cast<uint8_t*>(y) + n * ldy * kSize;
    if (m_end - m_begin == 1 && ldxp == 1) {
      const __m256i v[1][2] = {{row_dot(group, word, p_begin, p_end, xp + m_begin * kQSpmmKr), _mm256_setzero_si256()}};
      store_rows<kOut>(1, 1, v, terms, nullptr, nullptr, st, yr + m_begin * kSize, ldy);
      continue;
    }
    std::size_t m0 = m_begin;
    for (; m0 + 32 <= m_end; m0 += 32) {
      __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
      const uint8_t* xm = xp + m0 * kQSpmmKr;
      entries<false, 4>(acc, group, word, p_begin, p_safe, xm, group_bytes, ones);
      entries<true, 4>(acc, group, word, p_safe, p_end, xm, group_bytes, ones);
      const __m256i v[2][2] = {{acc[0], acc[1]}, {acc[2], acc[3]}};
      store_rows<kOut>(1, 16, &v[0], terms, nullptr, nullptr, st, yr + m0 * kSize, ldy);
      store_rows<kOut>(1, 16, &v[1], terms, nullptr, nullptr, st, yr + (m0 + 16) * kSize, ldy);
    }
    for (; m0 < m_end; m0 += 16) {
      __m256i acc[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
      const uint8_t* xm = xp + m0 * kQSpmmKr;
      entries<false, 2>(acc, group, word, p_begin, p_safe, xm, group_bytes, ones);
      entries<true, 2>(acc, group, word, p_safe, p_end, xm, group_bytes, ones);
      const __m256i v[1][2] = {{acc[0], acc[1]}};
      store_rows<kOut>(1, std::min<std::size_t>(16, m_end - m0), v, terms, nullptr, nullptr, st, yr + m0 * kSize, ldy);
    }
  }
}

}  // namespace

void qu8s8_spmm_32_avx2(const QSparseW& w, std::size_t row_begin, std::size_t row_end, std::size_t m_begin,
                        std::size_t m_end, const uint8_t* xp, std::size_t ldxp, const int32_t* row_terms,
                        const QGemmStore& store, void* y, std::size_t ldy) {
  with_output_kind(store.output, [&](auto kind) {
    rows<decltype(kind)::value>(w, row_begin, row_end, m_begin, m_end, xp, ldxp, row_terms, store, y, ldy);
  });
}

}  // namespace sparq
