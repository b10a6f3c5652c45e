// The loops of the SIMD qx8-elementwise variants, written once over a vector
// type: each variant file defines its `Vec` (W float lanes; dequantize<S>
// loads W bytes and returns float(v - zp) * scale; store<S> writes W
// quantized int32 lanes as bytes; quantize is f32-qx8-quantize's steps;
// add, sub, mul, max_lo, min_hi with f32-elementwise's clamp order) and
// instantiates these. Everything here has internal linkage, so each file's
// instantiations are compiled with that file's ISA flags only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "qx8-elementwise.h"

namespace sparq {
namespace {

template <class Vec>
struct VecQuant {
  typename Vec::F x_scale, b_scale, y_scale, lo, hi, q_lo, q_hi;
  typename Vec::I x_zero, b_zero, y_zero;
  VecQuant(const Qx8BinaryParams& p, bool is_signed)
      : x_scale(Vec::set1(p.x_scale)), b_scale(Vec::set1(p.b_scale)), y_scale(Vec::set1(p.y_scale)),
        lo(Vec::set1(p.lo)), hi(Vec::set1(p.hi)),
        q_lo(Vec::set1(static_cast<float>((is_signed ? -128 : 0) - p.y_zero_point))),
        q_hi(Vec::set1(static_cast<float>((is_signed ? 127 : 255) - p.y_zero_point))),
        x_zero(Vec::set1i(p.x_zero_point)), b_zero(Vec::set1i(p.b_zero_point)), y_zero(Vec::set1i(p.y_zero_point)) {}
};

template <class Vec, Qx8BinaryOp Op>
inline typename Vec::F vec_combined(typename Vec::F x, typename Vec::F b) {
  if (Op == Qx8BinaryOp::kAdd) return Vec::add(x, b);
  if (Op == Qx8BinaryOp::kSub) return Vec::sub(x, b);
  if (Op == Qx8BinaryOp::kReverseSub) return Vec::sub(b, x);
  return Vec::mul(x, b);
}

// y = Q(clamp(DQx(x) op b)) over n bytes, W per step, the tail through a
// zero-padded copy (its extra lanes are computed and dropped). BStep: b
// advances with x (bytes), else b_value is the row's one float.
template <class Vec, bool S, Qx8BinaryOp Op, bool BStep>
void vec_binary(std::size_t n, const uint8_t* x, const uint8_t* b, float b_value, uint8_t* y, const Qx8BinaryParams& p) {
  constexpr std::size_t W = Vec::W;
  const VecQuant<Vec> q(p, S);
  const typename Vec::F fixed = Vec::set1(b_value);
  auto step = [&](const uint8_t* xs, const uint8_t* bs) {
    const typename Vec::F xf = Vec::template dequantize<S>(xs, q.x_zero, q.x_scale);
    const typename Vec::F bf = BStep ? Vec::template dequantize<S>(bs, q.b_zero, q.b_scale) : fixed;
    const typename Vec::F r = Vec::min_hi(q.hi, Vec::max_lo(q.lo, vec_combined<Vec, Op>(xf, bf)));
    return Vec::quantize(r, q.y_scale, q.q_lo, q.q_hi, q.y_zero);
  };
  std::size_t i = 0;
  for (; i + W <= n; i += W) Vec::template store<S>(y + i, step(x + i, BStep ? b + i : x));
  if (i < n) {
    const std::size_t k = n - i;
    uint8_t xt[W] = {}, bt[W] = {}, yt[W];
    std::memcpy(xt, x + i, k);
    if (BStep) std::memcpy(bt, b + i, k);
    Vec::template store<S>(yt, step(xt, bt));
    std::memcpy(y + i, yt, k);
  }
}

// The instantiation for a runtime (signedness, op): the switches run once per call.
template <class Vec, bool BStep, bool S>
void vec_binary_op(std::size_t n, const uint8_t* x, const uint8_t* b, float b_value, uint8_t* y, Qx8BinaryOp op,
                   const Qx8BinaryParams& p) {
  switch (op) {
    case Qx8BinaryOp::kAdd: return vec_binary<Vec, S, Qx8BinaryOp::kAdd, BStep>(n, x, b, b_value, y, p);
    case Qx8BinaryOp::kSub: return vec_binary<Vec, S, Qx8BinaryOp::kSub, BStep>(n, x, b, b_value, y, p);
    case Qx8BinaryOp::kReverseSub: return vec_binary<Vec, S, Qx8BinaryOp::kReverseSub, BStep>(n, x, b, b_value, y, p);
    case Qx8BinaryOp::kMul: return vec_binary<Vec, S, Qx8BinaryOp::kMul, BStep>(n, x, b, b_value, y, p);
  }
}

template <class Vec, bool BStep>
void vec_binary_signed(std::size_t n, const void* x, const void* b, float b_value, void* y, bool is_signed, Qx8BinaryOp op,
                       const Qx8BinaryParams& p) {
  const auto* xs = static_cast<const uint8_t*>(x);
  const auto* bs = static_cast<const uint8_t*>(b);
  auto* ys = static_cast<uint8_t*>(y);
  if (is_signed) vec_binary_op<Vec, BStep, true>(n, xs, bs, b_value, ys, op, p);
  else vec_binary_op<Vec, BStep, false>(n, xs, bs, b_value, ys, op, p);
}

// The header's order: 16 lanes (16 / W vectors), the tree, then the tail.
template <class Vec, bool S>
float vec_dequantized_sum(std::size_t n, const uint8_t* x, float scale, int32_t zero_point) {
  constexpr std::size_t W = Vec::W, V = 16 / W;
  const typename Vec::F s = Vec::set1(scale);
  const typename Vec::I z = Vec::set1i(zero_point);
  typename Vec::F acc[V];
  for (std::size_t v = 0; v < V; v++) acc[v] = Vec::set1(0.0f);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (std::size_t v = 0; v < V; v++) acc[v] = Vec::add(acc[v], Vec::template dequantize<S>(x + i + v * W, z, s));
  float lanes[16];
  for (std::size_t v = 0; v < V; v++) Vec::store_floats(lanes + v * W, acc[v]);
  for (std::size_t half = 8; half >= 1; half /= 2)
    for (std::size_t l = 0; l < half; l++) lanes[l] += lanes[l + half];
  float sum = lanes[0];
  for (; i < n; i++) {
    const int32_t v = S ? static_cast<int32_t>(static_cast<int8_t>(x[i])) : static_cast<int32_t>(x[i]);
    sum += static_cast<float>(static_cast<int32_t>(static_cast<uint32_t>(v) - static_cast<uint32_t>(zero_point))) * scale;
  }
  return sum;
}

// The sums of W columns (the first k when not Full) at x, rows ld bytes
// apart, in the header's order per column: row r into running sum r % 16,
// the tree, the tail, as vec_dequantized_sum takes element r of a plane.
// A partial block reads each row through a zero-padded copy (never past the
// k bytes of a row), its extra lanes computed and dropped.
template <class Vec, bool S, bool Full>
inline void vec_column_block_sums(std::size_t rows, std::size_t ld, const uint8_t* x, std::size_t k, typename Vec::F scale,
                                  typename Vec::I zero, float* sums) {
  constexpr std::size_t W = Vec::W;
  const auto load = [&](const uint8_t* p) {
    if constexpr (Full) {
      return Vec::template dequantize<S>(p, zero, scale);
    } else {
      uint8_t row[W] = {};
      std::memcpy(row, p, k);
      return Vec::template dequantize<S>(row, zero, scale);
    }
  };
  typename Vec::F acc[16];
  for (std::size_t l = 0; l < 16; l++) acc[l] = Vec::set1(0.0f);
  std::size_t r = 0;
  for (; r + 16 <= rows; r += 16)
    for (std::size_t l = 0; l < 16; l++) acc[l] = Vec::add(acc[l], load(x + (r + l) * ld));
  for (std::size_t half = 8; half >= 1; half /= 2)
    for (std::size_t l = 0; l < half; l++) acc[l] = Vec::add(acc[l], acc[l + half]);
  typename Vec::F sum = acc[0];
  for (; r < rows; r++) sum = Vec::add(sum, load(x + r * ld));
  if constexpr (Full) {
    Vec::store_floats(sums, sum);
  } else {
    float lanes[W];
    Vec::store_floats(lanes, sum);
    std::memcpy(sums, lanes, k * sizeof(float));
  }
}

template <class Vec, bool S>
void vec_dequantized_column_sums(std::size_t rows, std::size_t cols, std::size_t ld, const uint8_t* x, float scale,
                                 int32_t zero_point, float* sums) {
  constexpr std::size_t W = Vec::W;
  const typename Vec::F s = Vec::set1(scale);
  const typename Vec::I z = Vec::set1i(zero_point);
  std::size_t c = 0;
  for (; c + W <= cols; c += W) vec_column_block_sums<Vec, S, true>(rows, ld, x + c, W, s, z, sums + c);
  if (c < cols) vec_column_block_sums<Vec, S, false>(rows, ld, x + c, cols - c, s, z, sums + c);
}

}  // namespace
}  // namespace sparq

