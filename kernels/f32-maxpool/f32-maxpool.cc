// Portable max pooling (semantics in f32-maxpool.h).
//
// One output row at a time, used as its own accumulator: it starts at the
// lowest value and each input row the windows cover updates every output.
// Outputs whose window lies inside the row horizontally (the interior range,
// computed once per call) read a fixed run of kw values at stride sw; with
// the common kw/sw as template parameters that loop has no bounds checks and
// the compiler can vectorize it across outputs (GCC 12 at -O2 does for 2x2/2,
// deinterleaving the pairs with shuffles; maxps keeps `v > m ? v : m`). The
// few border outputs clip their columns. Rows are accumulated top to bottom
// and columns left to right, so every window still sees its values in
// row-major order, the order the reference and the JS loop use.
#include "f32-maxpool.h"

#include "../common/cpu-features.h"
#include "../common/variants.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <type_traits>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>  // x86-64 baseline: no ISA flag, safe in portable code
#elif defined(__aarch64__)
#include <arm_neon.h>  // AArch64 baseline, likewise
#endif

namespace sparq {
namespace {

using Index = std::ptrdiff_t;

template <typename T>
constexpr T lowest() {
  return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
}

// Outputs per block of the interior loop: GCC's -O2 vectorizes only loops
// whose trip count is a known multiple of the vector length, so the interior
// runs in fixed blocks (16: one vector of uint8, four of float) and a scalar tail.
constexpr std::size_t kBlock = 16;

template <std::size_t kKw, typename T>
T window_row_max(const T* in, std::size_t kw_runtime, T m) {
  const std::size_t kw = kKw != 0 ? kKw : kw_runtime;
  for (std::size_t j = 0; j < kw; j++) m = in[j] > m ? in[j] : m;
  return m;
}

// kBlock outputs from one input row; restrict (out is never in the input) lets it vectorize without alias checks.
template <std::size_t kKw, std::size_t kSw, typename T>
void block_row_max(const T* __restrict in, std::size_t kw, std::size_t sw_runtime, T* __restrict out) {
  const std::size_t sw = kSw != 0 ? kSw : sw_runtime;
  if constexpr (kKw == 3 && kSw == 2) {
    // The 3x3/2 stem pool (ResNet): GCC vectorizes neither three loads at
    // stride 2 in one loop nor the fold, but does split the row into its
    // even and odd columns (as for 2x2/2) and then fold contiguous arrays.
    // The values meet in the same order, so the result is the fold's.
    T even[kBlock + 1], odd[kBlock];
    for (std::size_t k = 0; k < kBlock; k++) even[k] = in[2 * k], odd[k] = in[2 * k + 1];
    even[kBlock] = in[2 * kBlock];
    for (std::size_t k = 0; k < kBlock; k++) {
      T m = even[k] > out[k] ? even[k] : out[k];
      m = odd[k] > m ? odd[k] : m;
      out[k] = even[k + 1] > m ? even[k + 1] : m;
    }
  } else {
    for (std::size_t k = 0; k < kBlock; k++) out[k] = window_row_max<kKw>(in + k * sw, kw, out[k]);
  }
}

// kKw/kSw: kernel width and horizontal stride when known at compile time, else 0.
template <typename T, std::size_t kKw, std::size_t kSw>
void maxpool(const MaxPoolShape& s, const T* x, T* y) {
  const std::size_t kw = kKw != 0 ? kKw : s.kernel_w, sw = kSw != 0 ? kSw : s.stride_w;
  const Index h = static_cast<Index>(s.height), w = static_cast<Index>(s.width), pl = static_cast<Index>(s.pad_left);
  // Interior outputs: ow*sw - pl >= 0 and ow*sw - pl + kw <= w.
  const std::size_t lo = std::min(s.out_w, (s.pad_left + sw - 1) / sw);
  const std::size_t hi = s.width + s.pad_left >= kw ? std::clamp((s.width + s.pad_left - kw) / sw + 1, lo, s.out_w) : lo;
  auto clipped = [&](const T* row, std::size_t ow, T* out) {
    const Index xs = static_cast<Index>(ow * sw) - pl;
    const Index x0 = std::max<Index>(xs, 0), x1 = std::min<Index>(xs + static_cast<Index>(kw), w);
    T m = *out;
    for (Index i = x0; i < x1; i++) m = row[i] > m ? row[i] : m;
    *out = m;
  };
  for (std::size_t p = 0; p < s.planes; p++) {
    const T* plane = x + p * s.height * s.width;
    for (std::size_t oh = 0; oh < s.out_h; oh++, y += s.out_w) {
      std::fill_n(y, s.out_w, lowest<T>());
      const Index ys = static_cast<Index>(oh * s.stride_h) - static_cast<Index>(s.pad_top);
      const Index y0 = std::max<Index>(ys, 0), y1 = std::min<Index>(ys + static_cast<Index>(s.kernel_h), h);
      assert(y0 < y1);
      for (Index yy = y0; yy < y1; yy++) {
        const T* row = plane + yy * w;
        for (std::size_t ow = 0; ow < lo; ow++) clipped(row, ow, y + ow);
        const T* in = row - s.pad_left;
        std::size_t ow = lo;
        for (; ow + kBlock <= hi; ow += kBlock) block_row_max<kKw, kSw>(in + ow * sw, kw, sw, y + ow);
        for (; ow < hi; ow++) y[ow] = window_row_max<kKw>(in + ow * sw, kw, y[ow]);
        for (std::size_t ow = hi; ow < s.out_w; ow++) clipped(row, ow, y + ow);
      }
    }
  }
}

template <typename T>
void dispatch(const MaxPoolShape& s, const T* x, T* y) {
  assert(s.kernel_h >= 1 && s.kernel_w >= 1 && s.stride_h >= 1 && s.stride_w >= 1);
  assert(s.pad_top < s.kernel_h && s.pad_left < s.kernel_w);
  assert(s.out_h == 0 || (s.out_h - 1) * s.stride_h < s.height + s.pad_top);
  assert(s.out_w == 0 || (s.out_w - 1) * s.stride_w < s.width + s.pad_left);
  // The CNN shapes: 2x2/2 (the usual downsampling), 3x3/2 and 3x3/1 (ResNet-style stems and blocks).
  if (s.kernel_w == 2 && s.stride_w == 2) return maxpool<T, 2, 2>(s, x, y);
  if (s.kernel_w == 3 && s.stride_w == 2) return maxpool<T, 3, 2>(s, x, y);
  if (s.kernel_w == 3 && s.stride_w == 1) return maxpool<T, 3, 1>(s, x, y);
  return maxpool<T, 0, 0>(s, x, y);
}

// Integer planes (the uint8/int8 of QDQ models), where max gives the same
// value in any order: each output row in two passes over a row buffer, the
// window's input rows folded into one (contiguous, vectorized), then each
// output the max of its kw buffer values at stride sw. The buffer holds the
// lowest value (the identity of max) left of the row for the top padding and
// past it to the last window's end plus a vector's slack, so no output is a
// border case. ResNet's 3x3/2 stem pool on 112-wide planes spent most of its
// time in the row-at-a-time loop's per-row and border work (6 ms of a 32 ms
// batch-16 pruned int8 run); here the 3x3/2 uint8 outputs take 16 per step
// of byte deinterleaves (SSE2 and NEON are the baselines of x86-64 and
// AArch64: no ISA flag needed).
constexpr std::size_t kRowSlack = 64;

// 16 outputs of a 3-wide stride-2 uint8 window from the folded row b: max(b[2k], b[2k+1], b[2k+2]).
inline void u8_row_3s2(const uint8_t* b, uint8_t* out) {
#if defined(__SSE2__)
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16));
  const __m128i bytes = _mm_set1_epi16(0x00ff);
  const __m128i even = _mm_packus_epi16(_mm_and_si128(lo, bytes), _mm_and_si128(hi, bytes));
  const __m128i odd = _mm_packus_epi16(_mm_srli_epi16(lo, 8), _mm_srli_epi16(hi, 8));
  const __m128i next = _mm_or_si128(_mm_srli_si128(even, 1), _mm_slli_si128(_mm_cvtsi32_si128(b[32]), 15));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_max_epu8(_mm_max_epu8(even, odd), next));
