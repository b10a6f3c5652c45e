// The qx8-f32-dequantize variant table, built from its .inc list.
#include "qx8-f32-dequantize.h"

#include "../common/variants.h"

namespace sparq {

// Each variant's entry points, declared here so no header names them.
#define SPARQ_VARIANT(prefix, name, isa)                                                                  \
  void prefix##_from_uint8(std::size_t n, const void* x, float scale, int32_t zero_point, float* y); \
  void prefix##_from_int8(std::size_t n, const void* x, float scale, int32_t zero_point, float* y);
#include "qx8-f32-dequantize-variants.inc"
#undef SPARQ_VARIANT

#define SPARQ_VARIANT(prefix, name, isa) {name, isa, prefix##_from_uint8, prefix##_from_int8},
const DequantizeVariant kDequantizeVariants[] = {
#include "qx8-f32-dequantize-variants.inc"
};
#undef SPARQ_VARIANT
const std::size_t kDequantizeVariantCount = sizeof(kDequantizeVariants) / sizeof(kDequantizeVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const DequantizeVariant& dequantize_best() { return best_variant(kDequantizeVariants); }


}  // namespace sparq
