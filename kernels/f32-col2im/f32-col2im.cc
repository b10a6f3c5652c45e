// The f32-col2im variant table, built from its .inc list.
#include "f32-col2im.h"

#include "../common/variants.h"

namespace sparq {

// Each variant's entry point, declared here so no header names it.
#define SPARQ_VARIANT(prefix, name, isa) \
  void f32_nhwc_##prefix(const Im2colShape& s, const float* col, std::size_t ldc, float* image);
#include "f32-col2im-variants.inc"
#undef SPARQ_VARIANT

const Col2imVariant kCol2imVariants[] = {
#define SPARQ_VARIANT(prefix, name, isa) {name, isa, f32_nhwc_##prefix},
#include "f32-col2im-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kCol2imVariantCount = sizeof(kCol2imVariants) / sizeof(kCol2imVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const Col2imVariant& col2im_best() { return best_variant(kCol2imVariants); }

}  // namespace sparq
