// The f32-maxpool-grad-nhwc variant table, built from its .inc list.
#include "f32-maxpool-grad-nhwc.h"

#include "../common/variants.h"

namespace sparq {

// Each variant's entry point, declared here so no header names it.
#define SPARQ_VARIANT(symbol, name, isa)                                                                                    \
  void symbol(const MaxPoolGradNhwcShape& s, std::size_t row_begin, std::size_t row_end, const float* x, const float* y, \
              const float* dy, float* dx);
#include "f32-maxpool-grad-nhwc-variants.inc"
#undef SPARQ_VARIANT

#define SPARQ_VARIANT(symbol, name, isa) {name, isa, symbol},
const MaxPoolGradNhwcVariant kMaxPoolGradNhwcVariants[] = {
#include "f32-maxpool-grad-nhwc-variants.inc"
};
#undef SPARQ_VARIANT
const std::size_t kMaxPoolGradNhwcVariantCount = sizeof(kMaxPoolGradNhwcVariants) / sizeof(kMaxPoolGradNhwcVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const MaxPoolGradNhwcVariant& maxpool_grad_nhwc_best() { return best_variant(kMaxPoolGradNhwcVariants); }

}  // namespace sparq
