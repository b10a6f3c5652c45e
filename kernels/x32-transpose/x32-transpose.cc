// The x32-transpose variant table, built from its .inc list.
#include "x32-transpose.h"

#include "../common/variants.h"

namespace sparq {

// Each variant's entry points, declared here so no header names them.
#define SPARQ_VARIANT(prefix, name, isa)                                                                      \
  void x32_##prefix(std::size_t rows, std::size_t cols, const uint32_t* src, std::size_t lds, uint32_t* dst, \
                    std::size_t ldd);                                                                         \
  void x8_##prefix(std::size_t rows, std::size_t cols, const uint8_t* src, std::size_t lds, uint8_t* dst,    \
                   std::size_t ldd);
#include "x32-transpose-variants.inc"
#undef SPARQ_VARIANT

const TransposeVariant kTransposeVariants[] = {
#define SPARQ_VARIANT(prefix, name, isa) {name, isa, x32_##prefix, x8_##prefix},
#include "x32-transpose-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kTransposeVariantCount = sizeof(kTransposeVariants) / sizeof(kTransposeVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const TransposeVariant& transpose_best() { return best_variant(kTransposeVariants); }

}  // namespace sparq