#elif defined(__aarch64__)
  const uint8x16x2_t pairs = vld2q_u8(b);
  const uint8x16_t next = vextq_u8(pairs.val[0], vdupq_n_u8(b[32]), 1);
  vst1q_u8(out, vmaxq_u8(vmaxq_u8(pairs.val[0], pairs.val[1]), next));
#else
  for (std::size_t k = 0; k < kBlock; k++) out[k] = std::max({b[2 * k], b[2 * k + 1], b[2 * k + 2]});
#endif
}

// row[i] = max(row[i], in[i]) for i < width, in blocks of kBlock (the loops GCC's -O2 vectorizes) and a tail.
template <typename T>
void fold_row(const T* __restrict in, std::size_t width, T* __restrict row) {
  std::size_t i = 0;
  for (; i + kBlock <= width; i += kBlock)
    for (std::size_t k = 0; k < kBlock; k++) row[i + k] = in[i + k] > row[i + k] ? in[i + k] : row[i + k];
  for (; i < width; i++) row[i] = in[i] > row[i] ? in[i] : row[i];
}

template <typename T>
void int_maxpool(const MaxPoolShape& s, const T* x, T* y) {
  const std::size_t kw = s.kernel_w, sw = s.stride_w;
  const std::size_t span = std::max(s.pad_left + s.width, s.out_w == 0 ? 0 : (s.out_w - 1) * sw + kw) + kRowSlack;
  thread_local std::vector<T> buffer;
  buffer.assign(span, lowest<T>());
  T* const row = buffer.data() + s.pad_left;
  const Index h = static_cast<Index>(s.height);
  for (std::size_t p = 0; p < s.planes; p++) {
    const T* plane = x + p * s.height * s.width;
    for (std::size_t oh = 0; oh < s.out_h; oh++, y += s.out_w) {
      const Index ys = static_cast<Index>(oh * s.stride_h) - static_cast<Index>(s.pad_top);
      const Index y0 = std::max<Index>(ys, 0), y1 = std::min<Index>(ys + static_cast<Index>(s.kernel_h), h);
      assert(y0 < y1);
      std::copy_n(plane + y0 * s.width, s.width, row);
      for (Index yy = y0 + 1; yy < y1; yy++) fold_row(plane + yy * s.width, s.width, row);
      std::size_t ow = 0;
      if constexpr (std::is_same_v<T, uint8_t>)
        if (kw == 3 && sw == 2)
          for (; ow + kBlock <= s.out_w; ow += kBlock) u8_row_3s2(buffer.data() + ow * 2, y + ow);
      for (; ow < s.out_w; ow++) {
        const T* window = buffer.data() + ow * sw;
        T m = window[0];
        for (std::size_t j = 1; j < kw; j++) m = window[j] > m ? window[j] : m;
        y[ow] = m;
      }
    }
  }
}

