// The f32-elementwise variant table, built from its .inc list.
#include "f32-elementwise.h"

#include "../common/variants.h"

namespace sparq {

// Each variant's entry points, declared here so no header names them.
#define SPARQ_VARIANT(prefix, name, isa)                                                                         \
  void prefix##_activate(std::size_t n, const float* x, float* y, const F32Activation& act);                     \
  void prefix##_binary(std::size_t n, const float* x, const float* b, float* y, F32BinaryOp op,                  \
                       const F32Activation& act);                                                                \
  void prefix##_binary_scalar(std::size_t n, const float* x, float b, float* y, F32BinaryOp op,                  \
                              const F32Activation& act);                                                         \
  void prefix##_binary_columns(std::size_t rows, std::size_t cols, const float* x, const float* b, float* y,     \
                               F32BinaryOp op, const F32Activation& act);                                        \
  float prefix##_sum(std::size_t n, const float* x);                                                             \
  void prefix##_column_means(std::size_t rows, std::size_t cols, std::size_t ld, const float* x, float* y);
#include "f32-elementwise-variants.inc"
#undef SPARQ_VARIANT

#define SPARQ_VARIANT(prefix, name, isa) \
  {name, isa, prefix##_activate, prefix##_binary, prefix##_binary_scalar, prefix##_binary_columns, prefix##_sum, prefix##_column_means},
const ElementwiseVariant kElementwiseVariants[] = {
#include "f32-elementwise-variants.inc"
};
#undef SPARQ_VARIANT
const std::size_t kElementwiseVariantCount = sizeof(kElementwiseVariants) / sizeof(kElementwiseVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const ElementwiseVariant& elementwise_best() { return best_variant(kElementwiseVariants); }

}  // namespace sparq
