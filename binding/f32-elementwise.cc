// Binding for kernels/f32-elementwise: activations, binary ops with a fused
// activation (b the same shape as x, or one value per row of `inner`
// elements), and the mean of each plane (GlobalAveragePool), split across
// the thread pool in row segments (rows.h).
#include "kernels/f32-elementwise/f32-elementwise.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "args.h"
#include "job.h"
#include "kernels/common/thread-pool.h"
#include "register.h"
#include "rows.h"
#include "variants.h"

namespace sparq_binding {
namespace {

using sparq::F32ActKind;
using sparq::F32BinaryOp;

const sparq::ElementwiseVariant& variant_arg(const Napi::Value& v) {
  return pick_variant(v, sparq::kElementwiseVariants, sparq::kElementwiseVariantCount, sparq::elementwise_best());
}

// { activation: 'clamp' | 'hardsigmoid' | 'hardswish', alpha, beta, min, max }
sparq::F32Activation activation_args(const Options& o) {
  const Napi::Env env = o["activation"].Env();
  sparq::F32Activation a;
  const std::string kind = string_arg(o["activation"], "activation");
  if (kind == "clamp") a.kind = F32ActKind::kClamp;
  else if (kind == "hardsigmoid") a.kind = F32ActKind::kHardSigmoid;
  else if (kind == "hardswish") a.kind = F32ActKind::kHardSwish;
  else throw_range_error(env, "activation must be 'clamp', 'hardsigmoid' or 'hardswish', got '" + kind + "'");
  a.alpha = static_cast<float>(number_arg(o["alpha"], "alpha"));
  a.beta = static_cast<float>(number_arg(o["beta"], "beta"));
  a.lo = static_cast<float>(number_arg(o["min"], "min"));
  a.hi = static_cast<float>(number_arg(o["max"], "max"));
  if (!(a.lo <= a.hi)) throw_range_error(env, "min must be <= max (and neither NaN)");
  return a;
}

F32BinaryOp op_arg(const Napi::Value& v) {
  const std::string op = string_arg(v, "op");
  if (op == "add") return F32BinaryOp::kAdd;
  if (op == "sub") return F32BinaryOp::kSub;
  if (op == "rsub") return F32BinaryOp::kReverseSub;
  if (op == "mul") return F32BinaryOp::kMul;
  throw_range_error(v.Env(), "op must be 'none', 'add', 'sub', 'rsub' or 'mul', got '" + op + "'");
}

// elementwise({ variant, op: 'none' | 'add' | 'sub' | 'rsub' | 'mul', x, b, y, rows, inner, bRows,
//               activation, alpha, beta, min, max, async })
// x and y hold rows * inner floats (y may be x). op 'none': y = act(x), b
// unread (null). Else y = act(x op b) ('rsub': b - x) with b of rows * inner
// floats when bRows is 0, or of bRows floats, row r reading b[r % bRows]
// (bRows = C or N * C for a [1 or N, C, 1, 1] operand on [N, C, H, W]).
Napi::Value Elementwise(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "op", "x", "b", "y", "rows", "inner", "bRows", "activation", "alpha", "beta", "min",
                         "max", "async"});
  const auto& v = variant_arg(o["variant"]);
  const bool unary = string_arg(o["op"], "op") == "none";
  const F32BinaryOp op = unary ? F32BinaryOp::kAdd : op_arg(o["op"]);
  const sparq::F32Activation act = activation_args(o);
  const std::size_t rows = size_arg(o["rows"], "rows"), inner = size_arg(o["inner"], "inner");
  const std::size_t total = checked_mul(env, rows, inner, "x");
  const std::size_t b_rows = size_arg(o["bRows"], "bRows");
  if (b_rows != 0 && rows % b_rows != 0) throw_range_error(env, "bRows must divide rows");
  auto x = typed_array<float>(o["x"], "x", total);
  auto y = typed_array<float>(o["y"], "y", total);
  Napi::TypedArrayOf<float> b;
  if (!unary) b = typed_array<float>(o["b"], "b", b_rows == 0 ? total : b_rows);
  Job job(env, bool_arg(o["async"], "async"));
  const float* xs = job.in<float>(x);
  const float* bs = unary ? nullptr : job.in<float>(b);
  float* ys = job.out<float>(y);
  return job.run([=, &v] {
    for_each_row_segment(1, rows, inner, [&](std::size_t row, std::size_t off, std::size_t count) {
      if (unary) v.activate(count, xs + off, ys + off, act);
      else if (b_rows == 0) v.binary(count, xs + off, bs + off, ys + off, op, act);
      else v.binary_scalar(count, xs + off, bs[row % b_rows], ys + off, op, act);
    });
  });
}

// Planes per task: about kRowChunk floats read.
std::size_t planes_per_task(std::size_t plane) { return std::max<std::size_t>(1, kRowChunk / std::max<std::size_t>(plane, 1)); }

// globalAveragePool({ variant, x, y, planes, plane, async }): y[p] = (the float sum of plane p of x) / plane.
Napi::Value GlobalAveragePool(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "x", "y", "planes", "plane", "async"});
  const auto& v = variant_arg(o["variant"]);
  const std::size_t planes = size_arg(o["planes"], "planes"), plane = size_arg(o["plane"], "plane");
  if (plane == 0) throw_range_error(env, "plane must be >= 1");
  auto x = typed_array<float>(o["x"], "x", checked_mul(env, planes, plane, "x"));
  auto y = typed_array<float>(o["y"], "y", planes);
  Job job(env, bool_arg(o["async"], "async"));
  const float* xs = job.in<float>(x);
  float* ys = job.out<float>(y);
  return job.run([=, &v] {
    const std::size_t per = planes_per_task(plane);
    sparq::parallel_for((planes + per - 1) / per, [&](std::size_t task) {
      const std::size_t end = std::min(planes, (task + 1) * per);
      for (std::size_t p = task * per; p < end; p++) ys[p] = v.sum(plane, xs + p * plane) / static_cast<float>(plane);
    });
  });
}

}  // namespace

void register_f32_elementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("elementwise", Napi::Function::New(env, Elementwise));
  exports.Set("globalAveragePool", Napi::Function::New(env, GlobalAveragePool));
  exports.Set("f32ElementwiseVariants", describe_variants(env, sparq::kElementwiseVariants, sparq::kElementwiseVariantCount));
}

}  // namespace sparq_binding
