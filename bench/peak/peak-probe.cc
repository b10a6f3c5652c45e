// Register-only peak of the arithmetic the kernels are built on, one thread:
// independent accumulator chains (more than latency x ports, so the loop is
// throughput-bound), no loads or stores in the loop. The efficiency tables in
// BENCHMARKS.md divide a kernel's measured rate by these on the same machine,
// which shows how well an ISA path runs where no onnxruntime ratio can (an
// AVX2 path on an AVX-512 machine: onnxruntime cannot be capped).
//
// Ops are counted as a multiply and an add per multiply-accumulate (GFLOP/s
// convention) for every kind, so float and integer rates compare directly.
// Each kernel is compiled for its own ISA with a target attribute; the ones
// the CPU lacks are skipped. Prints one JSON object: { kind: Gop/s median }.
//
//   g++ -O2 -std=c++17 bench/peak/peak-probe.cc -o /tmp/peak-probe && /tmp/peak-probe
//   (bench/peak.ts builds and runs it)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace {

constexpr int kChains = 12;  // >= 4-cycle latency x 2 ports on every core seen, with room
constexpr long kIterations = 50'000'000;

volatile float g_float_sink;
volatile int32_t g_int_sink;

// The first lane of a vector, stored to the sinks after the loop so the
// chains stay live (the accumulators are first summed in registers: taking
// their addresses would make the compiler keep them in memory).
template <typename T, typename V>
T first_lane(const V& v) {
  T lanes[sizeof(V) / sizeof(T)];
  __builtin_memcpy(lanes, &v, sizeof(V));
  return lanes[0];
}

#if defined(__x86_64__)
// vfmadd231ps ymm: 8 lanes x 2 ops.
__attribute__((target("avx2,fma"))) double fma256() {
  __m256 acc[kChains];
  for (auto& a : acc) a = _mm256_set1_ps(0.5f);
  const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(1e-3f);
  for (long i = 0; i < kIterations; ++i)
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], x, y);
  __m256 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm256_add_ps(s, acc[c]);
  g_float_sink = first_lane<float>(s);
  return 16.0 * kChains * kIterations;
}

// vfmadd231ps zmm: 16 lanes x 2 ops.
__attribute__((target("avx512f"))) double fma512() {
  __m512 acc[kChains];
  for (auto& a : acc) a = _mm512_set1_ps(0.5f);
  const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-3f);
  for (long i = 0; i < kIterations; ++i)
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], x, y);
  __m512 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm512_add_ps(s, acc[c]);
  g_float_sink = first_lane<float>(s);
  return 32.0 * kChains * kIterations;
}

// The integer probes are written in assembly: GCC 12 moves an array of 12
// integer accumulators through the stack inside the loop, which measures the
// spills, not the instruction. Each chain multiplies its own accumulator
// (read as int16 pairs / bytes), so no product is loop-invariant.

