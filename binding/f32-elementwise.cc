// Binding for kernels/f32-elementwise: activations, binary ops with a fused
// activation (b the same shape as x, one value per row of `inner` elements,
// or one row of `inner` values per block of rows), and the mean of each plane
// or column (GlobalAveragePool of NCHW or NHWC images), split across the
// thread pool in row segments (rows.h).
#include "kernels/f32-elementwise/f32-elementwise.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "args.h"
#include "job.h"
#include "plan.h"
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

// y = act(x op b) on rows of `inner` floats, b holding b_rows rows, each read
// by rows / b_rows consecutive rows of x; split into tasks of whole rows of one
// block (about kRowChunk floats each).
void binary_columns(const sparq::ElementwiseVariant& v, std::size_t rows, std::size_t inner, std::size_t b_rows,
                    const float* xs, const float* bs, float* ys, F32BinaryOp op, const sparq::F32Activation& act) {
  if (rows == 0 || inner == 0) return;
  const std::size_t block = rows / b_rows;
  const std::size_t per = std::max<std::size_t>(1, kRowChunk / inner);
  const std::size_t tasks_per_block = (block + per - 1) / per;
  sparq::parallel_for(b_rows * tasks_per_block, [&](std::size_t task) {
    const std::size_t image = task / tasks_per_block, first = image * block + task % tasks_per_block * per;
    const std::size_t count = std::min(per, (image + 1) * block - first);
    v.binary_columns(count, inner, xs + first * inner, bs + image * inner, ys + first * inner, op, act);
  });
}

// An elementwise call's options besides its arrays (a one-shot call's and a plan's).
struct ElementwiseShape {
  bool unary;
  F32BinaryOp op;
  sparq::F32Activation act;
  std::size_t rows, inner, total, b_rows, b_len;
  bool b_columns;
};

ElementwiseShape elementwise_shape(const Options& o) {
  const Napi::Env env = o["op"].Env();
  ElementwiseShape s{};
  s.unary = string_arg(o["op"], "op") == "none";
  s.op = s.unary ? F32BinaryOp::kAdd : op_arg(o["op"]);
  s.act = activation_args(o);
  s.rows = size_arg(o["rows"], "rows");
  s.inner = size_arg(o["inner"], "inner");
  s.total = checked_mul(env, s.rows, s.inner, "x");
  s.b_rows = size_arg(o["bRows"], "bRows");
  s.b_columns = bool_arg(o["bColumns"], "bColumns");
  if (s.b_rows != 0 && s.rows % s.b_rows != 0) throw_range_error(env, "bRows must divide rows");
  if (s.b_columns && s.b_rows == 0) throw_range_error(env, "bColumns needs bRows >= 1");
  s.b_len = s.b_rows == 0 ? s.total : s.b_columns ? checked_mul(env, s.b_rows, s.inner, "b") : s.b_rows;
  return s;
}

void run_elementwise(const sparq::ElementwiseVariant& v, const ElementwiseShape& s, const float* xs, const float* bs, float* ys) {
  if (!s.unary && s.b_columns) return binary_columns(v, s.rows, s.inner, s.b_rows, xs, bs, ys, s.op, s.act);
  for_each_row_segment(1, s.rows, s.inner, [&](std::size_t row, std::size_t off, std::size_t count) {
    if (s.unary) v.activate(count, xs + off, ys + off, s.act);
    else if (s.b_rows == 0) v.binary(count, xs + off, bs + off, ys + off, s.op, s.act);
    else v.binary_scalar(count, xs + off, bs[row % s.b_rows], ys + off, s.op, s.act);
  });
}

// elementwise({ variant, op: 'none' | 'add' | 'sub' | 'rsub' | 'mul', x, b, y, rows, inner, bRows, bColumns,
//               activation, alpha, beta, min, max, async })
// x and y hold rows * inner floats (y may be x). op 'none': y = act(x), b
// unread (null). Else y = act(x op b) ('rsub': b - x) with b of rows * inner
// floats when bRows is 0, or of bRows floats, row r reading b[r % bRows]
// (bRows = C or N * C for a [1 or N, C, 1, 1] operand on [N, C, H, W]), or,
// with bColumns, of bRows rows of `inner` floats, each read by rows / bRows
// consecutive rows of x (bRows = N or 1 for an [N or 1, 1, 1, C] operand on
// [N, H, W, C] seen as N * H * W rows of C).
Napi::Value Elementwise(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "op", "x", "b", "y", "rows", "inner", "bRows", "bColumns", "activation", "alpha",
                         "beta", "min", "max", "async"});
  const auto& v = variant_arg(o["variant"]);
  const ElementwiseShape s = elementwise_shape(o);
  auto x = typed_array<float>(o["x"], "x", s.total);
  auto y = typed_array<float>(o["y"], "y", s.total);
  Napi::TypedArrayOf<float> b;
  if (!s.unary) b = typed_array<float>(o["b"], "b", s.b_len);
  Job job(env, bool_arg(o["async"], "async"));
  const float* xs = job.in<float>(x);
  const float* bs = s.unary ? nullptr : job.in<float>(b);
  float* ys = job.out<float>(y);
  return job.run([=, &v] { run_elementwise(v, s, xs, bs, ys); });
}

