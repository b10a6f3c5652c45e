// Portable f32-maxpool-nhwc: the loop of f32-maxpool-nhwc-loops.h one
// element at a time. Every other variant must match this bit for bit.
#include <cmath>
#include <cstdint>
#include <limits>

#include "f32-maxpool-nhwc-loops.h"

namespace sparq {
namespace {

template <typename E>
struct Scalar {
  using Elem = E;
  using T = E;
  static constexpr std::size_t W = 1;
  static T load(const E* p) { return *p; }
  static void store(E* p, T v) { *p = v; }
  static T load_n(const E* p, std::size_t) { return *p; }
  static void store_n(E* p, T v, std::size_t) { *p = v; }
  static T lowest() { return std::numeric_limits<E>::has_infinity ? -std::numeric_limits<E>::infinity() : std::numeric_limits<E>::lowest(); }
  static T keep_max(T v, T m) { return v > m ? v : m; }
};

}  // namespace

SPARQ_MAXPOOL_NHWC_ENTRY_POINTS(f32_maxpool_nhwc_scalar, Scalar<float>, Scalar<uint8_t>, Scalar<int8_t>)

}  // namespace sparq
