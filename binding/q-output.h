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

// Packed qu8s8-gemm weights (packQ8Weights) as a handle: qu8s8Gemm and the convs on its microkernels take them.
template <>
struct HandleTag<sparq::QPackedB> {
  static constexpr napi_type_tag tag = {0x73706172710f3202ULL, 0x41b7e2c09d6a3f52ULL};
  static constexpr const char* maker = "packQ8Weights";
  static std::size_t bytes(const sparq::QPackedB& w) {
    return vector_bytes(w.panels) + vector_bytes(w.column_sums) + vector_bytes(w.zero_points);
  }
};

// The qu8s8-gemm variant a call names (null: the best exact one for w);
// RangeError for a variant that needs narrow weights when w is not.
const sparq::QGemmVariant* qgemm_variant(const Napi::Value& name, const sparq::QPackedB& w);

}  // namespace sparq_binding
