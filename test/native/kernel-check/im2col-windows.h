// The random windows of the im2col and col2im checks (col2im is im2col's
// adjoint, so both sweep the same windows): kernel height 1-3 and the given
// width, strides 1-2 by 1-3, dilations, pads below the kernel, and any output
// size (positions past the padded input read the pad).
#pragma once

#include <cstddef>

#include "check.h"
#include "kernels/x32-im2col/x32-im2col.h"

namespace kcheck {

// Every other trial keeps dilation_w 1, so whole kernel rows can be one run.
inline sparq::Im2colShape random_im2col_window(Checker& c, std::size_t kernel_w, int trial) {
  sparq::Im2colShape s{};
  s.height = 1 + c.below(9);
  s.width = 1 + c.below(12);
  s.kernel_h = 1 + c.below(3);
  s.kernel_w = kernel_w;
  s.stride_h = 1 + c.below(2);
  s.stride_w = 1 + c.below(3);
  s.dilation_h = 1 + c.below(2);
  s.dilation_w = trial % 2 == 0 ? 1 : 1 + c.below(2);
  s.pad_top = c.below(s.kernel_h);
  s.pad_left = c.below(kernel_w);
  s.out_h = 1 + c.below(8);
  s.out_w = 1 + c.below(10);
  return s;
}

}  // namespace kcheck
