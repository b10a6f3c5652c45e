// The register blocks of the x32-transpose variants (x32-transpose-loops.h),
// written once over a vector type (Ops) and present where the file including
// this is compiled for the vector's ISA:
//   Ops128 (SSE2 on x86-64, NEON on AArch64: both part of the base ISA)
//            4 x 4 of 32-bit elements, 16 x 16 of bytes
//   Ops256 (AVX2)     8 x 8 of 32-bit elements, 16 x 32 of bytes
//   Ops512 (AVX-512)  16 x 16 of 32-bit elements, 16 x 64 of bytes
// Every step but the last works inside each 128-bit lane (the unpack
// instructions do), so a vector of L lanes runs L 128-bit blocks at once and
// the ISA's part is moving whole lanes to their output rows. Compilers do not
// find these ladders on their own (a plain element loop measured 50-65 us for
// 64 K elements, 4-10x slower than the 128-bit blocks). Every loop over
// registers is unrolled whole: GCC -O2 leaves these arrays in memory
// otherwise, which made the 8 x 8 AVX2 block slower than the 4 x 4 one.
// Also here: the interleavers of 2 or 3 dense rows (InterleaveAvx2,
// InterleaveNeon), for matrices no block fits.
//
// Ops: V, kLanes (128-bit lanes per V), load(p), store(p, v); lo8/hi8,
// lo32/hi32, lo64/hi64 (per lane, the low or high halves of a and b
// alternately in units of that many bits); store_lanes(p, step, v) (lane L at
// p + L * step); quads_out(r, d, ldd) (see Block32).
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <immintrin.h>
#define SPARQ_TRANSPOSE_BLOCKS_128 1
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#define SPARQ_TRANSPOSE_BLOCKS_128 1
#endif

