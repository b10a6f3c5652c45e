// The native kernel check: every variant of every family that this CPU runs,
// against the family's scalar variant or a plain reference, with no Node and
// no binding. It is how aarch64 variants are tested (cross-built, run under
// qemu-aarch64), and it runs natively on x86 too.
//
// A family is one file, <family>.cc in this folder:
//
//   #include "check.h"
//   #include "kernels/f32-minmax/f32-minmax.h"
//
//   CHECK_FAMILY("f32-minmax") {
//     const MinmaxVariant& ref = kMinmaxVariants[kMinmaxVariantCount - 1];  // the scalar one
//     c.variants(kMinmaxVariants, kMinmaxVariantCount, [&](const MinmaxVariant& v) {
//       for (std::size_t n : c.sizes({16, 4})) { ...; c.same(got, want, n, "n=%zu", n); }
//     });
//     c.best(minmax_best().name);
//   }
//
// c.variants() runs the lambda once per variant the CPU supports under the
// ISA limit (SPARQ_ISA works here as in the addon), records the ones it
// skips, and counts a variant failed when any comparison in it failed. The
// random source restarts from the seed and the family's name for each
// variant, so every variant meets the same cases on every machine.
// c.best() prints the variant the family's dispatcher picks. Families run in
// name order; `kernel-check f32-minmax qu8s8-gemm` runs only those.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/cpu-features.h"

namespace kcheck {

using sparq::Isa;

class Checker {
 public:
  explicit Checker(uint64_t seed) : seed_(seed), rng_(seed) {}

  // Runs fn(v) for every variant in list[0, count) that this CPU supports.
  // V needs `name` and `isa` members (every family's variant struct has them).
  template <typename V, typename F>
  void variants(const V* list, std::size_t count, F&& fn) {
    for (std::size_t i = 0; i < count; ++i) {
      const V& v = list[i];
      if (!sparq::isa_supported(v.isa)) {
        skip(v.name, v.isa);
        continue;
      }
      begin(v.name);
      fn(v);
      end();
    }
  }

  // Prints the variant the family's dispatcher (best_variant) picks here.
  void best(const char* name);

  // Sizes to try for a kernel whose loops step by the given tile widths:
  // 1 to 2 * the smallest tile, each tile and its neighbours, odd multiples
  // of the largest, and a few random sizes up to 8 tiles.
  std::vector<std::size_t> sizes(std::initializer_list<std::size_t> tiles);

  // Random values.
  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  int64_t integer(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng_); }
  std::vector<float> floats(std::size_t n, float lo, float hi);
  template <typename T>
  std::vector<T> integers(std::size_t n, int64_t lo, int64_t hi) {
    std::vector<T> v(n);
    for (T& x : v) x = static_cast<T>(integer(lo, hi));
    return v;
  }

  // Comparisons; `what` is a printf format naming the case. Each returns
  // whether everything matched and records a failure otherwise (the first
  // few of a variant are printed with the index and both values).
  // Exact: integers equal; floats equal bit for bit, any NaN matching any NaN.
  template <typename T>
  bool same(const T* got, const T* want, std::size_t n, const char* what, ...) __attribute__((format(printf, 5, 6)));
  // |got - want| <= atol + rtol * |want| (the TS tests' assertClose), with
  // Inf and NaN in want matched exactly (assertCloseNonfinite).
  bool close(const float* got, const float* want, std::size_t n, float rtol, float atol, const char* what, ...)
      __attribute__((format(printf, 7, 8)));
  // A single condition.
  bool expect(bool ok, const char* what, ...) __attribute__((format(printf, 3, 4)));

  // Totals, for main().
  int passed() const { return passed_; }
  int failed() const { return failed_; }
  int skipped() const { return skipped_; }
  void family(const char* name);

 private:
  void begin(const char* name);
  void end();
  void skip(const char* name, Isa isa);
  void fail(const std::string& what, std::size_t index, const std::string& got, const std::string& want);

  uint64_t seed_;
  std::mt19937_64 rng_;
  std::string family_;
  std::string variant_;
  int variant_failures_ = 0;
  int variant_checks_ = 0;
  int passed_ = 0, failed_ = 0, skipped_ = 0;
};

std::string format(const char* fmt, va_list args);
std::string show(float x);
std::string show(double x);
inline std::string show(int64_t x) { return std::to_string(x); }

inline bool same_value(float a, float b) {
  uint32_t ua, ub;
  std::memcpy(&ua, &a, 4);
  std::memcpy(&ub, &b, 4);
  return ua == ub || (a != a && b != b);
}
template <typename T>
bool same_value(T a, T b) {
  return a == b;
}
template <typename T>
std::string show_value(T x) {
  return show(static_cast<int64_t>(x));
}
inline std::string show_value(float x) { return show(x); }

template <typename T>
bool Checker::same(const T* got, const T* want, std::size_t n, const char* what, ...) {
  ++variant_checks_;
  for (std::size_t i = 0; i < n; ++i) {
    if (!same_value(got[i], want[i])) {
      va_list args;
      va_start(args, what);
      fail(format(what, args), i, show_value(got[i]), show_value(want[i]));
      va_end(args);
      return false;
    }
  }
  return true;
}

// Families register themselves from static initializers.
using FamilyFn = void (*)(Checker& c);
struct Registration {
  Registration(const char* name, FamilyFn fn);
};

}  // namespace kcheck

#define KCHECK_CONCAT2(a, b) a##b
#define KCHECK_CONCAT(a, b) KCHECK_CONCAT2(a, b)
// CHECK_FAMILY("name") { body using `c` }: defines and registers one family.
#define CHECK_FAMILY(name)                                                                        \
  static void KCHECK_CONCAT(kcheck_family_, __LINE__)(::kcheck::Checker & c);                     \
  static const ::kcheck::Registration KCHECK_CONCAT(kcheck_registration_, __LINE__)(              \
      name, KCHECK_CONCAT(kcheck_family_, __LINE__));                                             \
  static void KCHECK_CONCAT(kcheck_family_, __LINE__)(::kcheck::Checker & c)
