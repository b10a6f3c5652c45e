// The f32-qx8-quantize variant table, built from its .inc list.
#include "f32-qx8-quantize.h"

#include "../common/variants.h"

namespace sparq {

// Each variant's entry points, declared here so no header names them.
#define SPARQ_VARIANT(prefix, name, isa)                                                               \
  void prefix##_to_uint8(std::size_t n, const float* x, float scale, int32_t zero_point, void* y); \
  void prefix##_to_int8(std::size_t n, const float* x, float scale, int32_t zero_point, void* y);
#include "f32-qx8-quantize-variants.inc"
#undef SPARQ_VARIANT

#define SPARQ_VARIANT(prefix, name, isa) {name, isa, prefix##_to_uint8, prefix##_to_int8},
const QuantizeVariant kQuantizeVariants[] = {
#include "f32-qx8-quantize-variants.inc"
};
#undef SPARQ_VARIANT
const std::size_t kQuantizeVariantCount = sizeof(kQuantizeVariants) / sizeof(kQuantizeVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const QuantizeVariant& quantize_best() { return best_variant(kQuantizeVariants); }


}  // namespace sparq