// Defines the binary, binary_scalar, dequantized_sum and dequantized_column_sums entry points of variant
// `prefix` on Vec (lookup is the file's own).
#define SPARQ_QX8_ELEMENTWISE_ENTRY_POINTS(prefix, Vec)                                                          \
  void prefix##_binary(std::size_t n, const void* x, const void* b, void* y, bool is_signed, Qx8BinaryOp op,     \
                       const Qx8BinaryParams& p) {                                                               \
    vec_binary_signed<Vec, true>(n, x, b, 0.0f, y, is_signed, op, p);                                            \
  }                                                                                                              \
  void prefix##_binary_scalar(std::size_t n, const void* x, float b, void* y, bool is_signed, Qx8BinaryOp op,    \
                              const Qx8BinaryParams& p) {                                                        \
    vec_binary_signed<Vec, false>(n, x, x, b, y, is_signed, op, p);                                              \
  }                                                                                                              \
  float prefix##_dequantized_sum(std::size_t n, const void* x, bool is_signed, float scale, int32_t zero_point) { \
    const auto* xs = static_cast<const uint8_t*>(x);                                                             \
    return is_signed ? vec_dequantized_sum<Vec, true>(n, xs, scale, zero_point)                                  \
                     : vec_dequantized_sum<Vec, false>(n, xs, scale, zero_point);                                \
  }                                                                                                              \
  void prefix##_dequantized_column_sums(std::size_t rows, std::size_t cols, std::size_t ld, const void* x,        \
                                        bool is_signed, float scale, int32_t zero_point, float* sums) {           \
    const auto* xs = static_cast<const uint8_t*>(x);                                                             \
    if (is_signed) vec_dequantized_column_sums<Vec, true>(rows, cols, ld, xs, scale, zero_point, sums);          \
    else vec_dequantized_column_sums<Vec, false>(rows, cols, ld, xs, scale, zero_point, sums);                   \
  }
