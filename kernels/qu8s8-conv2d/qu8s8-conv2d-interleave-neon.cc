// NEON interleaving of 4 uint8 channel rows into 32-bit position words
// (qu8s8-conv2d's image layout), the counterpart of
// qu8s8-conv2d-interleave-avx2.cc: ST4 stores 16 bytes of each channel
// interleaved by 4, which on little-endian AArch64 is exactly the words
// c0 | c1 << 8 | c2 << 16 | c3 << 24 of 16 positions, one instruction per
// step. A row's last n % 16 positions go through the same step on copies
// padded to 16 (the rows may end the input, the words the image).
#include <arm_neon.h>

#include <cstring>

#include "qu8s8-conv2d.h"

namespace sparq {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ST4 writes the words' bytes in memory order");

void qu8s8_conv2d_interleave_neon(const uint8_t* c0, const uint8_t* c1, const uint8_t* c2, const uint8_t* c3,
                                  std::size_t n, uint32_t* out) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const uint8x16x4_t b = {{vld1q_u8(c0 + i), vld1q_u8(c1 + i), vld1q_u8(c2 + i), vld1q_u8(c3 + i)}};
    vst4q_u8(reinterpret_cast<uint8_t*>(out + i), b);
  }
  if (i == n) return;
  uint8_t tail[4][16] = {};
  uint32_t words[16];
  const std::size_t rest = n - i;
  std::memcpy(tail[0], c0 + i, rest);
  std::memcpy(tail[1], c1 + i, rest);
  std::memcpy(tail[2], c2 + i, rest);
  std::memcpy(tail[3], c3 + i, rest);
  const uint8x16x4_t b = {{vld1q_u8(tail[0]), vld1q_u8(tail[1]), vld1q_u8(tail[2]), vld1q_u8(tail[3])}};
  vst4q_u8(reinterpret_cast<uint8_t*>(words), b);
  std::memcpy(out + i, words, rest * sizeof(uint32_t));
}

}  // namespace sparq
