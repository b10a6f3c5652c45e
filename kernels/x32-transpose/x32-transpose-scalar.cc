// Blocked transpose, the x32-transpose-scalar variant (portable C++: its
// 128-bit blocks use only the base ISA). Tiles small enough that the tile's source rows and
// destination rows all stay in L1, so each cache line is fetched once
// whichever of the two is strided. Inside a tile, 128-bit vectors (SSE2 on
// x86-64, NEON on AArch64: both part of the base ISA, so no variant list)
// move 4 x 4 blocks of 32-bit elements and 16 x 16 blocks of bytes through
// registers with interleave ladders, which compilers do not find on their own
// (a plain element loop measured 50-65 us for 64 K elements, 4-10x slower);
// edges and other targets take the element loop.
#include "x32-transpose.h"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#define SPARQ_TRANSPOSE_SIMD 1
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#define SPARQ_TRANSPOSE_SIMD 1
#endif

#include "../common/thread-pool.h"

namespace sparq {
namespace {

template <typename T>
constexpr std::size_t kTile = 64;

#if SPARQ_TRANSPOSE_SIMD
// One 128-bit register and the interleaves the ladders need: lo(a, b) takes
// the low halves of a and b alternately in units of the given width, hi the
// high halves (SSE2 punpckl/punpckh, NEON zip1/zip2: the same permutations).
#if defined(__SSE2__)
using Vec = __m128i;
Vec load(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
void store(void* p, Vec v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }
Vec lo8(Vec a, Vec b) { return _mm_unpacklo_epi8(a, b); }
Vec hi8(Vec a, Vec b) { return _mm_unpackhi_epi8(a, b); }
Vec lo32(Vec a, Vec b) { return _mm_unpacklo_epi32(a, b); }
Vec hi32(Vec a, Vec b) { return _mm_unpackhi_epi32(a, b); }
Vec lo64(Vec a, Vec b) { return _mm_unpacklo_epi64(a, b); }
Vec hi64(Vec a, Vec b) { return _mm_unpackhi_epi64(a, b); }
#else
using Vec = uint8x16_t;
Vec load(const void* p) { return vld1q_u8(static_cast<const uint8_t*>(p)); }
void store(void* p, Vec v) { vst1q_u8(static_cast<uint8_t*>(p), v); }
Vec lo8(Vec a, Vec b) { return vzip1q_u8(a, b); }
Vec hi8(Vec a, Vec b) { return vzip2q_u8(a, b); }
Vec lo32(Vec a, Vec b) { return vreinterpretq_u8_u32(vzip1q_u32(vreinterpretq_u32_u8(a), vreinterpretq_u32_u8(b))); }
Vec hi32(Vec a, Vec b) { return vreinterpretq_u8_u32(vzip2q_u32(vreinterpretq_u32_u8(a), vreinterpretq_u32_u8(b))); }
Vec lo64(Vec a, Vec b) { return vreinterpretq_u8_u64(vzip1q_u64(vreinterpretq_u64_u8(a), vreinterpretq_u64_u8(b))); }
Vec hi64(Vec a, Vec b) { return vreinterpretq_u8_u64(vzip2q_u64(vreinterpretq_u64_u8(a), vreinterpretq_u64_u8(b))); }
#endif

// The SIMD block of each element size: 4 x 4 for 32-bit, 16 x 16 for bytes.
template <typename T>
constexpr std::size_t kBlock = sizeof(T) == 4 ? 4 : 16;

void transpose_block(const uint32_t* s, std::size_t lds, uint32_t* d, std::size_t ldd) {
  const Vec r0 = load(s), r1 = load(s + lds), r2 = load(s + 2 * lds), r3 = load(s + 3 * lds);
  const Vec a = lo32(r0, r1), b = lo32(r2, r3);
  const Vec c = hi32(r0, r1), e = hi32(r2, r3);
  store(d, lo64(a, b));
  store(d + ldd, hi64(a, b));
  store(d + 2 * ldd, lo64(c, e));
  store(d + 3 * ldd, hi64(c, e));
}

// Each round interleaves rows i and i + 8 (then + 4, + 2, + 1 in the
// permuted order the previous round left), doubling the run of elements
// that belong to one output row: bytes, 16-bit pairs, 32-bit quads, 64-bit.
void transpose_block(const uint8_t* s, std::size_t lds, uint8_t* d, std::size_t ldd) {
  Vec r[16], t[16];
  for (std::size_t i = 0; i < 16; ++i) r[i] = load(s + i * lds);
  for (std::size_t i = 0; i < 8; ++i) t[2 * i] = lo8(r[i], r[i + 8]), t[2 * i + 1] = hi8(r[i], r[i + 8]);
  for (std::size_t i = 0; i < 8; ++i) r[2 * i] = lo8(t[i], t[i + 8]), r[2 * i + 1] = hi8(t[i], t[i + 8]);
  for (std::size_t i = 0; i < 8; ++i) t[2 * i] = lo8(r[i], r[i + 8]), t[2 * i + 1] = hi8(r[i], r[i + 8]);
  for (std::size_t i = 0; i < 8; ++i) r[2 * i] = lo8(t[i], t[i + 8]), r[2 * i + 1] = hi8(t[i], t[i + 8]);
  for (std::size_t i = 0; i < 16; ++i) store(d + i * ldd, r[i]);
}
#endif

template <typename T>
void transpose_tile(std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1, const T* src, std::size_t lds,
                    T* dst, std::size_t ldd) {
  std::size_t r = r0;
#if SPARQ_TRANSPOSE_SIMD
  constexpr std::size_t b = kBlock<T>;
  for (; r + b <= r1; r += b) {
    std::size_t c = c0;
    for (; c + b <= c1; c += b) transpose_block(src + r * lds + c, lds, dst + c * ldd + r, ldd);
    for (; c < c1; ++c)
      for (std::size_t i = r; i < r + b; ++i) dst[c * ldd + i] = src[i * lds + c];
  }
#endif
  for (std::size_t c = c0; c < c1; ++c)
    for (std::size_t i = r; i < r1; ++i) dst[c * ldd + i] = src[i * lds + c];
}

template <typename T>
void transpose_rows(std::size_t row_begin, std::size_t row_end, std::size_t cols, const T* src, std::size_t lds,
                    T* dst, std::size_t ldd) {
  constexpr std::size_t tile = kTile<T>;
  for (std::size_t r0 = row_begin; r0 < row_end; r0 += tile) {
    const std::size_t r1 = std::min(row_end, r0 + tile);
    for (std::size_t c0 = 0; c0 < cols; c0 += tile) transpose_tile(r0, r1, c0, std::min(cols, c0 + tile), src, lds, dst, ldd);
  }
}

// Elements per task below which a thread's wake-up costs more than it saves.
constexpr std::size_t kMinElementsPerTask = std::size_t{1} << 16;

template <typename T>
void transpose_parallel(std::size_t rows, std::size_t cols, const T* src, std::size_t lds, T* dst, std::size_t ldd) {
  const std::size_t bands = std::max<std::size_t>(
      1, std::min<std::size_t>(rows / kTile<T> + 1, rows * cols / kMinElementsPerTask));
  // Bands of whole tiles, so every band but the last keeps the SIMD blocks aligned to its rows.
  const std::size_t band = ((rows + bands - 1) / bands + kTile<T> - 1) / kTile<T> * kTile<T>;
  parallel_for(bands, [&](std::size_t b) {
    const std::size_t begin = b * band, end = std::min(rows, begin + band);
    if (begin < end) transpose_rows(begin, end, cols, src, lds, dst, ldd);
  });
}

}  // namespace

void x32_transpose_scalar(std::size_t rows, std::size_t cols, const uint32_t* src, std::size_t lds, uint32_t* dst,
                          std::size_t ldd) {
  transpose_parallel(rows, cols, src, lds, dst, ldd);
}
void x8_transpose_scalar(std::size_t rows, std::size_t cols, const uint8_t* src, std::size_t lds, uint8_t* dst,
                         std::size_t ldd) {
  transpose_parallel(rows, cols, src, lds, dst, ldd);
}

}  // namespace sparq
