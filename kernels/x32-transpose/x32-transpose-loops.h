// The loops of every x32-transpose variant, written once over block types.
// A block type (x32-transpose-blocks.h) has an element type T, a block of
// kRows x kCols source elements and move(s, lds, d, ldd), which writes that
// block transposed through registers. A variant names its blocks widest
// first; columns a block cannot cover go to the next one, and what none
// covers to the element loop. Everything here has internal linkage, so each
// file's instantiations are compiled with its ISA flags only.
//
// Tiles are small enough that a tile's source rows and destination rows all
// stay in L1, so each cache line is fetched once whichever of the two is
// strided.
#pragma once

#include <algorithm>
#include <cstddef>

#include "../common/thread-pool.h"

namespace sparq {
namespace {

constexpr std::size_t kTile = 64;  // a multiple of every block's rows and columns

// Rows [r0, r1) by columns [c0, c1) of src into dst: the element loop, for
// what no block covers.
template <typename T>
void transpose_tile(std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1, const T* src, std::size_t lds,
                    T* dst, std::size_t ldd) {
  for (std::size_t c = c0; c < c1; ++c)
    for (std::size_t i = r0; i < r1; ++i) dst[c * ldd + i] = src[i * lds + c];
}

// The same by whole blocks of B, the rest by the blocks after it.
template <typename T, class B, class... Narrower>
void transpose_tile(std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1, const T* src, std::size_t lds,
                    T* dst, std::size_t ldd) {
  static_assert(kTile % B::kRows == 0 && kTile % B::kCols == 0, "blocks must tile kTile");
  std::size_t r = r0;
  for (; r + B::kRows <= r1; r += B::kRows) {
    std::size_t c = c0;
    for (; c + B::kCols <= c1; c += B::kCols) B::move(src + r * lds + c, lds, dst + c * ldd + r, ldd);
    if (c < c1) transpose_tile<T, Narrower...>(r, r + B::kRows, c, c1, src, lds, dst, ldd);
  }
  if (r < r1) transpose_tile<T, Narrower...>(r, r1, c0, c1, src, lds, dst, ldd);
}

template <typename T, class... Blocks>
void transpose_rows(std::size_t row_begin, std::size_t row_end, std::size_t cols, const T* src, std::size_t lds,
                    T* dst, std::size_t ldd) {
  for (std::size_t r0 = row_begin; r0 < row_end; r0 += kTile) {
    const std::size_t r1 = std::min(row_end, r0 + kTile);
    for (std::size_t c0 = 0; c0 < cols; c0 += kTile)
      transpose_tile<T, Blocks...>(r0, r1, c0, std::min(cols, c0 + kTile), src, lds, dst, ldd);
  }
}

// Elements per task below which a thread's wake-up costs more than it saves.
constexpr std::size_t kMinElementsPerTask = std::size_t{1} << 16;

template <typename T, class... Blocks>
void transpose_parallel(std::size_t rows, std::size_t cols, const T* src, std::size_t lds, T* dst, std::size_t ldd) {
  const std::size_t bands =
      std::max<std::size_t>(1, std::min<std::size_t>(rows / kTile + 1, rows * cols / kMinElementsPerTask));
  // Bands of whole tiles, so every band but the last keeps the blocks aligned to its rows.
  const std::size_t band = ((rows + bands - 1) / bands + kTile - 1) / kTile * kTile;
  parallel_for(bands, [&](std::size_t b) {
    const std::size_t begin = b * band, end = std::min(rows, begin + band);
    if (begin < end) transpose_rows<T, Blocks...>(begin, end, cols, src, lds, dst, ldd);
  });
}

// Matrices of 2 or 3 rows of 32-bit elements written densely (ldd == rows:
// an RGB image from NCHW to NHWC): no block fits them, and the element loop
// costs about 1.5 cycles an element. I interleaves I::kCols columns of the
// rows at once, whole vectors in and out (two(s0, s1, d), three(s0, s1, s2,
// d)); the element loop takes the last columns. Column ranges split across
// the thread pool. False when the shape is not one of these.
template <class I>
bool interleave_rows(std::size_t rows, std::size_t cols, const uint32_t* src, std::size_t lds, uint32_t* dst,
                     std::size_t ldd) {
  if (ldd != rows || (rows != 2 && rows != 3)) return false;
  const std::size_t tasks = std::max<std::size_t>(1, rows * cols / kMinElementsPerTask);
  const std::size_t chunk = ((cols + tasks - 1) / tasks + I::kCols - 1) / I::kCols * I::kCols;
  parallel_for(tasks, [&](std::size_t t) {
    const std::size_t begin = std::min(cols, t * chunk), end = std::min(cols, begin + chunk);
    std::size_t c = begin;
    for (; c + I::kCols <= end; c += I::kCols) {
      if (rows == 2) I::two(src + c, src + lds + c, dst + 2 * c);
      else I::three(src + c, src + lds + c, src + 2 * lds + c, dst + 3 * c);
    }
    transpose_tile<uint32_t>(0, rows, c, end, src, lds, dst, ldd);
  });
  return true;
}

}  // namespace
}  // namespace sparq
