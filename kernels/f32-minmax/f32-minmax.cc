// The f32-minmax variant table, built from its .inc list.
#include "f32-minmax.h"

#include "../common/variants.h"

namespace sparq {

// Each variant's entry point, declared here so no header names it.
#define SPARQ_VARIANT(symbol, name, isa) void symbol(std::size_t n, const float* x, float* min, float* max);
#include "f32-minmax-variants.inc"
#undef SPARQ_VARIANT

#define SPARQ_VARIANT(symbol, name, isa) {name, isa, symbol},
const MinmaxVariant kMinmaxVariants[] = {
#include "f32-minmax-variants.inc"
};
#undef SPARQ_VARIANT
const std::size_t kMinmaxVariantCount = sizeof(kMinmaxVariants) / sizeof(kMinmaxVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const MinmaxVariant& minmax_best() { return best_variant(kMinmaxVariants); }


}  // namespace sparq
