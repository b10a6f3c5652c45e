// The store of the NEON qu8s8-conv2d kernels (-neon and -neondot files
// only): one quarter of a 16-position vector of a tile row, exact int32 sums,
// the same results as shifted_store_lanes_i32. Internal linkage, so each
// including file compiles its own copy with its own flags.
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "../shifted-conv/shifted-conv-store-neon.h"

namespace sparq {
namespace {

// Stores positions 4q..4q+3 of vector v of tile row r. A quarter can be
// stored on its own: in the packed form the kept lanes of the quarters
// before it (popcount of the mask below bit 4q) place it.
[[gnu::always_inline]] inline void qconv_store_quarter(const ConvTileOutput& o, std::size_t r, std::size_t v,
                                                       std::size_t q, int32x4_t x) {
  if (o.positions) {
    vst1q_s32(o.yi + r * o.row_stride + v * 16 + 4 * q, x);
    return;
  }
  const unsigned keep = o.masks[v];
  int32_t* out = o.yi + r * o.row_stride + o.starts[v] + __builtin_popcount(keep & ((1u << (4 * q)) - 1));
  shifted_store_kept(out, keep >> (4 * q) & 0xF, x);
}

}  // namespace
}  // namespace sparq
