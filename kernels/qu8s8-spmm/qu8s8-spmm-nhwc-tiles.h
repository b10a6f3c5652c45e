// The pixel loop of the channels-last qu8s8-spmm kernels: tiles of the
// largest size that fits, then the smaller ones for the rest (a 7x7 map's
// 49 pixels: 16 + 16 + 16 + 1), each tile against every block of the call
// while its rows of X stay in L1. Internal linkage (anonymous namespace):
// each kernel file instantiates it with its own ISA flags.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace sparq {
namespace {

// tile(std::integral_constant<std::size_t, R>{}, b, x_rows, y_rows) for R
// of kTile, kRest... in turn, while R pixels remain, on blocks [b, b +
// kBlockStep) for b in steps of kBlockStep (the range holds whole steps);
// y_row_bytes is Y's row stride in bytes.
template <std::size_t kBlockStep, std::size_t kTile, std::size_t... kRest, typename Tile>
inline void pixel_tiles(std::size_t pixels, std::size_t block_begin, std::size_t block_end, const uint8_t* x,
                        std::size_t ldx, uint8_t* y, std::size_t y_row_bytes, Tile&& tile) {
  std::size_t p = 0;
  for (; p + kTile <= pixels; p += kTile)
    for (std::size_t b = block_begin; b < block_end; b += kBlockStep)
      tile(std::integral_constant<std::size_t, kTile>{}, b, x + p * ldx, y + p * y_row_bytes);
  if constexpr (sizeof...(kRest) > 0)
    pixel_tiles<kBlockStep, kRest...>(pixels - p, block_begin, block_end, x + p * ldx, ldx, y + p * y_row_bytes,
                                      y_row_bytes, tile);
}

}  // namespace
}  // namespace sparq
