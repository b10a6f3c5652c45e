// The output-stage arguments shared by the quantized kernels' bindings
// (qu8s8Gemm, qu8s8Spmm), at the same positions in both:
//   [6] output, [7] c, [8] ldc, [9] bias | null, [10] multiplier | null,
//   [11] outZeroPoint, [12] outMin, [13] outMax, [14] fmin, [15] fmax
#pragma once

#include <napi.h>

#include <cstddef>

#include "job.h"
#include "kernels/qu8s8-gemm/qu8s8-gemm.h"

namespace sparq_binding {

struct QOutputArgs {
  sparq::QGemmParams params;  // a_zero_point left to the caller
  std::size_t ldc = 0;
  void* c_data = nullptr;
};

// Checks c holds rows x cols at stride ldc in the output's type, bias and
// multiplier (1 or `channels` values) and the zero point and ranges; c, bias
// and multiplier become memory of `job`.
QOutputArgs output_args(const Napi::CallbackInfo& info, std::size_t rows, std::size_t cols, std::size_t channels, Job& job);

}  // namespace sparq_binding