#if defined(__SSE2__)
// lo8 .. hi64 of Ops128 (prefix _mm) and Ops256 (_mm256): the x86 unpacks,
// which work inside each 128-bit lane at every width.
#define SPARQ_X86_UNPACKS(prefix)                                                \
  static V lo8(V a, V b) { return prefix##_unpacklo_epi8(a, b); }               \
  static V hi8(V a, V b) { return prefix##_unpackhi_epi8(a, b); }               \
  static V lo32(V a, V b) { return prefix##_unpacklo_epi32(a, b); }             \
  static V hi32(V a, V b) { return prefix##_unpackhi_epi32(a, b); }             \
  static V lo64(V a, V b) { return prefix##_unpacklo_epi64(a, b); }             \
  static V hi64(V a, V b) { return prefix##_unpackhi_epi64(a, b); }
#endif

namespace sparq {
namespace {

// 4L x 4L 32-bit elements (L = Ops::kLanes): rows interleaved pairwise in
// 32-bit, then 64-bit units leave r[4h + k], lane l = column 4l + k of rows
// 4h..4h+3; output row 4l + k is then lane l of r[k], r[4 + k], ... (one per
// h), which Ops::quads_out moves into place.
template <class Ops>
struct Block32 {
  using T = uint32_t;
  static constexpr std::size_t kRows = 4 * Ops::kLanes, kCols = kRows;
  static void move(const uint32_t* s, std::size_t lds, uint32_t* d, std::size_t ldd) {
    typename Ops::V r[kRows], t[kRows];
#pragma GCC unroll 16
    for (std::size_t i = 0; i < kRows; ++i) r[i] = Ops::load(s + i * lds);
#pragma GCC unroll 16
    for (std::size_t i = 0; i < kRows / 2; ++i)
      t[2 * i] = Ops::lo32(r[2 * i], r[2 * i + 1]), t[2 * i + 1] = Ops::hi32(r[2 * i], r[2 * i + 1]);
#pragma GCC unroll 16
    for (std::size_t h = 0; h < kRows / 4; ++h) {
      const typename Ops::V* q = t + 4 * h;
      r[4 * h] = Ops::lo64(q[0], q[2]), r[4 * h + 1] = Ops::hi64(q[0], q[2]);
      r[4 * h + 2] = Ops::lo64(q[1], q[3]), r[4 * h + 3] = Ops::hi64(q[1], q[3]);
    }
    Ops::quads_out(r, d, ldd);
  }
};

// 16 rows x 16L bytes. Each round interleaves rows i and i + 8 (then + 4, + 2,
// + 1 in the permuted order the previous round left), doubling the run of
// elements that belong to one output row: bytes, 16-bit pairs, 32-bit quads,
// 64-bit. Lane l of r[i] is then output row 16l + i.
template <class Ops>
struct Block8 {
  using T = uint8_t;
  static constexpr std::size_t kRows = 16, kCols = 16 * Ops::kLanes;
  static void move(const uint8_t* s, std::size_t lds, uint8_t* d, std::size_t ldd) {
    typename Ops::V r[16], t[16];
#pragma GCC unroll 16
    for (std::size_t i = 0; i < 16; ++i) r[i] = Ops::load(s + i * lds);
#pragma GCC unroll 2
    for (int round = 0; round < 2; ++round) {
#pragma GCC unroll 16
      for (std::size_t i = 0; i < 8; ++i) t[2 * i] = Ops::lo8(r[i], r[i + 8]), t[2 * i + 1] = Ops::hi8(r[i], r[i + 8]);
#pragma GCC unroll 16
      for (std::size_t i = 0; i < 8; ++i) r[2 * i] = Ops::lo8(t[i], t[i + 8]), r[2 * i + 1] = Ops::hi8(t[i], t[i + 8]);
    }
#pragma GCC unroll 16
    for (std::size_t i = 0; i < 16; ++i) Ops::store_lanes(d + i * ldd, 16 * ldd, r[i]);
  }
};

#if SPARQ_TRANSPOSE_BLOCKS_128
// SSE2 punpckl/punpckh and NEON zip1/zip2: the same permutations.
struct Ops128 {
  static constexpr std::size_t kLanes = 1;
#if defined(__SSE2__)
  using V = __m128i;
  static V load(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
  static void store(void* p, V v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }
  SPARQ_X86_UNPACKS(_mm)
#else
  using V = uint8x16_t;
  static V load(const void* p) { return vld1q_u8(static_cast<const uint8_t*>(p)); }
  static void store(void* p, V v) { vst1q_u8(static_cast<uint8_t*>(p), v); }
  static V lo8(V a, V b) { return vzip1q_u8(a, b); }
  static V hi8(V a, V b) { return vzip2q_u8(a, b); }
  static V lo32(V a, V b) { return vreinterpretq_u8_u32(vzip1q_u32(vreinterpretq_u32_u8(a), vreinterpretq_u32_u8(b))); }
  static V hi32(V a, V b) { return vreinterpretq_u8_u32(vzip2q_u32(vreinterpretq_u32_u8(a), vreinterpretq_u32_u8(b))); }
  static V lo64(V a, V b) { return vreinterpretq_u8_u64(vzip1q_u64(vreinterpretq_u64_u8(a), vreinterpretq_u64_u8(b))); }
  static V hi64(V a, V b) { return vreinterpretq_u8_u64(vzip2q_u64(vreinterpretq_u64_u8(a), vreinterpretq_u64_u8(b))); }
#endif
  static void store_lanes(void* p, std::size_t, V v) { store(p, v); }
  static void quads_out(const V* r, uint32_t* d, std::size_t ldd) {
#pragma GCC unroll 4
    for (std::size_t k = 0; k < 4; ++k) store(d + k * ldd, r[k]);
  }
};

#if defined(__ARM_NEON)
// 2 or 3 rows of 4 columns interleaved by the structure stores.
struct InterleaveNeon {
  static constexpr std::size_t kCols = 4;
  static void two(const uint32_t* s0, const uint32_t* s1, uint32_t* d) { vst2q_u32(d, (uint32x4x2_t{{vld1q_u32(s0), vld1q_u32(s1)}})); }
  static void three(const uint32_t* s0, const uint32_t* s1, const uint32_t* s2, uint32_t* d) {
    vst3q_u32(d, (uint32x4x3_t{{vld1q_u32(s0), vld1q_u32(s1), vld1q_u32(s2)}}));
  }
};
#endif
#endif

#if defined(__AVX2__)
struct Ops256 {
  static constexpr std::size_t kLanes = 2;
  using V = __m256i;
  static V load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
  static void store(void* p, V v) { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }
  SPARQ_X86_UNPACKS(_mm256)
  static void store_lanes(uint8_t* p, std::size_t step, V v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(v));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + step), _mm256_extracti128_si256(v, 1));
  }
  static void quads_out(const V* r, uint32_t* d, std::size_t ldd) {
#pragma GCC unroll 4
    for (std::size_t k = 0; k < 4; ++k) {
      store(d + k * ldd, _mm256_permute2x128_si256(r[k], r[4 + k], 0x20));
      store(d + (4 + k) * ldd, _mm256_permute2x128_si256(r[k], r[4 + k], 0x31));
    }
  }
};

// 2 or 3 rows of 8 columns interleaved (x32-transpose-loops.h's
// interleave_rows). Three rows: each source is permuted once so that its
// elements for all three outputs sit at their output positions (a: 0 3 6 |
// 1 4 7 | 2 5 of outputs 0 | 1 | 2), then blends pick them.
struct InterleaveAvx2 {
  static constexpr std::size_t kCols = 8;
  static __m256i load(const uint32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store(uint32_t* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static void two(const uint32_t* s0, const uint32_t* s1, uint32_t* d) {
    const __m256i a = load(s0), b = load(s1);
    const __m256i lo = _mm256_unpacklo_epi32(a, b), hi = _mm256_unpackhi_epi32(a, b);
    store(d, _mm256_permute2x128_si256(lo, hi, 0x20));
    store(d + 8, _mm256_permute2x128_si256(lo, hi, 0x31));
  }
  static void three(const uint32_t* s0, const uint32_t* s1, const uint32_t* s2, uint32_t* d) {
    const __m256i a = _mm256_permutevar8x32_epi32(load(s0), _mm256_setr_epi32(0, 3, 6, 1, 4, 7, 2, 5));
    const __m256i b = _mm256_permutevar8x32_epi32(load(s1), _mm256_setr_epi32(5, 0, 3, 6, 1, 4, 7, 2));
    const __m256i c = _mm256_permutevar8x32_epi32(load(s2), _mm256_setr_epi32(2, 5, 0, 3, 6, 1, 4, 7));
    // Lane sets {0, 3, 6}, {1, 4, 7}, {2, 5} as blend masks.
    constexpr int k036 = 0x49, k147 = 0x92, k25 = 0x24;
    store(d, _mm256_blend_epi32(_mm256_blend_epi32(a, b, k147), c, k25));
    store(d + 8, _mm256_blend_epi32(_mm256_blend_epi32(a, b, k25), c, k036));
    store(d + 16, _mm256_blend_epi32(_mm256_blend_epi32(a, b, k036), c, k147));
  }
};
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__)
// 32-bit unpacks, lane shuffles and extracts are written as all-lanes masked
// ops, which compile to the same instructions: the plain intrinsics' undefined
// pass-through operand trips GCC 12's -Wuninitialized (bug 105593).
struct Ops512 {
  static constexpr std::size_t kLanes = 4;
  static constexpr __mmask16 kAll = 0xffff;
  using V = __m512i;
  static V load(const void* p) { return _mm512_loadu_si512(p); }
  static void store(void* p, V v) { _mm512_storeu_si512(p, v); }
  static V lo8(V a, V b) { return _mm512_unpacklo_epi8(a, b); }
  static V hi8(V a, V b) { return _mm512_unpackhi_epi8(a, b); }
  static V lo32(V a, V b) { return _mm512_maskz_unpacklo_epi32(kAll, a, b); }
  static V hi32(V a, V b) { return _mm512_maskz_unpackhi_epi32(kAll, a, b); }
  static V lo64(V a, V b) { return _mm512_maskz_unpacklo_epi64(0xff, a, b); }
  static V hi64(V a, V b) { return _mm512_maskz_unpackhi_epi64(0xff, a, b); }
  static void store_lanes(uint8_t* p, std::size_t step, V v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_maskz_extracti32x4_epi32(0xf, v, 0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + step), _mm512_maskz_extracti32x4_epi32(0xf, v, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 2 * step), _mm512_maskz_extracti32x4_epi32(0xf, v, 2));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 3 * step), _mm512_maskz_extracti32x4_epi32(0xf, v, 3));
  }
  // Lane l of r[k], r[4 + k], r[8 + k], r[12 + k]: the even lanes (0x88) or
  // odd lanes (0xdd) of pairs, twice.
  static void quads_out(const V* r, uint32_t* d, std::size_t ldd) {
#pragma GCC unroll 4
    for (std::size_t k = 0; k < 4; ++k) {
      const V even01 = _mm512_maskz_shuffle_i32x4(kAll, r[k], r[4 + k], 0x88);
      const V even23 = _mm512_maskz_shuffle_i32x4(kAll, r[8 + k], r[12 + k], 0x88);
      const V odd01 = _mm512_maskz_shuffle_i32x4(kAll, r[k], r[4 + k], 0xdd);
      const V odd23 = _mm512_maskz_shuffle_i32x4(kAll, r[8 + k], r[12 + k], 0xdd);
      store(d + k * ldd, _mm512_maskz_shuffle_i32x4(kAll, even01, even23, 0x88));
      store(d + (4 + k) * ldd, _mm512_maskz_shuffle_i32x4(kAll, odd01, odd23, 0x88));
      store(d + (8 + k) * ldd, _mm512_maskz_shuffle_i32x4(kAll, even01, even23, 0xdd));
      store(d + (12 + k) * ldd, _mm512_maskz_shuffle_i32x4(kAll, odd01, odd23, 0xdd));
    }
  }
};
#endif

}  // namespace
}  // namespace sparq

#undef SPARQ_X86_UNPACKS
