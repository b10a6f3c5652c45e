// Portable qu8s8-conv2d microkernel: one block row of 4 channels, one vector
// of 16 positions at a time, the same exact int32 sums as the VNNI kernel.
#include <cstdint>

#include "qu8s8-conv2d.h"

namespace sparq {

void qu8s8_conv2d_4x16c4_scalar(const Qu8s8Conv2dTile& t) {
  for (std::size_t v = 0; v < t.vectors; ++v) {
    int32_t acc[4][16] = {};
    for (std::size_t e = 0; e < t.entries; ++e) {
      const uint8_t* x = t.x + (static_cast<std::size_t>(t.offsets[e]) + v * 16) * 4;
      for (std::size_t r = 0; r < 4; ++r) {
        const uint32_t word = static_cast<uint32_t>(t.words[4 * e + r]);
        for (std::size_t lane = 0; lane < 16; ++lane)
          for (std::size_t q = 0; q < 4; ++q)
            acc[r][lane] += static_cast<int32_t>(x[lane * 4 + q]) * static_cast<int8_t>(word >> (8 * q) & 0xFF);
      }
    }
    for (std::size_t r = 0; r < t.rows; ++r) {
      for (std::size_t lane = 0; lane < 16; ++lane) acc[r][lane] -= t.correction[r];
      shifted_store_lanes_i32(t.out, r, v, acc[r]);
    }
  }
}

}  // namespace sparq
