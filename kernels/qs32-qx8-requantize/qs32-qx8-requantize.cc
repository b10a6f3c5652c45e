// The qs32-qx8-requantize variant table, built from its .inc list.
#include "qs32-qx8-requantize.h"

#include "../common/variants.h"

namespace sparq {

// Each variant's entry points, declared here so no header names them.
#define SPARQ_VARIANT(prefix, name, isa)                                                     \
  void prefix##_to_uint8(std::size_t n, const int32_t* acc, const RequantizeRow& p, void* out); \
  void prefix##_to_int8(std::size_t n, const int32_t* acc, const RequantizeRow& p, void* out);  \
  void prefix##_to_float(std::size_t n, const int32_t* acc, const RequantizeRow& p, float* out);
#include "qs32-qx8-requantize-variants.inc"
#undef SPARQ_VARIANT

#define SPARQ_VARIANT(prefix, name, isa) {name, isa, prefix##_to_uint8, prefix##_to_int8, prefix##_to_float},
const RequantizeVariant kRequantizeVariants[] = {
#include "qs32-qx8-requantize-variants.inc"
};
#undef SPARQ_VARIANT
const std::size_t kRequantizeVariantCount = sizeof(kRequantizeVariants) / sizeof(kRequantizeVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time, and the scan
// is a few comparisons.
const RequantizeVariant& requantize_best() { return best_variant(kRequantizeVariants); }


}  // namespace sparq
