// The qx8-elementwise variant table, built from its .inc list, and the
// scalar quantize step the callers share.
#include "qx8-elementwise.h"

#include "../common/variants.h"

namespace sparq {

#define SPARQ_VARIANT(prefix, name, isa)                                                                         \
  void prefix##_binary(std::size_t n, const void* x, const void* b, void* y, bool is_signed, Qx8BinaryOp op,     \
                       const Qx8BinaryParams& p);                                                                \
  void prefix##_binary_scalar(std::size_t n, const void* x, float b, void* y, bool is_signed, Qx8BinaryOp op,    \
                              const Qx8BinaryParams& p);                                                         \
  void prefix##_lookup(std::size_t n, const uint8_t* x, const uint8_t* table, uint8_t* y);                       \
  float prefix##_dequantized_sum(std::size_t n, const void* x, bool is_signed, float scale, int32_t zero_point); \
  void prefix##_dequantized_column_sums(std::size_t rows, std::size_t cols, std::size_t ld, const void* x,        \
                                        bool is_signed, float scale, int32_t zero_point, float* sums);
#include "qx8-elementwise-variants.inc"
#undef SPARQ_VARIANT

#define SPARQ_VARIANT(prefix, name, isa) \
  {name, isa, prefix##_binary, prefix##_binary_scalar, prefix##_lookup, prefix##_dequantized_sum, prefix##_dequantized_column_sums},
const Qx8ElementwiseVariant kQx8ElementwiseVariants[] = {
#include "qx8-elementwise-variants.inc"
};
#undef SPARQ_VARIANT
const std::size_t kQx8ElementwiseVariantCount = sizeof(kQx8ElementwiseVariants) / sizeof(kQx8ElementwiseVariants[0]);

// Not cached: set_isa_limit() may change the answer at run time.
const Qx8ElementwiseVariant& qx8_elementwise_best() { return best_variant(kQx8ElementwiseVariants); }

// qx8-f32-dequantize's scalar steps: the integer subtraction wraps, the conversion is exact, one rounded multiply.
float qx8_dequantize_one(int32_t v, float scale, int32_t zero_point) {
  return static_cast<float>(static_cast<int32_t>(static_cast<uint32_t>(v) - static_cast<uint32_t>(zero_point))) * scale;
}

// f32-qx8-quantize's scalar steps: one IEEE division, NaN -> zero point, the clamp in float, lrintf (half to even).
int32_t qx8_quantize_one(float x, float scale, int32_t zero_point, bool is_signed) {
  const float lo = static_cast<float>((is_signed ? -128 : 0) - zero_point);
  const float hi = static_cast<float>((is_signed ? 127 : 255) - zero_point);
  float q = x / scale;
  q = q == q ? q : 0.0f;
  q = lo > q ? lo : q;
  q = hi < q ? hi : q;
  return static_cast<int32_t>(std::lrintf(q)) + zero_point;
}

}  // namespace sparq
