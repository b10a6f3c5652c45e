// AVX-512 qu8s8-dwconv2d: AVX2's pair layout (built by the AVX2 variant's
// builder), summed 16 outputs at a time, one vpmaddwd + vpaddd per tap; the
// last vector of a row stores under a mask.
#include <immintrin.h>

#include <cstdint>

#include "qu8s8-dwconv2d.h"

namespace sparq {
namespace {

// As the AVX2 variant's: kTaps known at compile time (3x3, 5x5) or 0.
template <std::size_t kTaps>
void sums(const Qu8s8DwConv2dPlane& p) {
  constexpr std::size_t kMax = kTaps != 0 ? kTaps : 1;
  const std::size_t taps = kTaps != 0 ? kTaps : p.taps;
  __m512i weights[kMax];
  std::ptrdiff_t offsets[kMax];
  if (kTaps != 0)
    for (std::size_t t = 0; t < kMax; t++) {
      weights[t] = _mm512_set1_epi32(p.tap_weights[t]);
      offsets[t] = p.tap_offsets[t];
    }
  const __mmask16 tail_mask = static_cast<__mmask16>((1u << (p.out_w % 16)) - 1);
  for (std::size_t oh = 0; oh < p.out_h; oh++) {
    const int32_t* base = p.pairs + oh * p.row_step;
    int32_t* out = p.acc + oh * p.out_w;
    for (std::size_t ow = 0; ow < p.out_w; ow += 16) {
      __m512i acc = _mm512_setzero_si512();
      for (std::size_t t = 0; t < taps; t++) {
        const std::ptrdiff_t offset = kTaps != 0 ? offsets[t] : p.tap_offsets[t];
        const __m512i w = kTaps != 0 ? weights[t] : _mm512_set1_epi32(p.tap_weights[t]);
        acc = _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_loadu_si512(base + offset + ow), w));
      }
      if (ow + 16 <= p.out_w) _mm512_storeu_si512(out + ow, acc);
      else _mm512_mask_storeu_epi32(out + ow, tail_mask, acc);
    }
  }
}

}  // namespace

void qu8s8_dwconv2d_avx512(const Qu8s8DwConv2dPlane& p) {
  // Rows of at most 8 outputs (7x7 maps) waste half of every 16-lane vector: AVX2's 8 lanes do them.
  if (p.out_w <= 8) return qu8s8_dwconv2d_avx2(p);
  qu8s8_dwconv2d_pack_avx2(p);
  if (p.taps == 6) return sums<6>(p);
  if (p.taps == 15) return sums<15>(p);
  sums<0>(p);
}

}  // namespace sparq
