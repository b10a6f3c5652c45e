// qx8-elementwise: the elementwise tails of int8 (QDQ) models on their 8-bit
// values, each equal bit for bit to what the float graph it replaces
// computes (DequantizeLinear -> f32-elementwise op -> QuantizeLinear):
//
//   DQ(v)   = float(v - zero_point) * scale           (qx8-f32-dequantize)
//   Q(f)    = clamp(lrintf(f / scale), qmin - zp, qmax - zp) + zp, NaN -> zp
//                                                      (f32-qx8-quantize)
//   binary  y = Q(clamp(DQx(x) op DQb(b), lo, hi)), op + - (b - x) *, every
//           step rounded to float as f32-elementwise does; b the same shape
//           as x or one (dequantized) value per row: the residual Add + Relu
//           and the squeeze-excite Mul of a quantized CNN.
//   lookup  y = table[x]: any unary op on 8-bit values with per-tensor
//           parameters is a 256-entry table, which the caller computes
//           through the float path itself (HardSwish, HardSigmoid, Clip, ...).
//   sum     the float sum of DQ(x[i]) in f32-elementwise's plane order (16
//           running sums, lane i % 16, added as a tree, then the tail), so a
//           quantized GlobalAveragePool's mean is the float one exactly.
//   column sums  the same sums down the columns of [rows, ld] bytes (row r
//           into running sum r % 16, the tree, the tail), vectorized across
//           columns: the GlobalAveragePool of an NHWC image, equal bit for
//           bit to the plane sum of the same channel in NCHW.
//
// No step may fuse with the next (no FMA), so the family's files are
// compiled without FP contraction (sparq-kernels.cmake). x, b and y of one
// binary call are all int8 or all uint8 (`is_signed`).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../common/cpu-features.h"

namespace sparq {

enum class Qx8BinaryOp : int { kAdd = 0, kSub = 1, kReverseSub = 2, kMul = 3 };

// The per-tensor quantization of one fused binary node, and the clamp (Relu,
// Clip; -inf/+inf for none) on its float result before it is requantized.
struct Qx8BinaryParams {
  float x_scale = 1.0f;
  int32_t x_zero_point = 0;
  float b_scale = 1.0f;
  int32_t b_zero_point = 0;
  float y_scale = 1.0f;
  int32_t y_zero_point = 0;
  float lo = -INFINITY, hi = INFINITY;
};

// y[i] = Q(clamp(DQx(x[i]) op DQb(b[i]))), i < n. y may be x or b.
using Qx8BinaryFn = void (*)(std::size_t n, const void* x, const void* b, void* y, bool is_signed, Qx8BinaryOp op,
                             const Qx8BinaryParams& p);
// y[i] = Q(clamp(DQx(x[i]) op b)), i < n: b one float, already DQb(b value). y may be x.
using Qx8BinaryScalarFn = void (*)(std::size_t n, const void* x, float b, void* y, bool is_signed, Qx8BinaryOp op,
                                   const Qx8BinaryParams& p);
// y[i] = table[x[i]], the byte as an index (int8 -1 reads table[255]). y may be x.
using Qx8LookupFn = void (*)(std::size_t n, const uint8_t* x, const uint8_t* table, uint8_t* y);
// The float sum of float(x[i] - zero_point) * scale, i < n, in the order of the header.
using Qx8DequantizedSumFn = float (*)(std::size_t n, const void* x, bool is_signed, float scale, int32_t zero_point);
// sums[c] = the float sum of float(x[r * ld + c] - zero_point) * scale over
// r < rows, in the order of the header, c < cols (cols <= ld).
using Qx8DequantizedColumnSumsFn = void (*)(std::size_t rows, std::size_t cols, std::size_t ld, const void* x, bool is_signed,
                                            float scale, int32_t zero_point, float* sums);

struct Qx8ElementwiseVariant {
  const char* name;  // e.g. "qx8-elementwise-avx2"
  Isa isa;
  Qx8BinaryFn binary;
  Qx8BinaryScalarFn binary_scalar;
  Qx8LookupFn lookup;
  Qx8DequantizedSumFn dequantized_sum;
  Qx8DequantizedColumnSumsFn dequantized_column_sums;
};

extern const Qx8ElementwiseVariant kQx8ElementwiseVariants[];
extern const std::size_t kQx8ElementwiseVariantCount;
const Qx8ElementwiseVariant& qx8_elementwise_best();

// The scalar steps every variant follows, for the callers' per-row values
// and the quantized mean: DQ of one value and Q of one float. Out of line
// (portable code only), so no ISA file's copy can stand in for them.
float qx8_dequantize_one(int32_t v, float scale, int32_t zero_point);
int32_t qx8_quantize_one(float x, float scale, int32_t zero_point, bool is_signed);

}  // namespace sparq
