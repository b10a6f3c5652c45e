// CPU feature detection, done once per process. Kernel variant lists name the
// ISA each variant needs; dispatchers ask here before choosing one.
#pragma once

namespace sparq {

// ISAs a variant can be built for. Each architecture has a ladder (each level
// implies the ones below it): x86 scalar < AVX2 < AVX-512 < VNNI < AMX, AArch64
// scalar < NEON < NEON + dot product. The rungs line up across the two (NEON
// with AVX2, NEON-dot with AVX-512), so a limit named for one architecture
// caps the other at the same height.
enum class Isa {
  kScalar,      // portable C++, no ISA flags
  kAvx2Fma,     // -mavx2 -mfma
  kAvx512,      // AVX-512 F/DQ/BW/VL (Skylake-SP and later): -mavx512f -mavx512dq -mavx512bw -mavx512vl
  kAvx512Vnni,  // kAvx512 + VNNI (vpdpbusd: u8 x s8 dot products into int32)
  kAmxInt8,     // kAvx512Vnni + AMX tiles with int8 dot products (Sapphire Rapids and later)
  // kAvx512 + VBMI (vpermb/vpermi2b: byte permutes across the register; Ice
  // Lake, Zen 4 and later). Not a rung of its own: Cascade Lake has VNNI
  // without VBMI, so it ranks with kAvx512Vnni (an avx512vnni limit or
  // higher allows it) and runs only where the CPU has it. Not a limit name.
  kAvx512Vbmi,
  kNeon,        // AArch64 Advanced SIMD (mandatory there): no flags
  kNeonDot,     // kNeon + the dot-product extension (sdot/udot, Armv8.2+): -march=armv8.2-a+dotprod
};

struct CpuFeatures {
  bool avx2_fma = false;     // AVX2 and FMA3 present and enabled by the OS (XCR0)
  bool avx512 = false;       // F, DQ, BW, VL present and zmm/opmask state enabled by the OS
  bool avx512_vnni = false;
  bool avx512_vbmi = false;
  // AMX-TILE and AMX-INT8 present, tile state enabled in XCR0 and, on Linux,
  // this process granted the permission to use it (arch_prctl at detection).
  bool amx_int8 = false;
  bool neon = false;
  bool neon_dot = false;  // FEAT_DotProd: sdot/udot (Cortex-A55/A76 and later, Apple M1, Graviton2)
  bool i8mm = false;      // FEAT_I8MM: smmla/usmmla int8 matrix multiply (Graviton3, Apple M2); no variant uses it yet
};

const CpuFeatures& cpu_features();

// True when this CPU can run code built for `isa` and the ISA limit allows it.
bool isa_supported(Isa isa);

// Caps the ISA that dispatchers may pick: kScalar forces the portable path
// everywhere (tests, CPUs with broken SIMD), kAvx2Fma keeps x86 to AVX2 (to
// compare with AVX2-only machines), kNeon keeps AArch64 off the dot-product
// variants. The environment variable SPARQ_ISA (any isa_name) sets the same
// limit at load; kAmxInt8, the top rung, lifts it. isa_limit() returns the
// Isa last set.
void set_isa_limit(Isa limit);
Isa isa_limit();

const char* isa_name(Isa isa);

// The Isa called `name` (as isa_name spells it); false for unknown names.
bool isa_from_name(const char* name, Isa* isa);

}  // namespace sparq
