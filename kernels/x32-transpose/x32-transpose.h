// Transpose of a row-major matrix: dst[c, r] = src[r, c]. Templated on the
// element size so float32/int32 (x32) and uint8/int8 (x8) share the code; the
// instantiations live in x32-transpose.cc. The sparse kernels take
// activations as [K, M] (channels x pixels) while the dense GEMMs take them as
// [M, K]; this is the bridge between the two layouts.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sparq {

// dst [cols, rows] (row stride ldd) from src [rows, cols] (row stride lds),
// split across the thread pool in bands of rows.
void x32_transpose(std::size_t rows, std::size_t cols, const uint32_t* src, std::size_t lds, uint32_t* dst,
                   std::size_t ldd);
void x8_transpose(std::size_t rows, std::size_t cols, const uint8_t* src, std::size_t lds, uint8_t* dst,
                  std::size_t ldd);

}  // namespace sparq
