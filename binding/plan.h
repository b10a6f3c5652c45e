// Planned calls: a kernel call whose options are read and checked once
// (planQuantize, planDequantize, planF32Gemm, planQu8s8Gemm, planQu8s8Spmm,
// planF32Elementwise, planGlobalAveragePool, planMaxPoolNhwc, planTranspose, planCol2imNhwc: the options of the one-shot
// call, less its arrays), then run many times on just its input and output
// arrays (runPlan; a binary elementwise op's second input after them). Reading a call's options costs 1-2 us,
// more than a small node's arithmetic at batch 1; a session plans each node
// once per input shape and runs the plan on every run.
//
// A plan copies what it needs (scales, bias, multipliers) and holds the
// packed weights it runs on weakly: disposing them frees them, and running
// the plan after that is a TypeError. Plans run on the calling thread (the
// runtime runs its nodes synchronously).
#pragma once

#include <napi.h>

#include <cstddef>
#include <functional>
#include <memory>

#include "handles.h"

namespace sparq_binding {

// A typed array a plan takes: its element type and the elements it needs.
struct PlanArray {
  napi_typedarray_type type;
  std::size_t length;
};

struct PlannedCall {
  PlanArray x{}, y{};
  bool has_weights = false;
  std::weak_ptr<const void> weights;
  // Runs the kernel on the locked weights (null without), x and y.
  std::function<void(const void* weights, const void* x, void* y)> kernel;
  // A plan of two inputs (a binary elementwise op) runs this instead, on x, b (runPlan's fourth argument) and y.
  bool has_b = false;
  PlanArray b{};
  std::function<void(const void* x, const void* b, void* y)> binary;
};

template <>
struct HandleTag<PlannedCall> {
  static constexpr napi_type_tag tag = {0x73706172710e0001ULL, 0x2f6b9d0c41e8a357ULL};
  static constexpr const char* maker = "a plan function (planQuantize, planF32Gemm, ...)";
  // A plan's copies hold a few values per channel; its weights are reported by their own handle.
  static std::size_t bytes(const PlannedCall&) { return 0; }
};

// The typed array type of a kernel's byte arrays: uint8 or int8.
inline napi_typedarray_type byte_array_type(bool is_unsigned) { return is_unsigned ? napi_uint8_array : napi_int8_array; }

// The handle of `plan`, with `weights` (may be null) held weakly.
Napi::Value wrap_plan(Napi::Env env, PlannedCall&& plan, std::shared_ptr<const void> weights);

}  // namespace sparq_binding