// planF32Elementwise({ variant, op, rows, inner, bRows, bColumns, activation, alpha, beta, min, max }) -> plan
// for runPlan(plan, x, y) (op 'none') or runPlan(plan, x, y, b): elementwise's call on each run's arrays.
Napi::Value PlanF32Elementwise(const Napi::CallbackInfo& info) {
  const Options o(info, {"variant", "op", "rows", "inner", "bRows", "bColumns", "activation", "alpha", "beta", "min", "max"});
  const auto& v = variant_arg(o["variant"]);
  const ElementwiseShape s = elementwise_shape(o);
  PlannedCall plan;
  plan.x = plan.y = {napi_float32_array, s.total};
  if (s.unary) {
    plan.kernel = [&v, s](const void*, const void* x, void* y) {
      run_elementwise(v, s, static_cast<const float*>(x), nullptr, static_cast<float*>(y));
    };
  } else {
    plan.has_b = true;
    plan.b = {napi_float32_array, s.b_len};
    plan.binary = [&v, s](const void* x, const void* b, void* y) {
      run_elementwise(v, s, static_cast<const float*>(x), static_cast<const float*>(b), static_cast<float*>(y));
    };
  }
  return wrap_plan(info.Env(), std::move(plan), nullptr);
}

// Planes per task: about kRowChunk floats read.
std::size_t planes_per_task(std::size_t plane) { return std::max<std::size_t>(1, kRowChunk / std::max<std::size_t>(plane, 1)); }

// The column means of `images` matrices of plane x columns floats, split into
// tasks of whole 16-column blocks of one image (about kRowChunk floats read each).
void column_means(const sparq::ElementwiseVariant& v, std::size_t images, std::size_t plane, std::size_t columns,
                  const float* xs, float* ys) {
  const std::size_t per = std::min(columns, std::max<std::size_t>(1, kRowChunk / plane / 16) * 16);
  const std::size_t tasks_per_image = (columns + per - 1) / per;
  sparq::parallel_for(images * tasks_per_image, [&](std::size_t task) {
    const std::size_t image = task / tasks_per_image, c = task % tasks_per_image * per;
    v.column_means(plane, std::min(per, columns - c), columns, xs + image * plane * columns + c, ys + image * columns + c);
  });
}

struct PoolShape {
  std::size_t planes, plane, columns, y_len, x_len;
};

PoolShape pool_shape(const Options& o) {
  const Napi::Env env = o["plane"].Env();
  PoolShape s{size_arg(o["planes"], "planes"), size_arg(o["plane"], "plane"), size_arg(o["columns"], "columns"), 0, 0};
  if (s.plane == 0) throw_range_error(env, "plane must be >= 1");
  if (s.columns == 0) throw_range_error(env, "columns must be >= 1");
  s.y_len = checked_mul(env, s.planes, s.columns, "y");
  s.x_len = checked_mul(env, s.y_len, s.plane, "x");
  return s;
}

void run_pool(const sparq::ElementwiseVariant& v, const PoolShape& s, const float* xs, float* ys) {
  if (s.columns > 1) return column_means(v, s.planes, s.plane, s.columns, xs, ys);
  const std::size_t per = planes_per_task(s.plane);
  sparq::parallel_for((s.planes + per - 1) / per, [&](std::size_t task) {
    const std::size_t end = std::min(s.planes, (task + 1) * per);
    for (std::size_t p = task * per; p < end; p++) ys[p] = v.sum(s.plane, xs + p * s.plane) / static_cast<float>(s.plane);
  });
}

// globalAveragePool({ variant, x, y, planes, plane, columns, async }): x is [planes, plane, columns],
// y[p, c] = (the float sum of x[p, :, c]) / plane: the plane means of NCHW images (columns 1, planes N * C)
// or the channel means of NHWC ones (planes N, plane H * W, columns C).
Napi::Value GlobalAveragePool(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "x", "y", "planes", "plane", "columns", "async"});
  const auto& v = variant_arg(o["variant"]);
  const PoolShape s = pool_shape(o);
  auto x = typed_array<float>(o["x"], "x", s.x_len);
  auto y = typed_array<float>(o["y"], "y", s.y_len);
  Job job(env, bool_arg(o["async"], "async"));
  const float* xs = job.in<float>(x);
  float* ys = job.out<float>(y);
  return job.run([=, &v] { run_pool(v, s, xs, ys); });
}

// planGlobalAveragePool({ variant, planes, plane, columns }) -> plan for runPlan(plan, x, y).
Napi::Value PlanGlobalAveragePool(const Napi::CallbackInfo& info) {
  const Options o(info, {"variant", "planes", "plane", "columns"});
  const auto& v = variant_arg(o["variant"]);
  const PoolShape s = pool_shape(o);
  PlannedCall plan;
  plan.x = {napi_float32_array, s.x_len};
  plan.y = {napi_float32_array, s.y_len};
  plan.kernel = [&v, s](const void*, const void* x, void* y) { run_pool(v, s, static_cast<const float*>(x), static_cast<float*>(y)); };
  return wrap_plan(info.Env(), std::move(plan), nullptr);
}

}  // namespace

void register_f32_elementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("elementwise", Napi::Function::New(env, Elementwise));
  exports.Set("globalAveragePool", Napi::Function::New(env, GlobalAveragePool));
  exports.Set("planF32Elementwise", Napi::Function::New(env, PlanF32Elementwise));
  exports.Set("planGlobalAveragePool", Napi::Function::New(env, PlanGlobalAveragePool));
  exports.Set("f32ElementwiseVariants", describe_variants(env, sparq::kElementwiseVariants, sparq::kElementwiseVariantCount));
}

}  // namespace sparq_binding