// The exact int8 step without VNNI: vpmaddwd (16 int16 products summed in
// pairs into int32) + vpaddd, 16 multiply-adds.
double maddwd256() {
  long n = kIterations;
  __asm__ volatile(
      "vpcmpeqd %%ymm15, %%ymm15, %%ymm15\n\t"
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t" "vmovdqa %%ymm0, %%ymm1\n\t" "vmovdqa %%ymm0, %%ymm2\n\t" "vmovdqa %%ymm0, %%ymm3\n\t"
      "vmovdqa %%ymm0, %%ymm4\n\t" "vmovdqa %%ymm0, %%ymm5\n\t" "vmovdqa %%ymm0, %%ymm6\n\t" "vmovdqa %%ymm0, %%ymm7\n\t"
      "vmovdqa %%ymm0, %%ymm8\n\t" "vmovdqa %%ymm0, %%ymm9\n\t" "vmovdqa %%ymm0, %%ymm10\n\t" "vmovdqa %%ymm0, %%ymm11\n\t"
      "1:\n\t"
      "vpmaddwd %%ymm15, %%ymm0, %%ymm12\n\t" "vpaddd %%ymm12, %%ymm0, %%ymm0\n\t"
      "vpmaddwd %%ymm15, %%ymm1, %%ymm13\n\t" "vpaddd %%ymm13, %%ymm1, %%ymm1\n\t"
      "vpmaddwd %%ymm15, %%ymm2, %%ymm14\n\t" "vpaddd %%ymm14, %%ymm2, %%ymm2\n\t"
      "vpmaddwd %%ymm15, %%ymm3, %%ymm12\n\t" "vpaddd %%ymm12, %%ymm3, %%ymm3\n\t"
      "vpmaddwd %%ymm15, %%ymm4, %%ymm13\n\t" "vpaddd %%ymm13, %%ymm4, %%ymm4\n\t"
      "vpmaddwd %%ymm15, %%ymm5, %%ymm14\n\t" "vpaddd %%ymm14, %%ymm5, %%ymm5\n\t"
      "vpmaddwd %%ymm15, %%ymm6, %%ymm12\n\t" "vpaddd %%ymm12, %%ymm6, %%ymm6\n\t"
      "vpmaddwd %%ymm15, %%ymm7, %%ymm13\n\t" "vpaddd %%ymm13, %%ymm7, %%ymm7\n\t"
      "vpmaddwd %%ymm15, %%ymm8, %%ymm14\n\t" "vpaddd %%ymm14, %%ymm8, %%ymm8\n\t"
      "vpmaddwd %%ymm15, %%ymm9, %%ymm12\n\t" "vpaddd %%ymm12, %%ymm9, %%ymm9\n\t"
      "vpmaddwd %%ymm15, %%ymm10, %%ymm13\n\t" "vpaddd %%ymm13, %%ymm10, %%ymm10\n\t"
      "vpmaddwd %%ymm15, %%ymm11, %%ymm14\n\t" "vpaddd %%ymm14, %%ymm11, %%ymm11\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : "+r"(n)
      :
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15");
  return 32.0 * kChains * kIterations;
}

// The 7-bit int8 step: vpmaddubsw (32 u8 x s8 products summed in pairs to
// int16) + vpmaddwd by ones + vpaddd, 32 multiply-adds.
double maddubsw256() {
  long n = kIterations;
  __asm__ volatile(
      "vpcmpeqd %%ymm15, %%ymm15, %%ymm15\n\t"
      "vpabsw %%ymm15, %%ymm14\n\t"
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t" "vmovdqa %%ymm0, %%ymm1\n\t" "vmovdqa %%ymm0, %%ymm2\n\t" "vmovdqa %%ymm0, %%ymm3\n\t"
      "vmovdqa %%ymm0, %%ymm4\n\t" "vmovdqa %%ymm0, %%ymm5\n\t" "vmovdqa %%ymm0, %%ymm6\n\t" "vmovdqa %%ymm0, %%ymm7\n\t"
      "vmovdqa %%ymm0, %%ymm8\n\t" "vmovdqa %%ymm0, %%ymm9\n\t" "vmovdqa %%ymm0, %%ymm10\n\t" "vmovdqa %%ymm0, %%ymm11\n\t"
      "1:\n\t"
      "vpmaddubsw %%ymm15, %%ymm0, %%ymm12\n\t" "vpmaddwd %%ymm14, %%ymm12, %%ymm12\n\t" "vpaddd %%ymm12, %%ymm0, %%ymm0\n\t"
      "vpmaddubsw %%ymm15, %%ymm1, %%ymm13\n\t" "vpmaddwd %%ymm14, %%ymm13, %%ymm13\n\t" "vpaddd %%ymm13, %%ymm1, %%ymm1\n\t"
      "vpmaddubsw %%ymm15, %%ymm2, %%ymm12\n\t" "vpmaddwd %%ymm14, %%ymm12, %%ymm12\n\t" "vpaddd %%ymm12, %%ymm2, %%ymm2\n\t"
      "vpmaddubsw %%ymm15, %%ymm3, %%ymm13\n\t" "vpmaddwd %%ymm14, %%ymm13, %%ymm13\n\t" "vpaddd %%ymm13, %%ymm3, %%ymm3\n\t"
      "vpmaddubsw %%ymm15, %%ymm4, %%ymm12\n\t" "vpmaddwd %%ymm14, %%ymm12, %%ymm12\n\t" "vpaddd %%ymm12, %%ymm4, %%ymm4\n\t"
      "vpmaddubsw %%ymm15, %%ymm5, %%ymm13\n\t" "vpmaddwd %%ymm14, %%ymm13, %%ymm13\n\t" "vpaddd %%ymm13, %%ymm5, %%ymm5\n\t"
      "vpmaddubsw %%ymm15, %%ymm6, %%ymm12\n\t" "vpmaddwd %%ymm14, %%ymm12, %%ymm12\n\t" "vpaddd %%ymm12, %%ymm6, %%ymm6\n\t"
      "vpmaddubsw %%ymm15, %%ymm7, %%ymm13\n\t" "vpmaddwd %%ymm14, %%ymm13, %%ymm13\n\t" "vpaddd %%ymm13, %%ymm7, %%ymm7\n\t"
      "vpmaddubsw %%ymm15, %%ymm8, %%ymm12\n\t" "vpmaddwd %%ymm14, %%ymm12, %%ymm12\n\t" "vpaddd %%ymm12, %%ymm8, %%ymm8\n\t"
      "vpmaddubsw %%ymm15, %%ymm9, %%ymm13\n\t" "vpmaddwd %%ymm14, %%ymm13, %%ymm13\n\t" "vpaddd %%ymm13, %%ymm9, %%ymm9\n\t"
      "vpmaddubsw %%ymm15, %%ymm10, %%ymm12\n\t" "vpmaddwd %%ymm14, %%ymm12, %%ymm12\n\t" "vpaddd %%ymm12, %%ymm10, %%ymm10\n\t"
      "vpmaddubsw %%ymm15, %%ymm11, %%ymm13\n\t" "vpmaddwd %%ymm14, %%ymm13, %%ymm13\n\t" "vpaddd %%ymm13, %%ymm11, %%ymm11\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : "+r"(n)
      :
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15");
  return 64.0 * kChains * kIterations;
}

// vpdpbusd zmm: 64 u8 x s8 multiply-adds into int32.
__attribute__((target("avx512f,avx512vnni"))) double vnni512() {
  __m512i acc[kChains];
  for (auto& a : acc) a = _mm512_setzero_si512();
  const __m512i x = _mm512_set1_epi8(3), w = _mm512_set1_epi8(-2);
  for (long i = 0; i < kIterations; ++i)
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_dpbusd_epi32(acc[c], x, w);
  __m512i s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm512_add_epi32(s, acc[c]);
  g_int_sink = first_lane<int32_t>(s);
  return 128.0 * kChains * kIterations;
}
#elif defined(__aarch64__)
// fmla v.4s: 4 lanes x 2 ops.
double fma_neon() {
  float32x4_t acc[kChains];
  for (auto& a : acc) a = vdupq_n_f32(0.5f);
  const float32x4_t x = vdupq_n_f32(0.999f), y = vdupq_n_f32(1e-3f);
  for (long i = 0; i < kIterations; ++i)
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = vfmaq_f32(y, acc[c], x);
  float32x4_t s = acc[0];
  for (int c = 1; c < kChains; ++c) s = vaddq_f32(s, acc[c]);
  g_float_sink = vgetq_lane_f32(s, 0);
  return 8.0 * kChains * kIterations;
}

// smlal/smlal2 (int16 x int16 widened into int32), 4 multiply-adds each;
// each chain multiplies its own accumulator, as the x86 integer probes do.
double smlal_neon() {
  int32x4_t acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = vdupq_n_s32(c + 1);
  const int16x8_t w = vdupq_n_s16(-2);
  for (long i = 0; i < kIterations; ++i)
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = vmlal_high_s16(acc[c], vreinterpretq_s16_s32(acc[c]), w);
  int32x4_t s = acc[0];
  for (int c = 1; c < kChains; ++c) s = vaddq_s32(s, acc[c]);
  g_int_sink = vgetq_lane_s32(s, 0);
  return 8.0 * kChains * kIterations;
}

// sdot v.4s: 16 int8 multiply-adds.
__attribute__((target("arch=armv8.2-a+dotprod"))) double sdot_neon() {
  int32x4_t acc[kChains];
  for (auto& a : acc) a = vdupq_n_s32(0);
  const int8x16_t x = vdupq_n_s8(3), w = vdupq_n_s8(-2);
  for (long i = 0; i < kIterations; ++i)
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = vdotq_s32(acc[c], x, w);
  int32x4_t s = acc[0];
  for (int c = 1; c < kChains; ++c) s = vaddq_s32(s, acc[c]);
  g_int_sink = vgetq_lane_s32(s, 0);
  return 32.0 * kChains * kIterations;
}
#endif

// Gop/s, the median of 5 runs (the machine is shared).
double measure(double (*probe)()) {
  std::vector<double> rates;
  for (int rep = 0; rep < 5; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    const double ops = probe();
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    rates.push_back(ops / seconds.count() / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

int main() {
  struct Probe {
    const char* kind;
    bool supported;
    double (*run)();
  };
  std::vector<Probe> probes;
#if defined(__x86_64__)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = __builtin_cpu_supports("avx512f");
  probes = {{"avx2-fma", avx2, fma256},
            {"avx2-vpmaddwd", avx2, maddwd256},
            {"avx2-vpmaddubsw", avx2, maddubsw256},
            {"avx512-fma", avx512, fma512},
            {"avx512-vnni", avx512 && __builtin_cpu_supports("avx512vnni"), vnni512}};
#elif defined(__aarch64__)
  probes = {{"neon-fma", true, fma_neon}, {"neon-smlal", true, smlal_neon}, {"neon-sdot", (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0, sdot_neon}};
#endif
  std::printf("{");
  const char* sep = "";
  for (const Probe& p : probes) {
    if (!p.supported) continue;
    std::printf("%s\"%s\": %.1f", sep, p.kind, measure(p.run));
    sep = ", ";
  }
  std::printf("}\n");
}
