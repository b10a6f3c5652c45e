// Binding for kernels/f32-elementwise: activations, binary ops with a fused
// activation (b the same shape as x, one value per row of `inner` elements,
// or one row of `inner` values per block of rows), and the mean of each plane
// or column (GlobalAveragePool of NCHW or NHWC images), split across the
// thread pool in row segments (rows.h).
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
  const bool unary = string_arg(o["op"], "op") == "none";
  const F32BinaryOp op = unary ? F32BinaryOp::kAdd : op_arg(o["op"]);
  const sparq::F32Activation act = activation_args(o);
  const std::size_t rows = size_arg(o["rows"], "rows"), inner = size_arg(o["inner"], "inner");
  const std::size_t total = checked_mul(env, rows, inner, "x");
  const std::size_t b_rows = size_arg(o["bRows"], "bRows");
  const bool b_columns = bool_arg(o["bColumns"], "bColumns");
  if (b_rows != 0 && rows % b_rows != 0) throw_range_error(env, "bRows must divide rows");
  if (b_columns && b_rows == 0) throw_range_error(env, "bColumns needs bRows >= 1");
  auto x = typed_array<float>(o["x"], "x", total);
  auto y = typed_array<float>(o["y"], "y", total);
  Napi::TypedArrayOf<float> b;
  if (!unary) b = typed_array<float>(o["b"], "b", b_rows == 0 ? total : b_columns ? checked_mul(env, b_rows, inner, "b") : b_rows);
  Job job(env, bool_arg(o["async"], "async"));
  const float* xs = job.in<float>(x);
  const float* bs = unary ? nullptr : job.in<float>(b);
  float* ys = job.out<float>(y);
  if (!unary && b_columns)
    return job.run([=, &v] { binary_columns(v, rows, inner, b_rows, xs, bs, ys, op, act); });
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

// globalAveragePool({ variant, x, y, planes, plane, columns, async }): x is [planes, plane, columns],
// y[p, c] = (the float sum of x[p, :, c]) / plane: the plane means of NCHW images (columns 1, planes N * C)
// or the channel means of NHWC ones (planes N, plane H * W, columns C).
Napi::Value GlobalAveragePool(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "x", "y", "planes", "plane", "columns", "async"});
  const auto& v = variant_arg(o["variant"]);
  const std::size_t planes = size_arg(o["planes"], "planes"), plane = size_arg(o["plane"], "plane");
  const std::size_t columns = size_arg(o["columns"], "columns");
  if (plane == 0) throw_range_error(env, "plane must be >= 1");
  if (columns == 0) throw_range_error(env, "columns must be >= 1");
  const std::size_t y_len = checked_mul(env, planes, columns, "y");
  auto x = typed_array<float>(o["x"], "x", checked_mul(env, y_len, plane, "x"));
  auto y = typed_array<float>(o["y"], "y", y_len);
  Job job(env, bool_arg(o["async"], "async"));
  const float* xs = job.in<float>(x);
  float* ys = job.out<float>(y);
  if (columns > 1) return job.run([=, &v] { column_means(v, planes, plane, columns, xs, ys); });
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
