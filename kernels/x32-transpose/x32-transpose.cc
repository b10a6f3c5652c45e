// Portable blocked transpose: tiles small enough that the tile's source rows
// and destination rows all stay in L1, so each cache line is fetched once
// whichever of the two is strided. Compilers vectorize the inner copy well
// enough that the transpose stays a small fraction of the GEMM it feeds.
#include "x32-transpose.h"

#include <algorithm>

#include "../common/thread-pool.h"

namespace sparq {
namespace {

// 64 bytes of the narrower side per tile row: a cache line of each stream.
template <typename T>
constexpr std::size_t kTile = 64 / sizeof(T) < 16 ? 16 : 64 / sizeof(T);

template <typename T>
void transpose_rows(std::size_t row_begin, std::size_t row_end, std::size_t cols, const T* src, std::size_t lds,
                    T* dst, std::size_t ldd) {
  constexpr std::size_t tile = kTile<T>;
  for (std::size_t r0 = row_begin; r0 < row_end; r0 += tile) {
    const std::size_t r1 = std::min(row_end, r0 + tile);
    for (std::size_t c0 = 0; c0 < cols; c0 += tile) {
      const std::size_t c1 = std::min(cols, c0 + tile);
      for (std::size_t c = c0; c < c1; ++c)
        for (std::size_t r = r0; r < r1; ++r) dst[c * ldd + r] = src[r * lds + c];
    }
  }
}

// Elements per task below which a thread's wake-up costs more than it saves.
constexpr std::size_t kMinElementsPerTask = std::size_t{1} << 16;

template <typename T>
void transpose_parallel(std::size_t rows, std::size_t cols, const T* src, std::size_t lds, T* dst, std::size_t ldd) {
  const std::size_t bands = std::max<std::size_t>(
      1, std::min<std::size_t>(rows / kTile<T> + 1, rows * cols / kMinElementsPerTask));
  const std::size_t band = (rows + bands - 1) / bands;
  parallel_for(bands, [&](std::size_t b) {
    const std::size_t begin = b * band, end = std::min(rows, begin + band);
    if (begin < end) transpose_rows(begin, end, cols, src, lds, dst, ldd);
  });
}

}  // namespace

void x32_transpose(std::size_t rows, std::size_t cols, const uint32_t* src, std::size_t lds, uint32_t* dst,
                   std::size_t ldd) {
  transpose_parallel(rows, cols, src, lds, dst, ldd);
}
void x8_transpose(std::size_t rows, std::size_t cols, const uint8_t* src, std::size_t lds, uint8_t* dst,
                  std::size_t ldd) {
  transpose_parallel(rows, cols, src, lds, dst, ldd);
}

}  // namespace sparq
