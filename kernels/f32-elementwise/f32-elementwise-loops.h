// The loops of the SIMD f32-elementwise variants, written once over a vector
// type: each variant file defines its `Vec` (width W, load, store, their
// first-k-lanes forms load_n/store_n, add, sub, mul, div, set1, max and min
// with the header's NaN-keeping clamp order) and
// instantiates these. Everything here has internal linkage, so each file's
// instantiations are compiled with that file's ISA flags only and none can
// be merged into another variant (or the portable path) by the linker.
#pragma once

#include <cstddef>

#include "f32-elementwise.h"

namespace sparq {
namespace {

template <class Vec>
struct VecActivation {
  typename Vec::T alpha, beta, lo, hi, zero, one, sixth, half;
  explicit VecActivation(const F32Activation& a)
      : alpha(Vec::set1(a.alpha)), beta(Vec::set1(a.beta)), lo(Vec::set1(a.lo)), hi(Vec::set1(a.hi)),
        zero(Vec::set1(0.0f)), one(Vec::set1(1.0f)), sixth(Vec::set1(1.0f / 6.0f)), half(Vec::set1(0.5f)) {}
};

// min(hi, max(lo, x)) with Vec's operand order: `x < lo ? lo : x`, then `x > hi ? hi : x`.
template <class Vec>
inline typename Vec::T vec_clamp(typename Vec::T x, typename Vec::T lo, typename Vec::T hi) {
  return Vec::min_hi(hi, Vec::max_lo(lo, x));
}

template <class Vec, F32ActKind K>
inline typename Vec::T vec_activated(typename Vec::T x, const VecActivation<Vec>& a) {
  if (K == F32ActKind::kHardSigmoid) x = vec_clamp<Vec>(Vec::add(Vec::mul(a.alpha, x), a.beta), a.zero, a.one);
  if (K == F32ActKind::kHardSwish) x = Vec::mul(x, vec_clamp<Vec>(Vec::add(Vec::mul(x, a.sixth), a.half), a.zero, a.one));
  return vec_clamp<Vec>(x, a.lo, a.hi);
}

template <class Vec, F32BinaryOp Op>
inline typename Vec::T vec_combined(typename Vec::T x, typename Vec::T b) {
  if (Op == F32BinaryOp::kAdd) return Vec::add(x, b);
  if (Op == F32BinaryOp::kSub) return Vec::sub(x, b);
  if (Op == F32BinaryOp::kReverseSub) return Vec::sub(b, x);
  return Vec::mul(x, b);
}

// y = f(x, b) over n elements, 2 vectors per step, the tail through masked
// loads and stores (its extra lanes read as zero, computed and dropped).
// `BStep` is 1 when b advances with x, 0 when it is one value.
template <class Vec, std::size_t BStep, typename F>
inline void vec_map(std::size_t n, const float* x, const float* b, float* y, F f) {
  constexpr std::size_t W = Vec::W;
  std::size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const typename Vec::T r0 = f(Vec::load(x + i), BStep ? Vec::load(b + i) : Vec::set1(*b));
    const typename Vec::T r1 = f(Vec::load(x + i + W), BStep ? Vec::load(b + i + W) : Vec::set1(*b));
    Vec::store(y + i, r0);
    Vec::store(y + i + W, r1);
  }
  if (i + W <= n) {
    Vec::store(y + i, f(Vec::load(x + i), BStep ? Vec::load(b + i) : Vec::set1(*b)));
    i += W;
  }
  if (i < n) {
    const std::size_t k = n - i;
    Vec::store_n(y + i, f(Vec::load_n(x + i, k), BStep ? Vec::load_n(b + i, k) : Vec::set1(*b)), k);
  }
}

template <class Vec, F32ActKind K>
void vec_activate(std::size_t n, const float* x, float* y, const F32Activation& act) {
  const VecActivation<Vec> a(act);
  vec_map<Vec, 0>(n, x, x, y, [&](typename Vec::T v, typename Vec::T) { return vec_activated<Vec, K>(v, a); });
}

// How a binary op reads b: one value, advancing with x, or one row of n values for every row of x.
enum class BForm { kScalar, kElementwise, kColumns };

// `rows` rows of n values (rows is 1 unless b is kColumns).
template <class Vec, BForm Form, F32BinaryOp Op, F32ActKind K>
void vec_binary(std::size_t rows, std::size_t n, const float* x, const float* b, float* y, const F32Activation& act) {
  const VecActivation<Vec> a(act);
  const auto f = [&](typename Vec::T v, typename Vec::T w) { return vec_activated<Vec, K>(vec_combined<Vec, Op>(v, w), a); };
  for (std::size_t r = 0; r < rows; r++, x += n, y += n) vec_map<Vec, Form == BForm::kScalar ? 0 : 1>(n, x, b, y, f);
}

// The instantiation for a runtime (op, kind): the switch runs once per call, not per element.
template <class Vec, BForm Form, F32BinaryOp Op>
void vec_binary_kind(std::size_t rows, std::size_t n, const float* x, const float* b, float* y, const F32Activation& act) {
  switch (act.kind) {
    case F32ActKind::kClamp: return vec_binary<Vec, Form, Op, F32ActKind::kClamp>(rows, n, x, b, y, act);
    case F32ActKind::kHardSigmoid: return vec_binary<Vec, Form, Op, F32ActKind::kHardSigmoid>(rows, n, x, b, y, act);
    case F32ActKind::kHardSwish: return vec_binary<Vec, Form, Op, F32ActKind::kHardSwish>(rows, n, x, b, y, act);
  }
}

template <class Vec, BForm Form>
void vec_binary_op(std::size_t rows, std::size_t n, const float* x, const float* b, float* y, F32BinaryOp op, const F32Activation& act) {
  switch (op) {
    case F32BinaryOp::kAdd: return vec_binary_kind<Vec, Form, F32BinaryOp::kAdd>(rows, n, x, b, y, act);
    case F32BinaryOp::kSub: return vec_binary_kind<Vec, Form, F32BinaryOp::kSub>(rows, n, x, b, y, act);
    case F32BinaryOp::kReverseSub: return vec_binary_kind<Vec, Form, F32BinaryOp::kReverseSub>(rows, n, x, b, y, act);
    case F32BinaryOp::kMul: return vec_binary_kind<Vec, Form, F32BinaryOp::kMul>(rows, n, x, b, y, act);
  }
}

template <class Vec>
void vec_activate_kind(std::size_t n, const float* x, float* y, const F32Activation& act) {
  switch (act.kind) {
    case F32ActKind::kClamp: return vec_activate<Vec, F32ActKind::kClamp>(n, x, y, act);
    case F32ActKind::kHardSigmoid: return vec_activate<Vec, F32ActKind::kHardSigmoid>(n, x, y, act);
    case F32ActKind::kHardSwish: return vec_activate<Vec, F32ActKind::kHardSwish>(n, x, y, act);
  }
}

// The header's order: 16 lanes (16 / W vectors), the tree, then the tail.
template <class Vec>
float vec_sum(std::size_t n, const float* x) {
  constexpr std::size_t W = Vec::W, V = 16 / W;
  typename Vec::T acc[V];
  for (std::size_t v = 0; v < V; v++) acc[v] = Vec::set1(0.0f);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (std::size_t v = 0; v < V; v++) acc[v] = Vec::add(acc[v], Vec::load(x + i + v * W));
  float lanes[16];
  for (std::size_t v = 0; v < V; v++) Vec::store(lanes + v * W, acc[v]);
  for (std::size_t half = 8; half >= 1; half /= 2)
    for (std::size_t l = 0; l < half; l++) lanes[l] += lanes[l + half];
  float sum = lanes[0];
  for (; i < n; i++) sum += x[i];
  return sum;
}

// The means of W columns (k of them when not Full) at x, rows at stride ld, in
// the header's order per column: row r into running sum r % 16, the tree, the tail.
template <class Vec, bool Full>
inline void vec_column_block_means(std::size_t rows, std::size_t ld, const float* x, float* y, std::size_t k,
                                   typename Vec::T divisor) {
  const auto load = [&](const float* p) { return Full ? Vec::load(p) : Vec::load_n(p, k); };
  typename Vec::T acc[16];
  for (std::size_t l = 0; l < 16; l++) acc[l] = Vec::set1(0.0f);
  std::size_t r = 0;
  for (; r + 16 <= rows; r += 16)
    for (std::size_t l = 0; l < 16; l++) acc[l] = Vec::add(acc[l], load(x + (r + l) * ld));
  for (std::size_t half = 8; half >= 1; half /= 2)
    for (std::size_t l = 0; l < half; l++) acc[l] = Vec::add(acc[l], acc[l + half]);
  typename Vec::T sum = acc[0];
  for (; r < rows; r++) sum = Vec::add(sum, load(x + r * ld));
  if (Full) Vec::store(y, Vec::div(sum, divisor));
  else Vec::store_n(y, Vec::div(sum, divisor), k);
}

template <class Vec>
void vec_column_means(std::size_t rows, std::size_t cols, std::size_t ld, const float* x, float* y) {
  constexpr std::size_t W = Vec::W;
  const typename Vec::T divisor = Vec::set1(static_cast<float>(rows));
  std::size_t c = 0;
  for (; c + W <= cols; c += W) vec_column_block_means<Vec, true>(rows, ld, x + c, y + c, W, divisor);
  if (c < cols) vec_column_block_means<Vec, false>(rows, ld, x + c, y + c, cols - c, divisor);
}

}  // namespace
}  // namespace sparq

