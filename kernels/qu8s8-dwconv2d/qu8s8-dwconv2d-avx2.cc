// AVX2 qu8s8-dwconv2d: the pair layout (qu8s8-dwconv2d.h) built 16 words at
// a time for strides 1 and 2, and summed 8 outputs at a time, one vpmaddwd
// + vpaddd per tap (two kernel rows): 6 for a 3x3 kernel, 15 for a 5x5.
//
// Building: 16 columns of a row pair widened to int16 less the zero point
// (stride 2: 32 bytes read as 16 words, whose low bytes are the even
// columns and high bytes the odd ones), interleaved (vpunpck{l,h}wd works
// within 128-bit lanes, so vperm2i128 puts the words back in column order).
#include <immintrin.h>

#include <cstdint>

#include "qu8s8-dwconv2d.h"

namespace sparq {
namespace {

constexpr std::size_t kWords = 16;

// Words j .. j+15 of the pair rows whose int16 values are a and b (8 + 8 each).
inline void store_pairs(int32_t* out, __m256i a, __m256i b) {
  const __m256i lo = _mm256_unpacklo_epi16(a, b), hi = _mm256_unpackhi_epi16(a, b);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_permute2x128_si256(lo, hi, 0x20));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
}

inline __m256i widened(const uint8_t* row, __m256i zx) {
  return _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row))), zx);
}

// Sums of one plane; kTaps is the tap count when known at compile time (then
// the weights and offsets stay in registers), else 0.
template <std::size_t kTaps>
void sums(const Qu8s8DwConv2dPlane& p) {
  constexpr std::size_t kMax = kTaps != 0 ? kTaps : 1;
  const std::size_t taps = kTaps != 0 ? kTaps : p.taps;
  __m256i weights[kMax];
  std::ptrdiff_t offsets[kMax];
  if (kTaps != 0)
    for (std::size_t t = 0; t < kMax; t++) {
      weights[t] = _mm256_set1_epi32(p.tap_weights[t]);
      offsets[t] = p.tap_offsets[t];
    }
  const int tail = static_cast<int>(p.out_w % 8);
  const __m256i tail_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(tail), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (std::size_t oh = 0; oh < p.out_h; oh++) {
    const int32_t* base = p.pairs + oh * p.row_step;
    int32_t* out = p.acc + oh * p.out_w;
    for (std::size_t ow = 0; ow < p.out_w; ow += 8) {
      __m256i acc = _mm256_setzero_si256();
      for (std::size_t t = 0; t < taps; t++) {
        const std::ptrdiff_t offset = kTaps != 0 ? offsets[t] : p.tap_offsets[t];
        const __m256i w = kTaps != 0 ? weights[t] : _mm256_set1_epi32(p.tap_weights[t]);
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(base + offset + ow));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, w));
      }
      if (ow + 8 <= p.out_w) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + ow), acc);
      else _mm256_maskstore_epi32(out + ow, tail_mask, acc);
    }
  }
}

}  // namespace

void qu8s8_dwconv2d_pack_avx2(const Qu8s8DwConv2dPlane& p) {
  if (p.stride_w > 2) return qu8s8_dwconv2d_pack_scalar(p, 0);
  const std::size_t vector_words = p.phase_width / kWords * kWords;
  const __m256i zx = _mm256_set1_epi16(p.zero_point);
  const __m256i low_bytes = _mm256_set1_epi16(0xff);
  for (std::size_t r = 0; r < p.pair_rows; r++) {
    const uint8_t* a = p.padded + r * p.row_gcd * p.padded_stride;
    const uint8_t* b = a + p.dilation_h * p.padded_stride;
    int32_t* out = p.pairs + r * p.stride_w * p.phase_width;
    if (p.stride_w == 1) {
      for (std::size_t j = 0; j < vector_words; j += kWords) store_pairs(out + j, widened(a + j, zx), widened(b + j, zx));
      continue;
    }
    for (std::size_t j = 0; j < vector_words; j += kWords) {
      const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 2 * j));
      const __m256i vb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 2 * j));
      store_pairs(out + j, _mm256_sub_epi16(_mm256_and_si256(va, low_bytes), zx), _mm256_sub_epi16(_mm256_and_si256(vb, low_bytes), zx));
      store_pairs(out + p.phase_width + j, _mm256_sub_epi16(_mm256_srli_epi16(va, 8), zx), _mm256_sub_epi16(_mm256_srli_epi16(vb, 8), zx));
    }
  }
  if (vector_words < p.phase_width) qu8s8_dwconv2d_pack_scalar(p, vector_words);
}

void qu8s8_dwconv2d_avx2(const Qu8s8DwConv2dPlane& p) {
  qu8s8_dwconv2d_pack_avx2(p);
  // 3x3 and 5x5: two and three kernel-row pairs.
  if (p.taps == 6) return sums<6>(p);
  if (p.taps == 15) return sums<15>(p);
  sums<0>(p);
}

}  // namespace sparq
