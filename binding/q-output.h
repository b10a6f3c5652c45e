// The output-stage fields shared by the quantized kernels' bindings
// (qu8s8Gemm, qu8s8Spmm): output, c, ldc, bias | null, multiplier | null,
// outZeroPoint, outMin, outMax, fmin, fmax.
#pragma once

#include <napi.h>

#include <cstddef>
#include <vector>

#include "args.h"
#include "job.h"
#include "plan.h"
#include "kernels/qu8s8-gemm/qu8s8-gemm.h"

namespace sparq_binding {

// The names of those fields, for the Options a binding reads.
#define Q_OUTPUT_FIELDS \
  "output", "c", "ldc", "bias", "multiplier", "outZeroPoint", "outMin", "outMax", "fmin", "fmax"

struct QOutputArgs {
  sparq::QGemmParams params;  // a_zero_point left to the caller
  std::size_t ldc = 0;
  void* c_data = nullptr;
};

// Checks c holds rows x cols at stride ldc in the output's type, bias and
// multiplier (1 or `channels` values) and the zero point and ranges; c, bias
// and multiplier become memory of `job`.
QOutputArgs output_args(const Options& o, std::size_t rows, std::size_t cols, std::size_t channels, Job& job);

// The same fields for a plan, less c: what c must be (type, and length for
// rows x cols at stride ldc), with bias and multiplier copied.
struct PlannedOutput {
  QOutputArgs args;  // c_data unset
  PlanArray c{};
  std::vector<int32_t> bias;
  std::vector<float> multiplier;
  // args.params with bias and multiplier pointing at the copies (valid while this lives).
  sparq::QGemmParams params() const;
};

PlannedOutput planned_output(const Options& o, std::size_t rows, std::size_t cols, std::size_t channels);

}  // namespace sparq_binding
