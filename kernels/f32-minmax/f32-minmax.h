// f32-minmax: the minimum and maximum of a float32 row, for calibration.
// NaN values are ignored; a row of only NaN (or n == 0) gives min = +inf,
// max = -inf so results of several rows combine with plain min/max.
// A zero minimum or maximum is returned as +0: -0 and +0 compare equal, and
// which one a variant meets first depends on its reduction order, so fixing
// the sign keeps every variant bit-identical.
#pragma once

#include <cstddef>

#include "../common/cpu-features.h"

namespace sparq {

using MinmaxFn = void (*)(std::size_t n, const float* x, float* min, float* max);

struct MinmaxVariant {
  const char* name;  // e.g. "f32-minmax-avx2"
  Isa isa;
  MinmaxFn fn;
};

extern const MinmaxVariant kMinmaxVariants[];
extern const std::size_t kMinmaxVariantCount;
const MinmaxVariant& minmax_best();

}  // namespace sparq
