// AVX2 interleaving of 4 uint8 channel rows into 32-bit position words
// (qu8s8-conv2d's image layout), 32 positions per step: bytes of channels
// 0/1 and 2/3 unpacked into 16-bit pairs, the pairs into words. The unpacks
// work within 128-bit lanes, so each step's four word vectors hold positions
// {0-3, 16-19}, {4-7, 20-23}, {8-11, 24-27}, {12-15, 28-31}, and vperm2i128
// puts them back in order. A row's last n % 32 positions (all of a CIFAR
// map's 15) go through the same step on a copy padded to 32.
#include <immintrin.h>

#include <cstring>

#include "qu8s8-conv2d.h"

namespace sparq {
namespace {

inline __m256i load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

void step(const uint8_t* c0, const uint8_t* c1, const uint8_t* c2, const uint8_t* c3, uint32_t* out) {
  const __m256i b0 = load(c0), b1 = load(c1), b2 = load(c2), b3 = load(c3);
  const __m256i lo01 = _mm256_unpacklo_epi8(b0, b1), hi01 = _mm256_unpackhi_epi8(b0, b1);
  const __m256i lo23 = _mm256_unpacklo_epi8(b2, b3), hi23 = _mm256_unpackhi_epi8(b2, b3);
  const __m256i w0 = _mm256_unpacklo_epi16(lo01, lo23), w1 = _mm256_unpackhi_epi16(lo01, lo23);
  const __m256i w2 = _mm256_unpacklo_epi16(hi01, hi23), w3 = _mm256_unpackhi_epi16(hi01, hi23);
  __m256i* o = reinterpret_cast<__m256i*>(out);
  _mm256_storeu_si256(o, _mm256_permute2x128_si256(w0, w1, 0x20));
  _mm256_storeu_si256(o + 1, _mm256_permute2x128_si256(w2, w3, 0x20));
  _mm256_storeu_si256(o + 2, _mm256_permute2x128_si256(w0, w1, 0x31));
  _mm256_storeu_si256(o + 3, _mm256_permute2x128_si256(w2, w3, 0x31));
}

}  // namespace

void qu8s8_conv2d_interleave_avx2(const uint8_t* c0, const uint8_t* c1, const uint8_t* c2, const uint8_t* c3,
                                  std::size_t n, uint32_t* out) {
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) step(c0 + i, c1 + i, c2 + i, c3 + i, out + i);
  if (i == n) return;
  uint8_t tail[4][32] = {};
  uint32_t words[32];
  const std::size_t rest = n - i;
  std::memcpy(tail[0], c0 + i, rest);
  std::memcpy(tail[1], c1 + i, rest);
  std::memcpy(tail[2], c2 + i, rest);
  std::memcpy(tail[3], c3 + i, rest);
  step(tail[0], tail[1], tail[2], tail[3], words);
  std::memcpy(out + i, words, rest * sizeof(uint32_t));
}

}  // namespace sparq
