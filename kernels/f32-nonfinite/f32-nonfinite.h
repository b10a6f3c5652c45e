// f32-nonfinite: whether a run of float32 values holds an infinity or a NaN,
// copying the run on the way when asked.
//
// The sparse drivers (f32-spmm, f32-spconv2d) ask it of their dense operand:
// their kernels skip the weights that are not stored, so the 0 x Inf and
// 0 x NaN that make a dense product NaN never happen there, and a call whose
// operand holds such a value runs a fix-up that puts those NaNs back. The
// check runs on every call, so it is one SIMD instruction per vector (it may
// ride along with a copy the driver makes anyway); the fix-up only runs when
// it answers yes.
#pragma once

#include <cstddef>

#include "../common/cpu-features.h"

namespace sparq {

// Whether x[0, n) holds +-Inf or NaN; when `copy` is not null, x[0, n) is
// also written to copy[0, n) (the two must not overlap).
using F32NonfiniteFn = bool (*)(std::size_t n, const float* x, float* copy);

struct F32NonfiniteVariant {
  const char* name;  // e.g. "f32-nonfinite-avx2"
  Isa isa;
  F32NonfiniteFn fn;
};

extern const F32NonfiniteVariant kF32NonfiniteVariants[];
extern const std::size_t kF32NonfiniteVariantCount;
const F32NonfiniteVariant& f32_nonfinite_best();

}  // namespace sparq
