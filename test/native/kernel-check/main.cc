// The kernel check's driver: the Checker, the family registry and main().
// Usage: kernel-check [family...]   (default: every family)
// Environment: SPARQ_ISA caps the variants run (as in the addon);
// KCHECK_SEED=n changes the random data (the seed is printed).
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "check.h"

namespace kcheck {
namespace {

constexpr int kPrintedFailures = 3;  // per variant; the rest are counted

std::map<std::string, FamilyFn>& registry() {
  static std::map<std::string, FamilyFn> families;  // sorted, so the order is stable
  return families;
}

}  // namespace

Registration::Registration(const char* name, FamilyFn fn) {
  if (!registry().emplace(name, fn).second) {
    std::fprintf(stderr, "kernel-check: family %s registered twice\n", name);
    std::abort();
  }
}

std::string format(const char* fmt, va_list args) {
  char buf[256];
  std::vsnprintf(buf, sizeof buf, fmt, args);
  return buf;
}

std::string show(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g (0x%08" PRIx32 ")", static_cast<double>(x), bits);
  return buf;
}

std::string show(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

void Checker::family(const char* name) {
  family_ = name;
  std::printf("%s\n", name);
}

void Checker::begin(const char* name) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a: the same on every platform, unlike std::hash
  for (char ch : family_) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  rng_.seed(seed_ ^ h);
  variant_ = name;
  variant_failures_ = 0;
  variant_checks_ = 0;
}

void Checker::end() {
  if (variant_checks_ == 0) {
    // A variant that compared nothing has not been tested.
    std::printf("  FAIL  %s: no comparisons ran\n", variant_.c_str());
    ++failed_;
  } else if (variant_failures_ > 0) {
    std::printf("  FAIL  %s: %d of %d checks failed\n", variant_.c_str(), variant_failures_, variant_checks_);
    ++failed_;
  } else {
    std::printf("  pass  %s (%d checks)\n", variant_.c_str(), variant_checks_);
    ++passed_;
  }
  std::fflush(stdout);
}

void Checker::skip(const char* name, Isa isa) {
  std::printf("  skip  %s (needs %s: not on this CPU or above SPARQ_ISA)\n", name, sparq::isa_name(isa));
  ++skipped_;
}

void Checker::best(const char* name) { std::printf("  best  %s\n", name); }

void Checker::fail(const std::string& what, std::size_t index, const std::string& got, const std::string& want) {
  if (variant_failures_++ < kPrintedFailures)
    std::printf("        %s: %s: index %zu: got %s, want %s\n", variant_.c_str(), what.c_str(), index, got.c_str(),
                want.c_str());
}

bool Checker::close(const float* got, const float* want, std::size_t n, float rtol, float atol, const char* what, ...) {
  ++variant_checks_;
  for (std::size_t i = 0; i < n; ++i) {
    const float a = got[i], e = want[i];
    const bool ok = std::isfinite(e) ? std::fabs(a - e) <= atol + rtol * std::fabs(e) : same_value(a, e);
    if (!ok) {
      va_list args;
      va_start(args, what);
      fail(format(what, args), i, show(a), show(e));
      va_end(args);
      return false;
    }
  }
  return true;
}

bool Checker::expect(bool ok, const char* what, ...) {
  ++variant_checks_;
  if (!ok) {
    va_list args;
    va_start(args, what);
    fail(format(what, args), 0, "false", "true");
    va_end(args);
  }
  return ok;
}

std::vector<std::size_t> Checker::sizes(std::initializer_list<std::size_t> tiles) {
  const std::size_t small = std::max<std::size_t>(1, *std::min_element(tiles.begin(), tiles.end()));
  const std::size_t large = std::max<std::size_t>(1, *std::max_element(tiles.begin(), tiles.end()));
  std::vector<std::size_t> out;
  for (std::size_t n = 1; n <= 2 * small + 1; ++n) out.push_back(n);
  for (std::size_t t : tiles)
    for (std::size_t n : {t - 1, t, t + 1, 2 * t - 1, 2 * t + 1}) out.push_back(n);
  for (std::size_t k : {3, 5, 7}) out.push_back(k * large + small - 1);
  for (int r = 0; r < 4; ++r) out.push_back(1 + below(8 * large));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  out.erase(std::remove(out.begin(), out.end(), std::size_t{0}), out.end());
  return out;
}

std::vector<float> Checker::floats(std::size_t n, float lo, float hi) {
  std::vector<float> v(n);
  for (float& x : v) x = uniform(lo, hi);
  return v;
}

}  // namespace kcheck

int main(int argc, char** argv) {
  uint64_t seed = 20261203;
  if (const char* s = std::getenv("KCHECK_SEED")) seed = std::strtoull(s, nullptr, 10);
  const auto& families = kcheck::registry();
  for (int i = 1; i < argc; ++i) {
    if (families.count(argv[i]) == 0) {
      std::fprintf(stderr, "kernel-check: no family %s\n", argv[i]);
      return 2;
    }
  }
  const sparq::Isa limit = sparq::isa_limit();
  std::printf("kernel-check: seed %" PRIu64 ", ISA limit %s\n", seed,
              limit == sparq::Isa::kAmxInt8 ? "none" : sparq::isa_name(limit));
  kcheck::Checker c(seed);
  for (const auto& [name, fn] : families) {
    if (argc > 1 && std::find_if(argv + 1, argv + argc, [&](const char* a) { return name == a; }) == argv + argc)
      continue;
    c.family(name.c_str());
    fn(c);
  }
  std::printf("kernel-check: %d variants passed, %d failed, %d skipped\n", c.passed(), c.failed(), c.skipped());
  return c.failed() == 0 && c.passed() > 0 ? 0 : 1;
}
