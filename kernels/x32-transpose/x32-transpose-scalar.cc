// Blocked transpose, the x32-transpose-scalar variant (portable C++): the
// loops of x32-transpose-loops.h on the 128-bit blocks, whose vectors are part
// of the base ISA (SSE2 on x86-64, NEON on AArch64), so no flags; the element
// loop on other targets. On AArch64, 2 or 3 dense rows of 32-bit elements go
// through NEON's structure stores (vst2q/vst3q).
#include "x32-transpose-blocks.h"
#include "x32-transpose-loops.h"
#include "x32-transpose.h"

namespace sparq {

#if SPARQ_TRANSPOSE_BLOCKS_128
void x32_transpose_scalar(std::size_t rows, std::size_t cols, const uint32_t* src, std::size_t lds, uint32_t* dst,
                          std::size_t ldd) {
#if defined(__ARM_NEON)
  if (interleave_rows<InterleaveNeon>(rows, cols, src, lds, dst, ldd)) return;
#endif
  transpose_parallel<uint32_t, Block32<Ops128>>(rows, cols, src, lds, dst, ldd);
}
void x8_transpose_scalar(std::size_t rows, std::size_t cols, const uint8_t* src, std::size_t lds, uint8_t* dst,
                         std::size_t ldd) {
  transpose_parallel<uint8_t, Block8<Ops128>>(rows, cols, src, lds, dst, ldd);
}
#else
void x32_transpose_scalar(std::size_t rows, std::size_t cols, const uint32_t* src, std::size_t lds, uint32_t* dst,
                          std::size_t ldd) {
  transpose_parallel<uint32_t>(rows, cols, src, lds, dst, ldd);
}
void x8_transpose_scalar(std::size_t rows, std::size_t cols, const uint8_t* src, std::size_t lds, uint8_t* dst,
                         std::size_t ldd) {
  transpose_parallel<uint8_t>(rows, cols, src, lds, dst, ldd);
}
#endif

}  // namespace sparq
