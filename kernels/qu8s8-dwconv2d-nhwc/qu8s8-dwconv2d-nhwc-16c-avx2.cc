// AVX2 qu8s8-dwconv2d-nhwc: 16 channels at a time (then 8, then the last
// few through a copy), taps in pairs: the two taps' bytes widened to int16
// and interleaved (vpunpck{l,h}wd) meet the two taps' weights interleaved the
// same way, so one vpmaddwd + vpaddd adds both taps for 8 channels. The
// unpacks work within 128-bit lanes: the low accumulator holds channels 0-3
// and 8-11, the high one 4-7 and 12-15, put back in order once per pixel.
// The block's interleaved weights are built once per row and stay in L1;
// interior columns run two at a time, each weight vector loaded once for both.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "qu8s8-dwconv2d-nhwc.h"

namespace sparq {
namespace {

constexpr std::size_t kMaxPairs = 64;  // kernels of up to 128 taps keep their weights on the stack

// A column's tap pixels: through the indirection row, or at fixed offsets from an interior column's window.
struct Indirect {
  const uint8_t* const* column;
  const uint8_t* operator()(std::size_t t) const { return column[t]; }
};
struct Direct {
  const uint8_t* window;
  const std::ptrdiff_t* offsets;
  const uint8_t* operator()(std::size_t t) const { return window + offsets[t]; }
};

// Runs pixel(ow, taps) for every column of the row with its taps' source.
template <typename Pixel>
inline void for_each_column(const Qu8s8DwConv2dNhwcRow& r, Pixel pixel) {
  for (std::size_t ow = 0; ow < r.out_w; ow++) {
    if (ow >= r.interior_begin && ow < r.interior_end)
      pixel(ow, Direct{r.origin + (ow - r.interior_begin) * r.column_step, r.tap_offsets});
    else
      pixel(ow, Indirect{r.inputs + ow * r.tap_stride});
  }
}

inline __m256i widened16(const uint8_t* p) { return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

// Channels [c, c + 16) of every column; kPairs is the tap pair count when
// known at compile time (3x3: 5, 5x5: 13), else 0.
template <std::size_t kPairs>
void block16(const Qu8s8DwConv2dNhwcRow& r, std::size_t c, __m256i (*weights)[2]) {
  const std::size_t pairs = kPairs != 0 ? kPairs : r.tap_stride / 2;
  for (std::size_t p = 0; p < pairs; p++) {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.weights + 2 * p * r.channels_padded + c));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.weights + (2 * p + 1) * r.channels_padded + c));
    weights[p][0] = _mm256_unpacklo_epi16(a, b);
    weights[p][1] = _mm256_unpackhi_epi16(a, b);
  }
  const __m256i bias_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.bias + c));
  const __m256i bias_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.bias + c + 8));
  const auto store = [&](std::size_t ow, __m256i lo, __m256i hi) {
    int32_t* out = r.acc + ow * r.channels + c;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20), bias_lo));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8), _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x31), bias_hi));
  };
  const auto column = [&](std::size_t ow, auto taps) {
    __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
    for (std::size_t p = 0; p < pairs; p++) {
      const __m256i a = widened16(taps(2 * p) + c), b = widened16(taps(2 * p + 1) + c);
      lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), weights[p][0]));
      hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), weights[p][1]));
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
    __m256i lo0 = _mm256_setzero_si256(), hi0 = _mm256_setzero_si256(), lo1 = _mm256_setzero_si256(), hi1 = _mm256_setzero_si256();
    for (std::size_t p = 0; p < pairs; p++) {
      const std::ptrdiff_t ta = r.tap_offsets[2 * p], tb = r.tap_offsets[2 * p + 1];
      const __m256i w0 = weights[p][0], w1 = weights[p][1];
      const __m256i a0 = widened16(first + ta), b0 = widened16(first + tb), a1 = widened16(next + ta), b1 = widened16(next + tb);
      lo0 = _mm256_add_epi32(lo0, _mm256_madd_epi16(_mm256_unpacklo_epi16(a0, b0), w0));
      hi0 = _mm256_add_epi32(hi0, _mm256_madd_epi16(_mm256_unpackhi_epi16(a0, b0), w1));
      lo1 = _mm256_add_epi32(lo1, _mm256_madd_epi16(_mm256_unpacklo_epi16(a1, b1), w0));
      hi1 = _mm256_add_epi32(hi1, _mm256_madd_epi16(_mm256_unpackhi_epi16(a1, b1), w1));
    }
    store(ow, lo0, hi0);
    store(ow + 1, lo1, hi1);
    ow += 2;
  }
}

// Eight channels' bytes at p, or the `count` < 8 left (the rest 0: their weights are 0 too).
inline __m128i widened8(const uint8_t* p, std::size_t count) {
  if (count >= 8) return _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  uint8_t bytes[8] = {};
  std::memcpy(bytes, p, count);
  return _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes)));
}

// Channels [c, c + min(8, channels - c)) of every column, on 128-bit vectors.
void block8(const Qu8s8DwConv2dNhwcRow& r, std::size_t c, __m128i (*weights)[2]) {
  const std::size_t pairs = r.tap_stride / 2, count = r.channels - c < 8 ? r.channels - c : 8;
  for (std::size_t p = 0; p < pairs; p++) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r.weights + 2 * p * r.channels_padded + c));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r.weights + (2 * p + 1) * r.channels_padded + c));
    weights[p][0] = _mm_unpacklo_epi16(a, b);
    weights[p][1] = _mm_unpackhi_epi16(a, b);
  }
  for_each_column(r, [&](std::size_t ow, auto taps) {
    __m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();
    for (std::size_t p = 0; p < pairs; p++) {
      const __m128i a = widened8(taps(2 * p) + c, count), b = widened8(taps(2 * p + 1) + c, count);
      lo = _mm_add_epi32(lo, _mm_madd_epi16(_mm_unpacklo_epi16(a, b), weights[p][0]));
      hi = _mm_add_epi32(hi, _mm_madd_epi16(_mm_unpackhi_epi16(a, b), weights[p][1]));
    }
    int32_t sums[8];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(sums), lo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(sums + 4), hi);
    int32_t* out = r.acc + ow * r.channels + c;
    for (std::size_t i = 0; i < count; i++) out[i] = static_cast<int32_t>(static_cast<uint32_t>(sums[i]) + static_cast<uint32_t>(r.bias[c + i]));
  });
}

}  // namespace

void qu8s8_dwconv2d_nhwc_16c_avx2(const Qu8s8DwConv2dNhwcRow& r) {
  if (r.tap_stride / 2 > kMaxPairs) return qu8s8_dwconv2d_nhwc_1c_scalar(r);
  std::size_t c = 0;
  {
    __m256i weights[kMaxPairs][2];
    const std::size_t pairs = r.tap_stride / 2;
    for (; c + 16 <= r.channels; c += 16) {
      if (pairs == 5) block16<5>(r, c, weights);
      else if (pairs == 13) block16<13>(r, c, weights);
      else block16<0>(r, c, weights);
    }
  }
  __m128i weights[kMaxPairs][2];
  for (; c < r.channels; c += 8) block8(r, c, weights);
}

}  // namespace sparq
