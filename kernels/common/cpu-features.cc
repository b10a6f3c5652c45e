#include "cpu-features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <cpuid.h>
#define SPARQ_X86 1
#endif
#if defined(__linux__) && SPARQ_X86
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif
#if defined(__aarch64__) && defined(__APPLE__)
#include <sys/sysctl.h>
#endif

namespace sparq {
namespace {

#if SPARQ_X86
// The OS must save a register state (XCR0) before code may use it, or the
// first instruction touching it faults: cpuid bits alone are not enough.
unsigned xcr0() {
  unsigned a, b, c, d;
  __cpuid(1, a, b, c, d);
  if (!((c >> 27) & 1)) return 0;  // no OSXSAVE
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return lo;
}

// Linux leaves AMX tile data (8 KiB of state) out of a process's signal and
// context-switch frames until the process asks for it once; a tile
// instruction before that faults. The grant is process-wide and permanent.
bool request_amx_permission() {
#if defined(__linux__)
  constexpr long kArchReqXcompPerm = 0x1023;  // ARCH_REQ_XCOMP_PERM
  constexpr long kXfeatureXtiledata = 18;     // XFEATURE_XTILEDATA
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;  // no known way to enable AMX for this process elsewhere
#endif
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid(1, a, b, c, d);
  const bool fma = (c >> 12) & 1, avx = (c >> 28) & 1;
  __cpuid_count(7, 0, a, b, c, d);
  const bool avx2 = (b >> 5) & 1;
  const bool avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);  // F DQ BW VL
  const bool vnni = (c >> 11) & 1;
  const bool vbmi = (c >> 1) & 1;
  const bool amx = ((d >> 24) & 1) && ((d >> 25) & 1);  // AMX-TILE, AMX-INT8
  const unsigned state = xcr0();
  const bool ymm_state = (state & 0x6) == 0x6;       // SSE + AVX
  const bool zmm_state = (state & 0xe6) == 0xe6;     // + opmask, ZMM_Hi256, Hi16_ZMM
  f.avx2_fma = fma && avx && avx2 && ymm_state;
  f.avx512 = f.avx2_fma && avx512 && zmm_state;
  f.avx512_vnni = f.avx512 && vnni;
  f.avx512_vbmi = f.avx512 && vbmi;
  const bool tile_state = (state & 0x60000) == 0x60000;  // XTILECFG, XTILEDATA
  f.amx_int8 = f.avx512_vnni && amx && tile_state && request_amx_permission();
  return f;
}
#elif defined(__aarch64__)
#if defined(__APPLE__)
bool sysctl_flag(const char* name) {
  int value = 0;
  std::size_t size = sizeof(value);
  return sysctlbyname(name, &value, &size, nullptr, 0) == 0 && value != 0;
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
  f.neon = true;  // Advanced SIMD is mandatory on AArch64.
#if defined(__linux__)
  // The kernel reports what EL0 may execute in the auxiliary vector; reading
  // the ID registers directly would trap on kernels that do not emulate them.
  // The bit values are the kernel ABI's (asm/hwcap.h), spelled out because
  // older libc headers lack HWCAP2_I8MM.
  constexpr unsigned long kHwcapAsimddp = 1ul << 20;  // HWCAP_ASIMDDP
  constexpr unsigned long kHwcap2I8mm = 1ul << 13;    // HWCAP2_I8MM
  f.neon_dot = (getauxval(AT_HWCAP) & kHwcapAsimddp) != 0;
  f.i8mm = (getauxval(AT_HWCAP2) & kHwcap2I8mm) != 0;
#elif defined(__APPLE__)
  f.neon_dot = sysctl_flag("hw.optional.arm.FEAT_DotProd");
  f.i8mm = sysctl_flag("hw.optional.arm.FEAT_I8MM");
#endif
  return f;
}
#else
CpuFeatures detect() { return CpuFeatures(); }
#endif

// Height on the ISA ladders; the AArch64 rungs share the x86 ones (NEON with
// AVX2, NEON-dot with AVX-512) so one limit caps either architecture.
int rank(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return 0;
    case Isa::kAvx2Fma: return 1;
    case Isa::kNeon: return 1;
    case Isa::kAvx512: return 2;
    case Isa::kNeonDot: return 2;
    case Isa::kAvx512Vnni: return 3;
    case Isa::kAvx512Vbmi: return 3;
    case Isa::kAmxInt8: return 4;
  }
  return 0;
}

Isa initial_limit() {
  Isa limit = Isa::kAmxInt8;
  const char* env = std::getenv("SPARQ_ISA");
  if (env != nullptr) isa_from_name(env, &limit);
  return limit;
}

// The Isa last set as the limit (as its enum value); comparisons use its rank.
std::atomic<int> g_limit{static_cast<int>(initial_limit())};

int limit_rank() { return rank(static_cast<Isa>(g_limit.load())); }

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

void set_isa_limit(Isa limit) { g_limit.store(static_cast<int>(limit)); }

Isa isa_limit() { return static_cast<Isa>(g_limit.load()); }

bool isa_supported(Isa isa) {
  if (rank(isa) > limit_rank()) return false;
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2Fma: return f.avx2_fma;
    case Isa::kAvx512: return f.avx512;
    case Isa::kAvx512Vnni: return f.avx512_vnni;
    case Isa::kAvx512Vbmi: return f.avx512_vbmi;
    case Isa::kAmxInt8: return f.amx_int8;
    case Isa::kNeon: return f.neon;
    case Isa::kNeonDot: return f.neon_dot;
  }
  return false;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2Fma: return "avx2";
    case Isa::kAvx512: return "avx512";
    case Isa::kAvx512Vnni: return "avx512vnni";
    case Isa::kAvx512Vbmi: return "avx512vbmi";
    case Isa::kAmxInt8: return "amx";
    case Isa::kNeon: return "neon";
    case Isa::kNeonDot: return "neondot";
  }
  return "unknown";
}

bool isa_from_name(const char* name, Isa* isa) {
  for (Isa candidate : {Isa::kScalar, Isa::kAvx2Fma, Isa::kAvx512, Isa::kAvx512Vnni, Isa::kAmxInt8, Isa::kNeon,
                         Isa::kNeonDot}) {
    if (std::strcmp(name, isa_name(candidate)) == 0) {
      *isa = candidate;
      return true;
    }
  }
  return false;
}

}  // namespace sparq
