// NEON im2col: the loops of x32-im2col-loops.h with runs moved by 128-bit
// loads and stores inline (x32-im2col-vector-copy.h).
#include <arm_neon.h>

#include "x32-im2col-loops.h"
#include "x32-im2col-vector-copy.h"

namespace sparq {
namespace {

struct Neon {
  using T = uint8x16_t;
  static constexpr std::size_t kBytes = 16;
  static T load(const uint8_t* p) { return vld1q_u8(p); }
  static void store(uint8_t* p, T v) { vst1q_u8(p, v); }
  static T splat(float value) { return vreinterpretq_u8_f32(vdupq_n_f32(value)); }
  static T splat(uint8_t value) { return vdupq_n_u8(value); }
};
using NeonCopy = VectorCopy<Neon>;

}  // namespace

void x32_im2col_neon(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc) {
  dispatch<NeonCopy>(s, image, pad_value, col, ldc);
}

void x8_im2col_neon(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc) {
  dispatch<NeonCopy>(s, image, pad_value, col, ldc);
}

void x32_nhwc_im2col_neon(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc,
                          std::size_t oh_begin, std::size_t oh_end) {
  dispatch_nhwc<NeonCopy>(s, image, pad_value, col, ldc, oh_begin, oh_end);
}

void x8_nhwc_im2col_neon(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc,
                         std::size_t oh_begin, std::size_t oh_end) {
  dispatch_nhwc<NeonCopy>(s, image, pad_value, col, ldc, oh_begin, oh_end);
}

}  // namespace sparq