// Defines the entry points of variant `prefix` on Vec.
#define SPARQ_ELEMENTWISE_ENTRY_POINTS(prefix, Vec)                                                              \
  void prefix##_activate(std::size_t n, const float* x, float* y, const F32Activation& act) {                   \
    vec_activate_kind<Vec>(n, x, y, act);                                                                        \
  }                                                                                                              \
  void prefix##_binary(std::size_t n, const float* x, const float* b, float* y, F32BinaryOp op,                  \
                       const F32Activation& act) {                                                               \
    vec_binary_op<Vec, BForm::kElementwise>(1, n, x, b, y, op, act);                                             \
  }                                                                                                              \
  void prefix##_binary_scalar(std::size_t n, const float* x, float b, float* y, F32BinaryOp op,                  \
                              const F32Activation& act) {                                                        \
    vec_binary_op<Vec, BForm::kScalar>(1, n, x, &b, y, op, act);                                                 \
  }                                                                                                              \
  void prefix##_binary_columns(std::size_t rows, std::size_t cols, const float* x, const float* b, float* y,     \
                               F32BinaryOp op, const F32Activation& act) {                                       \
    vec_binary_op<Vec, BForm::kColumns>(rows, cols, x, b, y, op, act);                                           \
  }                                                                                                              \
  float prefix##_sum(std::size_t n, const float* x) { return vec_sum<Vec>(n, x); }                               \
  void prefix##_column_means(std::size_t rows, std::size_t cols, std::size_t ld, const float* x, float* y) {     \
    vec_column_means<Vec>(rows, cols, ld, x, y);                                                                 \
  }
