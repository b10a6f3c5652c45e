// CPU feature detection, done once per process. Kernel variant lists name the
// feature each variant needs; dispatchers ask here before choosing one.
#pragma once

namespace sparq {

enum class Isa { kScalar, kAvx2Fma, kNeon };

struct CpuFeatures {
  bool avx2_fma = false;  // AVX2 and FMA3 both present and enabled by the OS (XCR0)
  bool neon = false;
};

const CpuFeatures& cpu_features();

// True when this CPU can run code built for `isa` and the ISA limit allows it.
bool isa_supported(Isa isa);

// Caps the ISA that dispatchers may pick: kScalar forces the portable path
// everywhere (tests, CPUs with broken SIMD). The environment variable
// SPARQ_ISA=scalar sets the same limit at load.
void set_isa_limit(Isa limit);
Isa isa_limit();

const char* isa_name(Isa isa);

}  // namespace sparq
