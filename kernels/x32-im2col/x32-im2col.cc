// The x32-im2col variant table, built from its .inc list.
#include "x32-im2col.h"

#include "../common/variants.h"

namespace sparq {

// Each variant's entry points, declared here so no header names them.
#define SPARQ_VARIANT(prefix, name, isa)                                                              \
  void x32_##prefix(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc); \
  void x8_##prefix(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc); \
  void x32_nhwc_##prefix(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc,   \
                         std::size_t oh_begin, std::size_t oh_end);                                             \
  void x8_nhwc_##prefix(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col,              \
                        std::size_t ldc, std::size_t oh_begin, std::size_t oh_end);
#include "x32-im2col-variants.inc"
#undef SPARQ_VARIANT

const Im2colVariant kIm2colVariants[] = {
#define SPARQ_VARIANT(prefix, name, isa) {name, isa, x32_##prefix, x8_##prefix, x32_nhwc_##prefix, x8_nhwc_##prefix},
#include "x32-im2col-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kIm2colVariantCount = sizeof(kIm2colVariants) / sizeof(kIm2colVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const Im2colVariant& im2col_best() { return best_variant(kIm2colVariants); }

}  // namespace sparq
