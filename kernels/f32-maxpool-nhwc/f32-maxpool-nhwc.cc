// The f32-maxpool-nhwc variant table, built from its .inc list.
#include "f32-maxpool-nhwc.h"

#include "../common/variants.h"

namespace sparq {

// Each variant's entry points, declared here so no header names them.
#define SPARQ_VARIANT(prefix, name, isa)                                                                                  \
  void prefix##_f32(const MaxPoolNhwcShape& s, std::size_t row_begin, std::size_t row_end, const float* x, float* y);     \
  void prefix##_u8(const MaxPoolNhwcShape& s, std::size_t row_begin, std::size_t row_end, const uint8_t* x, uint8_t* y); \
  void prefix##_s8(const MaxPoolNhwcShape& s, std::size_t row_begin, std::size_t row_end, const int8_t* x, int8_t* y);
#include "f32-maxpool-nhwc-variants.inc"
#undef SPARQ_VARIANT

#define SPARQ_VARIANT(prefix, name, isa) {name, isa, prefix##_f32, prefix##_u8, prefix##_s8},
const MaxPoolNhwcVariant kMaxPoolNhwcVariants[] = {
#include "f32-maxpool-nhwc-variants.inc"
};
#undef SPARQ_VARIANT
const std::size_t kMaxPoolNhwcVariantCount = sizeof(kMaxPoolNhwcVariants) / sizeof(kMaxPoolNhwcVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const MaxPoolNhwcVariant& maxpool_nhwc_best() { return best_variant(kMaxPoolNhwcVariants); }

}  // namespace sparq
