// Portable im2col, one template for 4-byte (x32) and 1-byte (x8) elements:
// the x32-im2col-scalar variant. Pure data movement: every output element is
// a copy of an input element or the pad value, so there is no rounding to
// match and, so far, no SIMD variant.
//
// Output row p = (oh, ow) is [c][kh][kw]. For one (c, kh) the kw values sit in
// one input row, at columns iw0 + kw*DW with iw0 = ow*SW - PL. Which kw land
// inside [0, W) depends only on ow, so each pixel computes that range once,
// then every (c, kh) writes: pad | copied run | pad (a whole run of pad when
// the input row ih is outside [0, H)). With dilation 1 the run is contiguous
// and copied with memcpy; the common kernel widths are template parameters
// so the interior copies are fixed-size memcpys the compiler turns into a
// few moves instead of a library call per 3 elements.
//
// NHWC rows are [kh][kw][c]: each tap is the C channels of one input pixel,
// adjacent in memory, so a row is a run of memcpys of C values (pad runs
// where the tap falls outside), and with DW = 1 the KW taps of a kernel row
// that lies wholly inside the image are ONE copy of KW*C values.
#include "x32-im2col.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace sparq {
namespace {

using Index = std::ptrdiff_t;

// kKw: the kernel width when known at compile time, else 0 (read s.kernel_w).
template <typename T, std::size_t kKw>
void im2col(const Im2colShape& s, const T* image, T pad_value, T* col, std::size_t ldc) {
  const std::size_t kw_count = kKw != 0 ? kKw : s.kernel_w;
  const Index h = static_cast<Index>(s.height), w = static_cast<Index>(s.width);
  const Index dw = static_cast<Index>(s.dilation_w);
  for (std::size_t oh = 0; oh < s.out_h; oh++) {
    const Index ih0 = static_cast<Index>(oh * s.stride_h) - static_cast<Index>(s.pad_top);
    for (std::size_t ow = 0; ow < s.out_w; ow++) {
      T* dst = col + (oh * s.out_w + ow) * ldc;
      const Index iw0 = static_cast<Index>(ow * s.stride_w) - static_cast<Index>(s.pad_left);
      // kw in [lo, hi) reads inside the row: iw0 + kw*dw in [0, w).
      const Index lo_raw = iw0 >= 0 ? 0 : (-iw0 + dw - 1) / dw;
      const Index hi_raw = iw0 >= w ? 0 : (w - iw0 + dw - 1) / dw;
      const std::size_t lo = std::min(static_cast<std::size_t>(lo_raw), kw_count);
      const std::size_t hi = std::max(lo, std::min(static_cast<std::size_t>(hi_raw), kw_count));
      const bool interior = lo == 0 && hi == kw_count && dw == 1;
      for (std::size_t c = 0; c < s.channels; c++) {
        const T* plane = image + c * s.image_channel_stride;
        for (std::size_t kh = 0; kh < s.kernel_h; kh++, dst += kw_count) {
          const Index ih = ih0 + static_cast<Index>(kh * s.dilation_h);
          if (ih < 0 || ih >= h) {
            std::fill_n(dst, kw_count, pad_value);
            continue;
          }
          const T* row = plane + ih * w;
          if (interior) {
            std::memcpy(dst, row + iw0, kw_count * sizeof(T));  // fixed size when kKw != 0
            continue;
          }
          std::fill_n(dst, lo, pad_value);
          if (hi > lo) {
            const T* src = row + (iw0 + static_cast<Index>(lo) * dw);
            if (dw == 1) {
              std::memcpy(dst + lo, src, (hi - lo) * sizeof(T));
            } else {
              for (std::size_t k = lo; k < hi; k++, src += dw) dst[k] = *src;
            }
          }
          std::fill_n(dst + hi, kw_count - hi, pad_value);
        }
      }
    }
  }
}

template <typename T>
void im2col_nhwc(const Im2colShape& s, const T* image, T pad_value, T* col, std::size_t ldc, std::size_t oh_begin,
                 std::size_t oh_end) {
  const std::size_t c = s.channels, run = s.kernel_w * c;
  const Index h = static_cast<Index>(s.height), w = static_cast<Index>(s.width);
  const Index kw_count = static_cast<Index>(s.kernel_w), dw = static_cast<Index>(s.dilation_w);
  for (std::size_t oh = oh_begin; oh < oh_end; oh++) {
    const Index ih0 = static_cast<Index>(oh * s.stride_h) - static_cast<Index>(s.pad_top);
    for (std::size_t ow = 0; ow < s.out_w; ow++) {
      T* dst = col + (oh * s.out_w + ow) * ldc;
      const Index iw0 = static_cast<Index>(ow * s.stride_w) - static_cast<Index>(s.pad_left);
      const bool row_inside = dw == 1 && iw0 >= 0 && iw0 + kw_count <= w;
      for (std::size_t kh = 0; kh < s.kernel_h; kh++, dst += run) {
        const Index ih = ih0 + static_cast<Index>(kh * s.dilation_h);
        if (ih < 0 || ih >= h) {
          std::fill_n(dst, run, pad_value);
          continue;
        }
        const T* pixels = image + static_cast<std::size_t>(ih * w) * c;
        if (row_inside) {
          std::memcpy(dst, pixels + static_cast<std::size_t>(iw0) * c, run * sizeof(T));
          continue;
        }
        for (Index kw = 0; kw < kw_count; kw++) {
          const Index iw = iw0 + kw * dw;
          T* tap = dst + static_cast<std::size_t>(kw) * c;
          if (iw < 0 || iw >= w)
            std::fill_n(tap, c, pad_value);
          else
            std::memcpy(tap, pixels + static_cast<std::size_t>(iw) * c, c * sizeof(T));
        }
      }
    }
  }
}

template <typename T>
void dispatch_nhwc(const Im2colShape& s, const T* image, T pad_value, T* col, std::size_t ldc, std::size_t oh_begin,
                   std::size_t oh_end) {
  assert(s.stride_h >= 1 && s.stride_w >= 1 && s.dilation_h >= 1 && s.dilation_w >= 1);
  assert(ldc >= s.channels * s.kernel_h * s.kernel_w);
  assert(oh_begin <= oh_end && oh_end <= s.out_h);
  im2col_nhwc(s, image, pad_value, col, ldc, oh_begin, oh_end);
}

template <typename T>
void dispatch(const Im2colShape& s, const T* image, T pad_value, T* col, std::size_t ldc) {
  assert(s.stride_h >= 1 && s.stride_w >= 1 && s.dilation_h >= 1 && s.dilation_w >= 1);
  assert(s.image_channel_stride >= s.height * s.width);
  assert(ldc >= s.channels * s.kernel_h * s.kernel_w);
  switch (s.kernel_w) {
    case 1: return im2col<T, 1>(s, image, pad_value, col, ldc);
    case 3: return im2col<T, 3>(s, image, pad_value, col, ldc);
    case 5: return im2col<T, 5>(s, image, pad_value, col, ldc);
    case 7: return im2col<T, 7>(s, image, pad_value, col, ldc);
    default: return im2col<T, 0>(s, image, pad_value, col, ldc);
  }
}

}  // namespace

void x32_im2col_scalar(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc) {
  dispatch(s, image, pad_value, col, ldc);
}

void x8_im2col_scalar(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc) {
  dispatch(s, image, pad_value, col, ldc);
}


void x32_nhwc_im2col_scalar(const Im2colShape& s, const float* image, float pad_value, float* col, std::size_t ldc,
                            std::size_t oh_begin, std::size_t oh_end) {
  dispatch_nhwc(s, image, pad_value, col, ldc, oh_begin, oh_end);
}

void x8_nhwc_im2col_scalar(const Im2colShape& s, const uint8_t* image, uint8_t pad_value, uint8_t* col, std::size_t ldc,
                           std::size_t oh_begin, std::size_t oh_end) {
  dispatch_nhwc(s, image, pad_value, col, ldc, oh_begin, oh_end);
}

}  // namespace sparq
