// Portable f32-elementwise: the formulas of the header, one element at a
// time. Every other variant must match this bit for bit.

#include "f32-elementwise.h"

namespace sparq {
namespace {

// ONNX's HardSwish is HardSigmoid(x, alpha = 1/6 as float, beta = 0.5) * x.
constexpr float kSixth = 1.0f / 6.0f;

inline float clamped(float x, float lo, float hi) {
  x = x < lo ? lo : x;
  return x > hi ? hi : x;
}

inline float activated(float x, const F32Activation& a) {
  if (a.kind == F32ActKind::kHardSigmoid) x = clamped(a.alpha * x + a.beta, 0.0f, 1.0f);
  else if (a.kind == F32ActKind::kHardSwish) x = x * clamped(x * kSixth + 0.5f, 0.0f, 1.0f);
  return clamped(x, a.lo, a.hi);
}

inline float combined(float x, float b, F32BinaryOp op) {
  switch (op) {
    case F32BinaryOp::kAdd: return x + b;
    case F32BinaryOp::kSub: return x - b;
    case F32BinaryOp::kReverseSub: return b - x;
    case F32BinaryOp::kMul: return x * b;
  }
  return x;
}

}  // namespace

void f32_elementwise_scalar_activate(std::size_t n, const float* x, float* y, const F32Activation& act) {
  for (std::size_t i = 0; i < n; i++) y[i] = activated(x[i], act);
}

void f32_elementwise_scalar_binary(std::size_t n, const float* x, const float* b, float* y, F32BinaryOp op,
                                   const F32Activation& act) {
  for (std::size_t i = 0; i < n; i++) y[i] = activated(combined(x[i], b[i], op), act);
}

void f32_elementwise_scalar_binary_scalar(std::size_t n, const float* x, float b, float* y, F32BinaryOp op,
                                          const F32Activation& act) {
  for (std::size_t i = 0; i < n; i++) y[i] = activated(combined(x[i], b, op), act);
}

void f32_elementwise_scalar_binary_columns(std::size_t rows, std::size_t cols, const float* x, const float* b, float* y,
                                           F32BinaryOp op, const F32Activation& act) {
  for (std::size_t r = 0; r < rows; r++, x += cols, y += cols)
    for (std::size_t c = 0; c < cols; c++) y[c] = activated(combined(x[c], b[c], op), act);
}

float f32_elementwise_scalar_sum(std::size_t n, const float* x) {
  float lanes[16] = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (std::size_t l = 0; l < 16; l++) lanes[l] += x[i + l];
  for (std::size_t half = 8; half >= 1; half /= 2)
    for (std::size_t l = 0; l < half; l++) lanes[l] += lanes[l + half];
  float sum = lanes[0];
  for (; i < n; i++) sum += x[i];
  return sum;
}

void f32_elementwise_scalar_column_means(std::size_t rows, std::size_t cols, std::size_t ld, const float* x, float* y) {
  for (std::size_t c = 0; c < cols; c++) {
    float lanes[16] = {};
    std::size_t r = 0;
    for (; r + 16 <= rows; r += 16)
      for (std::size_t l = 0; l < 16; l++) lanes[l] += x[(r + l) * ld + c];
    for (std::size_t half = 8; half >= 1; half /= 2)
      for (std::size_t l = 0; l < half; l++) lanes[l] += lanes[l + half];
    float sum = lanes[0];
    for (; r < rows; r++) sum += x[r * ld + c];
    y[c] = sum / static_cast<float>(rows);
  }
}

}  // namespace sparq
