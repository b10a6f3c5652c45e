// The loops of every x32-im2col variant, written once over a Copy type that
// moves the runs whose length is only known at run time:
//   Copy::copy(dst, src, n)    n elements (4-byte or 1-byte) from src
//   Copy::fill(dst, n, value)  n copies of value
// (the scalar variant: memcpy and fill_n, a library call per run; the SIMD
// ones: vector moves inline, masked or overlapping at the tail). Pure data
// movement: every output element is a copy of an input element or the pad
// value, so there is no rounding to match. Everything here has internal
// linkage, so each file's instantiations are compiled with its ISA flags only.
//
// Output row p = (oh, ow) is [c][kh][kw]. For one (c, kh) the kw values sit in
// one input row, at columns iw0 + kw*DW with iw0 = ow*SW - PL. Which kw land
// inside [0, W) depends only on ow, so each pixel computes that range once,
// then every (c, kh) writes: pad | copied run | pad (a whole run of pad when
// the input row ih is outside [0, H)). With dilation 1 the run is contiguous;
// the common kernel widths are template parameters so the interior copies are
// fixed-size memcpys the compiler turns into a few moves (in every variant)
// instead of a call per 3 elements.
//
// NHWC rows are [kh][kw][c]: each tap is the C channels of one input pixel,
// adjacent in memory, so a row is a run of copies of C values (pad runs
// where the tap falls outside), and with DW = 1 the KW taps of a kernel row
// that lies wholly inside the image are ONE copy of KW*C values: these runs,
// 9 to a few hundred elements, are where the variants differ.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstring>

#include "x32-im2col.h"

namespace sparq {
namespace {

using Index = std::ptrdiff_t;

// kKw: the kernel width when known at compile time, else 0 (read s.kernel_w).
template <class Copy, typename T, std::size_t kKw>
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
          Copy::fill(dst, lo, pad_value);
          if (hi > lo) {
            const T* src = row + (iw0 + static_cast<Index>(lo) * dw);
            if (dw == 1) {
              Copy::copy(dst + lo, src, hi - lo);
            } else {
              for (std::size_t k = lo; k < hi; k++, src += dw) dst[k] = *src;
            }
          }
          Copy::fill(dst + hi, kw_count - hi, pad_value);
        }
      }
    }
  }
}

template <class Copy, typename T>
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
          Copy::fill(dst, run, pad_value);
          continue;
        }
        const T* pixels = image + static_cast<std::size_t>(ih * w) * c;
        if (row_inside) {
          Copy::copy(dst, pixels + static_cast<std::size_t>(iw0) * c, run);
          continue;
        }
        for (Index kw = 0; kw < kw_count; kw++) {
          const Index iw = iw0 + kw * dw;
          T* tap = dst + static_cast<std::size_t>(kw) * c;
          if (iw < 0 || iw >= w)
            Copy::fill(tap, c, pad_value);
          else
            Copy::copy(tap, pixels + static_cast<std::size_t>(iw) * c, c);
        }
      }
    }
  }
}

template <class Copy, typename T>
void dispatch_nhwc(const Im2colShape& s, const T* image, T pad_value, T* col, std::size_t ldc, std::size_t oh_begin,
                   std::size_t oh_end) {
  assert(s.stride_h >= 1 && s.stride_w >= 1 && s.dilation_h >= 1 && s.dilation_w >= 1);
  assert(ldc >= s.channels * s.kernel_h * s.kernel_w);
  assert(oh_begin <= oh_end && oh_end <= s.out_h);
  im2col_nhwc<Copy>(s, image, pad_value, col, ldc, oh_begin, oh_end);
}

template <class Copy, typename T>
void dispatch(const Im2colShape& s, const T* image, T pad_value, T* col, std::size_t ldc) {
  assert(s.stride_h >= 1 && s.stride_w >= 1 && s.dilation_h >= 1 && s.dilation_w >= 1);
  assert(s.image_channel_stride >= s.height * s.width);
  assert(ldc >= s.channels * s.kernel_h * s.kernel_w);
  switch (s.kernel_w) {
    case 1: return im2col<Copy, T, 1>(s, image, pad_value, col, ldc);
    case 3: return im2col<Copy, T, 3>(s, image, pad_value, col, ldc);
    case 5: return im2col<Copy, T, 5>(s, image, pad_value, col, ldc);
    case 7: return im2col<Copy, T, 7>(s, image, pad_value, col, ldc);
    default: return im2col<Copy, T, 0>(s, image, pad_value, col, ldc);
  }
}

}  // namespace
}  // namespace sparq
