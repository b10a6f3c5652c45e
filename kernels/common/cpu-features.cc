#include "cpu-features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <cpuid.h>
#define SPARQ_X86 1
#endif

namespace sparq {
namespace {

#if SPARQ_X86
// AVX state must be enabled by the OS (XCR0 bits 1 and 2), not just present in
// cpuid, or the first ymm instruction faults.
bool os_saves_ymm() {
  unsigned a, b, c, d;
  __cpuid(1, a, b, c, d);
  const bool osxsave = (c >> 27) & 1;
  if (!osxsave) return false;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (lo & 0x6) == 0x6;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid(1, a, b, c, d);
  const bool fma = (c >> 12) & 1;
  const bool avx = (c >> 28) & 1;
  __cpuid_count(7, 0, a, b, c, d);
  const bool avx2 = (b >> 5) & 1;
  f.avx2_fma = fma && avx && avx2 && os_saves_ymm();
  return f;
}
#else
CpuFeatures detect() {
  CpuFeatures f;
#if defined(__aarch64__)
  f.neon = true;  // Advanced SIMD is mandatory on AArch64.
#endif
  return f;
}
#endif

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

namespace {
Isa initial_limit() {
  const char* env = std::getenv("SPARQ_ISA");
  return (env != nullptr && std::strcmp(env, "scalar") == 0) ? Isa::kScalar : Isa::kAvx2Fma;
}
// kAvx2Fma and kNeon both mean "no limit": a machine has at most one of them.
std::atomic<Isa> g_limit{initial_limit()};
}  // namespace

void set_isa_limit(Isa limit) { g_limit.store(limit == Isa::kNeon ? Isa::kAvx2Fma : limit); }

Isa isa_limit() { return g_limit.load(); }

bool isa_supported(Isa isa) {
  if (isa != Isa::kScalar && g_limit.load() == Isa::kScalar) return false;
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2Fma: return cpu_features().avx2_fma;
    case Isa::kNeon: return cpu_features().neon;
  }
  return false;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2Fma: return "avx2";
    case Isa::kNeon: return "neon";
  }
  return "unknown";
}

}  // namespace sparq