// 2x2 windows at stride 2 that all lie inside the input.
bool plain_2x2s2(const MaxPoolShape& s) {
  return s.kernel_h == 2 && s.kernel_w == 2 && s.stride_h == 2 && s.stride_w == 2 && s.pad_top == 0 && s.pad_left == 0 &&
         2 * s.out_h <= s.height && 2 * s.out_w <= s.width;
}

}  // namespace

// The portable variant of the 2x2s2 list: the template above.
void f32_maxpool_2x2s2_scalar(const MaxPoolShape& s, const float* x, float* y) { dispatch(s, x, y); }
void s32_maxpool_2x2s2_scalar(const MaxPoolShape& s, const int32_t* x, int32_t* y) { dispatch(s, x, y); }

#define SPARQ_VARIANT(prefix, name, isa)                                     \
  void f32_##prefix(const MaxPoolShape& s, const float* x, float* y); \
  void s32_##prefix(const MaxPoolShape& s, const int32_t* x, int32_t* y);
#include "f32-maxpool-variants.inc"
#undef SPARQ_VARIANT

const MaxPool2x2s2Variant kMaxPool2x2s2Variants[] = {
#define SPARQ_VARIANT(prefix, name, isa) {name, isa, f32_##prefix, s32_##prefix},
#include "f32-maxpool-variants.inc"
#undef SPARQ_VARIANT
};
const std::size_t kMaxPool2x2s2VariantCount = sizeof(kMaxPool2x2s2Variants) / sizeof(kMaxPool2x2s2Variants[0]);

const MaxPool2x2s2Variant& maxpool_2x2s2_best() { return best_variant(kMaxPool2x2s2Variants); }

void f32_maxpool(const MaxPool2x2s2Variant& v, const MaxPoolShape& s, const float* x, float* y) {
  if (plain_2x2s2(s)) return v.f32(s, x, y);
  dispatch(s, x, y);
}
void f32_maxpool(const MaxPoolShape& s, const float* x, float* y) { f32_maxpool(maxpool_2x2s2_best(), s, x, y); }
void s32_maxpool(const MaxPoolShape& s, const int32_t* x, int32_t* y) {
  if (plain_2x2s2(s)) return maxpool_2x2s2_best().s32(s, x, y);
  dispatch(s, x, y);
}
void u8_maxpool(const MaxPoolShape& s, const uint8_t* x, uint8_t* y) { int_maxpool(s, x, y); }
void s8_maxpool(const MaxPoolShape& s, const int8_t* x, int8_t* y) { int_maxpool(s, x, y); }

}  // namespace sparq
