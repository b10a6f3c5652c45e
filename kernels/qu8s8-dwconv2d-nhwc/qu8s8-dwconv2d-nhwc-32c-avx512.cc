// AVX-512 qu8s8-dwconv2d-nhwc: the AVX2 variant's tap pairs 32 channels at a
// time, the last block under masks (loads past the last channel read
// nothing). vpunpck{l,h}wd work within 128-bit lanes: the low accumulator
// holds channels 8k..8k+3 of lane k, the high one 8k+4..8k+7; two vpermt2q
// per pixel put them back in order. Layers of at most 16 channels run on
// the AVX2 row, whose 16 lanes they fill.
#include <immintrin.h>

#include <cstdint>

#include "qu8s8-dwconv2d-nhwc.h"

namespace sparq {
namespace {

constexpr std::size_t kMaxPairs = 64;

// A column's tap pixels, as in the AVX2 variant: through the indirection row, or at fixed offsets from an interior column's window.
// Interior columns run two at a time.
struct Indirect {
  const uint8_t* const* column;
  const uint8_t* operator()(std::size_t t) const { return column[t]; }
};
struct Direct {
  const uint8_t* window;
  const std::ptrdiff_t* offsets;
  const uint8_t* operator()(std::size_t t) const { return window + offsets[t]; }
};

// Channels [c, c + 32) of every column, those from `channels` on masked off; kPairs as in the AVX2 variant.
template <std::size_t kPairs>
void block32(const Qu8s8DwConv2dNhwcRow& r, std::size_t c, __m512i (*weights)[2]) {
  const std::size_t pairs = kPairs != 0 ? kPairs : r.tap_stride / 2;
  const std::size_t count = r.channels - c < 32 ? r.channels - c : 32;
  const __mmask32 mask = static_cast<__mmask32>(count == 32 ? ~0u : (1u << count) - 1);
  const __mmask16 mask_lo = static_cast<__mmask16>(mask), mask_hi = static_cast<__mmask16>(mask >> 16);
  for (std::size_t p = 0; p < pairs; p++) {
    const __m512i a = _mm512_loadu_si512(r.weights + 2 * p * r.channels_padded + c);
    const __m512i b = _mm512_loadu_si512(r.weights + (2 * p + 1) * r.channels_padded + c);
    weights[p][0] = _mm512_unpacklo_epi16(a, b);
    weights[p][1] = _mm512_unpackhi_epi16(a, b);
  }
  const __m512i bias_lo = _mm512_maskz_loadu_epi32(mask_lo, r.bias + c);
  const __m512i bias_hi = _mm512_maskz_loadu_epi32(mask_hi, r.bias + c + 16);
  const __m512i order_lo = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
  const __m512i order_hi = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
  const auto store = [&](std::size_t ow, __m512i lo, __m512i hi) {
    int32_t* out = r.acc + ow * r.channels + c;
    _mm512_mask_storeu_epi32(out, mask_lo, _mm512_add_epi32(_mm512_permutex2var_epi64(lo, order_lo, hi), bias_lo));
    _mm512_mask_storeu_epi32(out + 16, mask_hi, _mm512_add_epi32(_mm512_permutex2var_epi64(lo, order_hi, hi), bias_hi));
  };
  const auto widened = [&](const uint8_t* p) { return _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(mask, p)); };
  const auto column = [&](std::size_t ow, auto taps) {
    __m512i lo = _mm512_setzero_si512(), hi = _mm512_setzero_si512();
    for (std::size_t p = 0; p < pairs; p++) {
      const __m512i a = widened(taps(2 * p) + c), b = widened(taps(2 * p + 1) + c);
      lo = _mm512_add_epi32(lo, _mm512_madd_epi16(_mm512_unpacklo_epi16(a, b), weights[p][0]));
      hi = _mm512_add_epi32(hi, _mm512_madd_epi16(_mm512_unpackhi_epi16(a, b), weights[p][1]));
    }
    store(ow, lo, hi);
  };
  for (std::size_t ow = 0; ow < r.out_w;) {
    const bool inner = ow >= r.interior_begin && ow < r.interior_end;
    if (!inner) {
      column(ow, Indirect{r.inputs + ow * r.tap_stride});
      ow++;
      continue;
    }
    const uint8_t* window = r.origin + (ow - r.interior_begin) * r.column_step;
    if (ow + 1 == r.interior_end) {
      column(ow, Direct{window, r.tap_offsets});
      ow++;
      continue;
    }
    // Two interior columns at once: each weight vector loaded once for both.
    const uint8_t* first = window + c;
    const uint8_t* next = first + r.column_step;
    __m512i lo0 = _mm512_setzero_si512(), hi0 = _mm512_setzero_si512(), lo1 = _mm512_setzero_si512(), hi1 = _mm512_setzero_si512();
    for (std::size_t p = 0; p < pairs; p++) {
      const std::ptrdiff_t ta = r.tap_offsets[2 * p], tb = r.tap_offsets[2 * p + 1];
      const __m512i w0 = weights[p][0], w1 = weights[p][1];
      const __m512i a0 = widened(first + ta), b0 = widened(first + tb), a1 = widened(next + ta), b1 = widened(next + tb);
      lo0 = _mm512_add_epi32(lo0, _mm512_madd_epi16(_mm512_unpacklo_epi16(a0, b0), w0));
      hi0 = _mm512_add_epi32(hi0, _mm512_madd_epi16(_mm512_unpackhi_epi16(a0, b0), w1));
      lo1 = _mm512_add_epi32(lo1, _mm512_madd_epi16(_mm512_unpacklo_epi16(a1, b1), w0));
      hi1 = _mm512_add_epi32(hi1, _mm512_madd_epi16(_mm512_unpackhi_epi16(a1, b1), w1));
    }
    store(ow, lo0, hi0);
    store(ow + 1, lo1, hi1);
    ow += 2;
  }
}

}  // namespace

void qu8s8_dwconv2d_nhwc_32c_avx512(const Qu8s8DwConv2dNhwcRow& r) {
  if (r.channels <= 16) return qu8s8_dwconv2d_nhwc_16c_avx2(r);
  const std::size_t pairs = r.tap_stride / 2;
  if (pairs > kMaxPairs) return qu8s8_dwconv2d_nhwc_1c_scalar(r);
  __m512i weights[kMaxPairs][2];
  for (std::size_t c = 0; c < r.channels; c += 32) {
    if (pairs == 5) block32<5>(r, c, weights);
    else if (pairs == 13) block32<13>(r, c, weights);
    else block32<0>(r, c, weights);
  }
}

}  // namespace sparq
