// What the kernel fuzz harnesses share: decoding shapes, parameters and data
// from the fuzz bytes (FuzzedDataProvider: integers from the end, data from
// the front, zeros once the bytes run out), running every variant this CPU
// supports, and comparing with the scalar variant. A mismatch prints the
// case and aborts, which libFuzzer records as a crash like a sanitizer
// finding.
//
// A harness is one file, <name>.cc, defining LLVMFuzzerTestOneInput. It keeps
// only the inputs the binding lets through (its checks are repeated here, one
// comment each), so a finding is a defect a JS caller could reach.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/common/cpu-features.h"
#include "kernels/common/thread-pool.h"

namespace fuzz {

class Input {
 public:
  Input(const uint8_t* data, std::size_t size) : p_(data, size) {}

  std::size_t size(std::size_t lo, std::size_t hi) { return p_.ConsumeIntegralInRange<std::size_t>(lo, hi); }
  template <typename T>
  T integer(T lo, T hi) {
    return p_.ConsumeIntegralInRange<T>(lo, hi);
  }
  bool flag() { return p_.ConsumeBool(); }
  // One of `count` choices.
  std::size_t pick(std::size_t count) { return size(0, count - 1); }

  // A float as a caller may pass one: mostly in [-range, range], else one
  // of the values that break arithmetic (signed zeros, halves that round to
  // even, a subnormal and, when `nonfinite`, Inf, NaN, the extremes or raw
  // bits).
  float value(float range, bool nonfinite = true) {
    static const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 2.5f, std::numeric_limits<float>::denorm_min(),
                                     INFINITY, -INFINITY, NAN, std::numeric_limits<float>::max(),
                                     -std::numeric_limits<float>::max()};
    const std::size_t finite_specials = 7, all_specials = sizeof specials / sizeof specials[0];
    const uint8_t kind = p_.ConsumeIntegral<uint8_t>();
    if (kind < 200) return (static_cast<float>(p_.ConsumeIntegral<uint16_t>()) / 32767.5f - 1.0f) * range;
    if (kind < 240 || !nonfinite) return specials[kind % (nonfinite ? all_specials : finite_specials)];
    const uint32_t bits = p_.ConsumeIntegral<uint32_t>();
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  // `n` data values: the first ones decoded one by one as value(), the
  // rest (large tensors) spread from raw bytes so the input stays small.
  std::vector<float> floats(std::size_t n, float range, bool nonfinite) {
    std::vector<float> v(n);
    const std::size_t decoded = n < 64 ? n : 64;
    for (std::size_t i = 0; i < decoded; ++i) v[i] = value(range, nonfinite);
    const std::vector<uint8_t> raw = p_.ConsumeBytes<uint8_t>(n - decoded);
    for (std::size_t i = decoded; i < n; ++i)
      v[i] = i - decoded < raw.size() ? (static_cast<float>(raw[i - decoded]) / 127.5f - 1.0f) * range : 0.0f;
    return v;
  }
  // `n` bytes from the data, repeating what there is when it runs short (so
  // a short input still fills a large tensor with varied values).
  std::vector<uint8_t> bytes(std::size_t n) {
    std::vector<uint8_t> v = p_.ConsumeBytes<uint8_t>(n);
    const std::size_t have = v.size();
    v.resize(n);
    for (std::size_t i = have; i < n; ++i) v[i] = have == 0 ? static_cast<uint8_t>(i * 37) : v[i % have];
    return v;
  }
  template <typename T>
  std::vector<T> integers(std::size_t n, T lo, T hi) {
    std::vector<T> v(n);
    for (T& x : v) x = integer<T>(lo, hi);
    return v;
  }

 private:
  FuzzedDataProvider p_;
};

// Runs fn(v) for every variant in list[0, count) that this CPU supports.
template <typename V, typename F>
void each_variant(const V* list, std::size_t count, F&& fn) {
  for (std::size_t i = 0; i < count; ++i)
    if (sparq::isa_supported(list[i].isa)) fn(list[i]);
}

// The thread count for one execution (1 to 3): the drivers split work
// differently with more threads, and every split must give the same bits.
inline void threads_from(Input& in) { sparq::set_thread_count(static_cast<int>(in.size(1, 3))); }

[[noreturn]] inline void fail(const char* variant, const char* what, std::size_t index, double got, double want) {
  std::fprintf(stderr, "MISMATCH %s: %s at %zu: got %.9g, want %.9g\n", variant, what, index, got, want);
  std::abort();
}

inline bool same_bits(float a, float b) {
  uint32_t ua, ub;
  std::memcpy(&ua, &a, 4);
  std::memcpy(&ub, &b, 4);
  return ua == ub || (a != a && b != b);
}

// Exact: bytes equal (integer outputs, and float outputs the family states
// bit for bit), NaN payloads aside for float32 element types.
inline void same_bytes(const char* variant, const char* what, const void* got, const void* want, std::size_t bytes) {
  const uint8_t* g = static_cast<const uint8_t*>(got);
  const uint8_t* w = static_cast<const uint8_t*>(want);
  for (std::size_t i = 0; i < bytes; ++i)
    if (g[i] != w[i]) fail(variant, what, i, g[i], w[i]);
}
inline void same_floats(const char* variant, const char* what, const float* got, const float* want, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!same_bits(got[i], want[i])) fail(variant, what, i, got[i], want[i]);
}

// Within |got - want| <= atol + rtol * |want|, Inf and NaN matched exactly
// (the TS tests' assertCloseNonfinite).
inline void close_floats(const char* variant, const char* what, const float* got, const float* want, std::size_t n,
                         float rtol, float atol) {
  for (std::size_t i = 0; i < n; ++i) {
    const float g = got[i], w = want[i];
    if (std::isnan(w) || std::isinf(w)) {
      if (!same_bits(g, w) && !(std::isnan(g) && std::isnan(w))) fail(variant, what, i, g, w);
    } else if (!(std::fabs(g - w) <= atol + rtol * std::fabs(w))) {
      fail(variant, what, i, g, w);
    }
  }
}

}  // namespace fuzz
