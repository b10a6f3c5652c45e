// AVX-512 x32-transpose: the loops of x32-transpose-loops.h on 16 x 16 blocks
// of 32-bit elements and 16 x 64 blocks of bytes, then the AVX2 and 128-bit
// blocks for the columns those leave (a 24-channel image: 16 + 8); 2 or 3
// dense rows of 32-bit elements interleaved as on AVX2 (bound by the stores).
#include "x32-transpose-blocks.h"
#include "x32-transpose-loops.h"
#include "x32-transpose.h"

namespace sparq {

void x32_transpose_avx512(std::size_t rows, std::size_t cols, const uint32_t* src, std::size_t lds, uint32_t* dst,
                          std::size_t ldd) {
  if (interleave_rows<InterleaveAvx2>(rows, cols, src, lds, dst, ldd)) return;
  transpose_parallel<uint32_t, Block32<Ops512>, Block32<Ops256>, Block32<Ops128>>(rows, cols, src, lds, dst, ldd);
}
void x8_transpose_avx512(std::size_t rows, std::size_t cols, const uint8_t* src, std::size_t lds, uint8_t* dst,
                         std::size_t ldd) {
  transpose_parallel<uint8_t, Block8<Ops512>, Block8<Ops256>, Block8<Ops128>>(rows, cols, src, lds, dst, ldd);
}

}  // namespace sparq
