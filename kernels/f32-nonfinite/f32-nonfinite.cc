// The f32-nonfinite variant table, built from its .inc list.
#include "f32-nonfinite.h"

#include "../common/variants.h"

namespace sparq {

// Each variant's entry point, declared here so no header names it.
#define SPARQ_VARIANT(symbol, name, isa) bool symbol(std::size_t n, const float* x, float* copy);
#include "f32-nonfinite-variants.inc"
#undef SPARQ_VARIANT

#define SPARQ_VARIANT(symbol, name, isa) {name, isa, symbol},
const F32NonfiniteVariant kF32NonfiniteVariants[] = {
#include "f32-nonfinite-variants.inc"
};
#undef SPARQ_VARIANT
const std::size_t kF32NonfiniteVariantCount = sizeof(kF32NonfiniteVariants) / sizeof(kF32NonfiniteVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const F32NonfiniteVariant& f32_nonfinite_best() { return best_variant(kF32NonfiniteVariants); }

}  // namespace sparq
