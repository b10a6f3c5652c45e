// Portable qx8-elementwise: the formulas of the header, one element at a
// time. Every other variant must match this bit for bit.
#include "qx8-elementwise.h"

#include <algorithm>

namespace sparq {
namespace {

inline float combined(float x, float b, Qx8BinaryOp op) {
  switch (op) {
    case Qx8BinaryOp::kAdd: return x + b;
    case Qx8BinaryOp::kSub: return x - b;
    case Qx8BinaryOp::kReverseSub: return b - x;
    case Qx8BinaryOp::kMul: return x * b;
  }
  return x;
}

// f32-elementwise's clamp, which keeps NaN (Q then maps it to the zero point).
inline float clamped(float x, float lo, float hi) {
  x = x < lo ? lo : x;
  return x > hi ? hi : x;
}

template <typename T>
void binary(std::size_t n, const T* x, const T* b, std::size_t b_step, float b_value, T* y, Qx8BinaryOp op,
            const Qx8BinaryParams& p, bool is_signed) {
  for (std::size_t i = 0; i < n; i++) {
    const float xf = qx8_dequantize_one(x[i], p.x_scale, p.x_zero_point);
    const float bf = b_step ? qx8_dequantize_one(b[i], p.b_scale, p.b_zero_point) : b_value;
    y[i] = static_cast<T>(qx8_quantize_one(clamped(combined(xf, bf, op), p.lo, p.hi), p.y_scale, p.y_zero_point, is_signed));
  }
}

template <typename T>
float dequantized_sum(std::size_t n, const T* x, float scale, int32_t zero_point) {
  float lanes[16] = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (std::size_t l = 0; l < 16; l++) lanes[l] += qx8_dequantize_one(x[i + l], scale, zero_point);
  for (std::size_t half = 8; half >= 1; half /= 2)
    for (std::size_t l = 0; l < half; l++) lanes[l] += lanes[l + half];
  float sum = lanes[0];
  for (; i < n; i++) sum += qx8_dequantize_one(x[i], scale, zero_point);
  return sum;
}

// The same sums down columns, a block of up to 16 columns at a time so rows
// are read in runs of bytes rather than one byte per row: each column still
// takes row r into its running sum r % 16, the tree, then the tail.
template <typename T>
void dequantized_column_sums(std::size_t rows, std::size_t cols, std::size_t ld, const T* x, float scale, int32_t zero_point,
                             float* sums) {
  constexpr std::size_t B = 16;
  for (std::size_t c0 = 0; c0 < cols; c0 += B) {
    const std::size_t k = std::min(B, cols - c0);
    const T* col = x + c0;
    float lanes[16][B] = {};
    std::size_t r = 0;
    for (; r + 16 <= rows; r += 16)
      for (std::size_t l = 0; l < 16; l++)
        for (std::size_t c = 0; c < k; c++) lanes[l][c] += qx8_dequantize_one(col[(r + l) * ld + c], scale, zero_point);
    for (std::size_t half = 8; half >= 1; half /= 2)
      for (std::size_t l = 0; l < half; l++)
        for (std::size_t c = 0; c < k; c++) lanes[l][c] += lanes[l + half][c];
    for (; r < rows; r++)
      for (std::size_t c = 0; c < k; c++) lanes[0][c] += qx8_dequantize_one(col[r * ld + c], scale, zero_point);
    for (std::size_t c = 0; c < k; c++) sums[c0 + c] = lanes[0][c];
  }
}

}  // namespace

void qx8_elementwise_scalar_binary(std::size_t n, const void* x, const void* b, void* y, bool is_signed, Qx8BinaryOp op,
                                   const Qx8BinaryParams& p) {
  if (is_signed) binary(n, static_cast<const int8_t*>(x), static_cast<const int8_t*>(b), 1, 0.0f, static_cast<int8_t*>(y), op, p, true);
  else binary(n, static_cast<const uint8_t*>(x), static_cast<const uint8_t*>(b), 1, 0.0f, static_cast<uint8_t*>(y), op, p, false);
}

void qx8_elementwise_scalar_binary_scalar(std::size_t n, const void* x, float b, void* y, bool is_signed, Qx8BinaryOp op,
                                          const Qx8BinaryParams& p) {
  if (is_signed) binary<int8_t>(n, static_cast<const int8_t*>(x), nullptr, 0, b, static_cast<int8_t*>(y), op, p, true);
  else binary<uint8_t>(n, static_cast<const uint8_t*>(x), nullptr, 0, b, static_cast<uint8_t*>(y), op, p, false);
}

void qx8_elementwise_scalar_lookup(std::size_t n, const uint8_t* x, const uint8_t* table, uint8_t* y) {
  for (std::size_t i = 0; i < n; i++) y[i] = table[x[i]];
}

float qx8_elementwise_scalar_dequantized_sum(std::size_t n, const void* x, bool is_signed, float scale, int32_t zero_point) {
  return is_signed ? dequantized_sum(n, static_cast<const int8_t*>(x), scale, zero_point)
                   : dequantized_sum(n, static_cast<const uint8_t*>(x), scale, zero_point);
}

void qx8_elementwise_scalar_dequantized_column_sums(std::size_t rows, std::size_t cols, std::size_t ld, const void* x,
                                                   bool is_signed, float scale, int32_t zero_point, float* sums) {
  if (is_signed) dequantized_column_sums(rows, cols, ld, static_cast<const int8_t*>(x), scale, zero_point, sums);
  else dequantized_column_sums(rows, cols, ld, static_cast<const uint8_t*>(x), scale, zero_point, sums);
}

}  // namespace sparq
