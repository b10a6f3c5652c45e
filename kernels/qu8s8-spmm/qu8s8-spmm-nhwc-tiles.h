// The loops the SIMD channels-last qu8s8-spmm kernels share around their
// tiles: the pixel loop, tiles of the largest size that fits, then the
// smaller ones for the rest (a 7x7 map's 49 pixels: 16 + 16 + 16 + 1), each
// tile against every block of the call while its rows of X stay in L1; and
// a tile's end, its sums through qu8s8-gemm's output stage. Internal linkage
// (anonymous namespace): each kernel file instantiates them with its own ISA
// flags. store_block_rows calls the including file's store_rows: include
// its qu8s8-gemm-store-<isa>.h before this header.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "qu8s8-spmm.h"
#include "../qu8s8-gemm/qu8s8-gemm-output-kind.h"

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

// A kernel's entry: pixel_tiles once the output kind is known, calling
// tile(kind, r, b, x_rows, y_rows) with with_output_kind's constant for
// `output` (ldy in elements of the output type).
template <std::size_t kBlockStep, std::size_t... kTiles, typename Tile>
inline void block_tiles(QOutput output, std::size_t pixels, std::size_t block_begin, std::size_t block_end,
                        const uint8_t* x, std::size_t ldx, void* y, std::size_t ldy, Tile&& tile) {
  with_output_kind(output, [&](auto kind) {
    pixel_tiles<kBlockStep, kTiles...>(pixels, block_begin, block_end, x, ldx, static_cast<uint8_t*>(y),
                                       ldy * qgemm_output_size(kind),
                                       [&](auto r, std::size_t b, const uint8_t* xr, uint8_t* yr) {
                                         tile(kind, r, b, xr, yr);
                                       });
  });
}

// The end of a tile: acc, its kPixels rows of sums for the kChannels
// channels from block b's first on (fewer where W's rows end), through
// store_rows<kOut> into Y's rows at y (row stride ldy in elements).
template <QOutput kOut, std::size_t kPixels, std::size_t kChannels, typename Acc>
inline void store_block_rows(const QSparseW& w, std::size_t b, const Acc* acc, const int32_t* col_terms,
                             const QGemmStore& store, void* y, std::size_t ldy) {
  constexpr std::size_t kSize = kOut == QOutput::kUint8 || kOut == QOutput::kInt8 ? 1 : 4;
  const std::size_t n0 = b * kQSpmmNhwcOc;
  QGemmStore st = store;
  if (kOut != QOutput::kInt32) st.multipliers = store.multipliers + n0;
  store_rows<kOut>(kPixels, std::min(kChannels, w.rows - n0), acc, col_terms + n0, nullptr, nullptr, st,
                   static_cast<uint8_t*>(y) + n0 * kSize, ldy);
}

}  // namespace
}  // namespace sparq
