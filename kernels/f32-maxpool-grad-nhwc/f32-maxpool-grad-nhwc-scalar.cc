// Portable f32-maxpool-grad-nhwc: the loop of f32-maxpool-grad-nhwc-loops.h
// one float at a time. Every other variant must match this bit for bit.
#include "f32-maxpool-grad-nhwc-loops.h"

namespace sparq {
namespace {

struct Scalar {
  using T = float;
  using M = bool;
  static constexpr std::size_t W = 1;
  static T load(const float* p) { return *p; }
  static void store(float* p, T v) { *p = v; }
  static T load_n(const float* p, std::size_t) { return *p; }
  static void store_n(float* p, T v, std::size_t) { *p = v; }
  static M eq(T a, T b) { return a == b; }
  static M positive(T v) { return v > 0.0f; }
  static M all() { return true; }
  static M and_(M a, M b) { return a && b; }
  static M and_not(M a, M b) { return a && !b; }
  static M or_(M a, M b) { return a || b; }
  static T keep(M m, T v) { return m ? v : 0.0f; }
  static T plus_zero(T v) { return v + 0.0f; }
};

}  // namespace

SPARQ_MAXPOOL_GRAD_NHWC_ENTRY_POINT(f32_maxpool_grad_nhwc_scalar, Scalar)

}  // namespace sparq
