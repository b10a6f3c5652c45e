// Transpose of a row-major matrix: dst[c, r] = src[r, c]. A variant serves
// float32/int32 (x32) and uint8/int8 (x8) alike. The sparse kernels take
// activations as [K, M] (channels x pixels) while the dense GEMMs take them as
// [M, K]; this is the bridge between the two layouts.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../common/cpu-features.h"

namespace sparq {

// The variants (x32-transpose-variants.inc), best first: dst [cols, rows]
// (row stride ldd) from src [rows, cols] (row stride lds), split across the
// thread pool in bands of rows.
struct TransposeVariant {
  const char* name;
  Isa isa;
  void (*x32)(std::size_t rows, std::size_t cols, const uint32_t* src, std::size_t lds, uint32_t* dst, std::size_t ldd);
  void (*x8)(std::size_t rows, std::size_t cols, const uint8_t* src, std::size_t lds, uint8_t* dst, std::size_t ldd);
};

extern const TransposeVariant kTransposeVariants[];
extern const std::size_t kTransposeVariantCount;
const TransposeVariant& transpose_best();

}  // namespace sparq
