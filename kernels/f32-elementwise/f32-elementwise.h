// f32-elementwise: the elementwise tails of CNN layers in float32, as
// onnxruntime computes them in float32 (its baseline x86 build, no FMA):
//
//   activation  clamp       y = min(max(x, lo), hi)   (Relu, Clip, ReLU6)
//               hardsigmoid y = clamp(alpha * x + beta, 0, 1), then [lo, hi]
//               hardswish   y = x * clamp(x * (1/6) + 0.5, 0, 1), then [lo, hi]
//   binary      y = act(x + b), act(x - b), act(b - x), act(x * b): b the same
//               shape as x, or one value per row (a [N, C, 1, 1] scale or bias
//               on [N, C, H, W]: the squeeze-excite Mul, the residual Add), or
//               one value per column (a [N or 1, 1, 1, C] one on [N, H, W, C]:
//               the same ops in the channels-last layout).
//   mean        the float sum of a plane divided by its size (GlobalAveragePool),
//               or of a column of [H*W, C] rows (GlobalAveragePool of an NHWC image).
//
// Every product and sum is rounded to float before the next operation:
// alpha * x and + beta are two roundings, never one FMA, so the files of
// this family are compiled without FP contraction (sparq-kernels.cmake), and
// every variant equals the scalar one bit for bit. Clamps keep NaN
// (`x < lo ? lo : x`, then `x > hi ? hi : x`), as the conv stores do.
//
// The sum of a plane has one order in every variant: 16 running sums, lane
// i % 16 taking element i of each full 16-element block, added as a tree
// (lanes l and l + 8, then l and l + 4, l + 2, l + 1), then the tail
// elements one by one. It differs from onnxruntime's order, so a mean is
// within a few float roundings of its result, not equal. A column's sum takes
// its rows in the same order (row i in lane i % 16), so the mean of an NHWC
// image's column equals that of the same channel's NCHW plane bit for bit.
#pragma once

#include <cmath>
#include <cstddef>

#include "../common/cpu-features.h"

namespace sparq {

enum class F32ActKind : int { kClamp = 0, kHardSigmoid = 1, kHardSwish = 2 };

// The activation after an op. kClamp with lo = -inf, hi = +inf is none.
struct F32Activation {
  F32ActKind kind = F32ActKind::kClamp;
  float alpha = 0.2f, beta = 0.5f;  // kHardSigmoid only
  float lo = -INFINITY, hi = INFINITY;  // applied last, for every kind
};

enum class F32BinaryOp : int { kAdd = 0, kSub = 1, kReverseSub = 2, kMul = 3 };

// y[i] = act(x[i]), i < n. y may be x.
using F32ActivateFn = void (*)(std::size_t n, const float* x, float* y, const F32Activation& act);
// y[i] = act(x[i] op b[i]), i < n; kReverseSub is b[i] - x[i]. y may be x or b.
using F32BinaryFn = void (*)(std::size_t n, const float* x, const float* b, float* y, F32BinaryOp op, const F32Activation& act);
// y[i] = act(x[i] op b), i < n: one value for the whole row. y may be x.
using F32BinaryScalarFn = void (*)(std::size_t n, const float* x, float b, float* y, F32BinaryOp op, const F32Activation& act);
// y[r * cols + c] = act(x[r * cols + c] op b[c]), r < rows, c < cols: one
// value per column. y may be x.
using F32BinaryColumnsFn = void (*)(std::size_t rows, std::size_t cols, const float* x, const float* b, float* y,
                                    F32BinaryOp op, const F32Activation& act);
// The float sum of x[0, n) in the order of the header.
using F32SumFn = float (*)(std::size_t n, const float* x);
// y[c] = (the float sum of x[r * ld + c] over r < rows, in the header's
// order) / rows, c < cols: the means of the columns of a [rows, ld] matrix.
using F32ColumnMeansFn = void (*)(std::size_t rows, std::size_t cols, std::size_t ld, const float* x, float* y);

struct ElementwiseVariant {
  const char* name;  // e.g. "f32-elementwise-avx2"
  Isa isa;
  F32ActivateFn activate;
  F32BinaryFn binary;
  F32BinaryScalarFn binary_scalar;
  F32BinaryColumnsFn binary_columns;
  F32SumFn sum;
  F32ColumnMeansFn column_means;
};

extern const ElementwiseVariant kElementwiseVariants[];
extern const std::size_t kElementwiseVariantCount;
const ElementwiseVariant& elementwise_best();

}  // namespace sparq
