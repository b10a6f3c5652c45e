// Binding for kernels/qx8-elementwise: the fused DequantizeLinear -> op ->
// QuantizeLinear tails of int8 models on their 8-bit values: binary ops
// (b the same shape as x, one value per row, or one vector per group of
// rows), 256-entry lookups, and GlobalAveragePool (NCHW planes or NHWC
// columns), split across the thread pool; each one-shot or planned once
// (runPlan).
#include "kernels/qx8-elementwise/qx8-elementwise.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "args.h"
#include "job.h"
#include "kernels/common/thread-pool.h"
#include "plan.h"
#include "register.h"
#include "rows.h"
#include "variants.h"

namespace sparq_binding {
namespace {

using sparq::Qx8BinaryOp;

const sparq::Qx8ElementwiseVariant& variant_arg(const Napi::Value& v) {
  return pick_variant(v, sparq::kQx8ElementwiseVariants, sparq::kQx8ElementwiseVariantCount, sparq::qx8_elementwise_best());
}

Qx8BinaryOp op_arg(const Napi::Value& v) {
  const std::string op = string_arg(v, "op");
  if (op == "add") return Qx8BinaryOp::kAdd;
  if (op == "sub") return Qx8BinaryOp::kSub;
  if (op == "rsub") return Qx8BinaryOp::kReverseSub;
  if (op == "mul") return Qx8BinaryOp::kMul;
  throw_range_error(v.Env(), "op must be 'add', 'sub', 'rsub' or 'mul', got '" + op + "'");
}

float scale_arg(const Napi::Value& v, const char* name) {
  const double s = number_arg(v, name);
  if (!(s > 0) || !std::isfinite(s)) throw_range_error(v.Env(), std::string(name) + " must be a positive finite number");
  return static_cast<float>(s);
}

int32_t zero_point_arg(const Napi::Value& v, const char* name, bool is_unsigned) {
  return static_cast<int32_t>(is_unsigned ? int_arg(v, name, 0, 255) : int_arg(v, name, -128, 127));
}

// A binary call's view: x and y rows * inner bytes, b lined up as `broadcast` says.
struct BinaryShape {
  std::size_t rows, inner, b_count, b_repeat, total, b_length;
  int mode;  // 0 'same', 1 'row', 2 'column'
};

BinaryShape binary_shape(const Options& o) {
  const Napi::Env env = o["rows"].Env();
  BinaryShape s{size_arg(o["rows"], "rows"), size_arg(o["inner"], "inner"), size_arg(o["bCount"], "bCount"),
                size_arg(o["bRepeat"], "bRepeat"), 0, 0, 0};
  s.total = checked_mul(env, s.rows, s.inner, "x");
  s.b_length = s.total;
  const std::string broadcast = string_arg(o["broadcast"], "broadcast");
  if (broadcast == "row") {
    if (s.b_count == 0 || s.rows % s.b_count != 0) throw_range_error(env, "bCount must divide rows");
    s.mode = 1;
    s.b_length = s.b_count;
  } else if (broadcast == "column") {
    if (s.b_count == 0 || s.b_repeat == 0 || s.rows % checked_mul(env, s.b_count, s.b_repeat, "b") != 0)
      throw_range_error(env, "bCount * bRepeat must divide rows");
    s.mode = 2;
    s.b_length = checked_mul(env, s.b_count, s.inner, "b");
  } else if (broadcast != "same") {
    throw_range_error(env, "broadcast must be 'same', 'row' or 'column', got '" + broadcast + "'");
  }
  return s;
}

// The scales, zero points (in the range of the one byte type) and clamp of a binary call.
sparq::Qx8BinaryParams binary_params(const Options& o, bool is_unsigned) {
  sparq::Qx8BinaryParams p;
  p.x_scale = scale_arg(o["xScale"], "xScale");
  p.x_zero_point = zero_point_arg(o["xZeroPoint"], "xZeroPoint", is_unsigned);
  p.b_scale = scale_arg(o["bScale"], "bScale");
  p.b_zero_point = zero_point_arg(o["bZeroPoint"], "bZeroPoint", is_unsigned);
  p.y_scale = scale_arg(o["yScale"], "yScale");
  p.y_zero_point = zero_point_arg(o["yZeroPoint"], "yZeroPoint", is_unsigned);
  p.lo = static_cast<float>(number_arg(o["min"], "min"));
  p.hi = static_cast<float>(number_arg(o["max"], "max"));
  if (!(p.lo <= p.hi)) throw_range_error(o["min"].Env(), "min must be <= max (and neither NaN)");
  return p;
}

// Bytes of consecutive 'column' rows one kernel call takes against their vector repeated.
constexpr std::size_t kTiledBytes = 4096;

// 'column': row r of `inner` bytes against vector (r / b_repeat) % b_count.
// A squeeze-excite Mul has rows of 16-96 channels (one per pixel), and a
// kernel call per row spends more on its setup than on the row; so runs of
// rows that share a vector go to the 'same' kernel in calls of up to
// kTiledBytes, against the vector repeated that many times (the same bytes,
// element for element, as a call per row).
void run_column_binary(const sparq::Qx8ElementwiseVariant& v, const BinaryShape& s, Qx8BinaryOp op,
                       const sparq::Qx8BinaryParams& p, bool is_signed, const uint8_t* xs, const uint8_t* bs, uint8_t* ys) {
  if (s.total == 0) return;
  const std::size_t inner = s.inner;
  const std::size_t per_call = std::max<std::size_t>(1, kTiledBytes / inner);
  const std::size_t per_task = std::max<std::size_t>(1, kRowChunk / inner);
  sparq::parallel_for((s.rows + per_task - 1) / per_task, [&](std::size_t task) {
    alignas(64) uint8_t tiled[kTiledBytes];
    std::size_t tiled_vector = s.b_count;  // none yet
    const std::size_t end = std::min(s.rows, (task + 1) * per_task);
    for (std::size_t r = task * per_task; r < end;) {
      const std::size_t group = r / s.b_repeat, vector = group % s.b_count;
      const std::size_t count = std::min({end, (group + 1) * s.b_repeat, r + per_call}) - r;
      const uint8_t* b = bs + vector * inner;
      if (count > 1) {
        if (tiled_vector != vector) {
          for (std::size_t k = 0; k < per_call; ++k) std::memcpy(tiled + k * inner, b, inner);
          tiled_vector = vector;
        }
        b = tiled;
      }
      v.binary(count * inner, xs + r * inner, b, ys + r * inner, is_signed, op, p);
      r += count;
    }
  });
}

void run_binary(const sparq::Qx8ElementwiseVariant& v, const BinaryShape& s, Qx8BinaryOp op, const sparq::Qx8BinaryParams& p,
                bool is_signed, const uint8_t* xs, const uint8_t* bs, uint8_t* ys) {
  if (s.mode == 2) return run_column_binary(v, s, op, p, is_signed, xs, bs, ys);
  for_each_row_segment(1, s.rows, s.inner, [&](std::size_t row, std::size_t off, std::size_t count) {
    if (s.mode == 0) {
      v.binary(count, xs + off, bs + off, ys + off, is_signed, op, p);
    } else {
      const uint8_t raw = bs[row % s.b_count];
      const int32_t value = is_signed ? static_cast<int8_t>(raw) : raw;
      v.binary_scalar(count, xs + off, sparq::qx8_dequantize_one(value, p.b_scale, p.b_zero_point), ys + off, is_signed, op, p);
    }
  });
}

#define BINARY_FIELDS "variant", "op", "rows", "inner", "broadcast", "bCount", "bRepeat", "xScale", "xZeroPoint", "bScale", \
                      "bZeroPoint", "yScale", "yZeroPoint", "min", "max"

// qx8Binary({ variant, op, x, b, y, rows, inner, broadcast: 'same' | 'row' | 'column', bCount, bRepeat,
//             xScale, xZeroPoint, bScale, bZeroPoint, yScale, yZeroPoint, min, max, async })
// x and y hold rows * inner bytes (y may be x), x, b and y all Int8Array or
// all Uint8Array. y = Q(clamp(DQ(x) op DQ(b), min, max)) ('rsub': b - x)
// with b: 'same' rows * inner bytes; 'row' bCount bytes, row r reading
// b[r % bCount] (a [N, C, 1, 1] operand on NCHW); 'column' bCount vectors of
// inner bytes, row r reading vector (r / bRepeat) % bCount (a [N, 1, 1, C]
// operand on NHWC, rows the pixels).
Napi::Value Qx8Binary(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {BINARY_FIELDS, "x", "b", "y", "async"});
  const auto& v = variant_arg(o["variant"]);
  const Qx8BinaryOp op = op_arg(o["op"]);
  const BinaryShape s = binary_shape(o);
  bool x_unsigned = false, b_unsigned = false, y_unsigned = false;
  auto x = byte_array(o["x"], "x", s.total, &x_unsigned);
  auto b = byte_array(o["b"], "b", s.b_length, &b_unsigned);
  auto y = byte_array(o["y"], "y", s.total, &y_unsigned);
  if (b_unsigned != x_unsigned || y_unsigned != x_unsigned) throw_type_error(env, "x, b and y must all be Uint8Array or all Int8Array");
  const sparq::Qx8BinaryParams p = binary_params(o, x_unsigned);
  Job job(env, bool_arg(o["async"], "async"));
  const uint8_t* xs = job.in<uint8_t>(x);
  const uint8_t* bs = job.in<uint8_t>(b);
  uint8_t* ys = job.out<uint8_t>(y);
  return job.run([=, &v] { run_binary(v, s, op, p, !x_unsigned, xs, bs, ys); });
}

// planQx8Binary({ variant, op, rows, inner, broadcast, bCount, bRepeat, xScale, xZeroPoint, bScale, bZeroPoint,
//                 yScale, yZeroPoint, min, max, type: 'uint8' | 'int8' }) -> plan for runPlan(plan, x, y, b).
Napi::Value PlanQx8Binary(const Napi::CallbackInfo& info) {
  const Options o(info, {BINARY_FIELDS, "type"});
  const auto& v = variant_arg(o["variant"]);
  const Qx8BinaryOp op = op_arg(o["op"]);
  const BinaryShape s = binary_shape(o);
  const bool is_unsigned = unsigned_byte_type(o["type"], "type");
  const sparq::Qx8BinaryParams p = binary_params(o, is_unsigned);
  PlannedCall plan;
  plan.x = plan.y = {byte_array_type(is_unsigned), s.total};
  plan.has_b = true;
  plan.b = {byte_array_type(is_unsigned), s.b_length};
  plan.binary = [&v, s, op, p, is_unsigned](const void* x, const void* b, void* y) {
    run_binary(v, s, op, p, !is_unsigned, static_cast<const uint8_t*>(x), static_cast<const uint8_t*>(b), static_cast<uint8_t*>(y));
  };
  return wrap_plan(info.Env(), std::move(plan), nullptr);
}

void run_lookup(const sparq::Qx8ElementwiseVariant& v, std::size_t n, const uint8_t* xs, const uint8_t* table, uint8_t* ys) {
  const std::size_t tasks = (n + kRowChunk - 1) / kRowChunk;
  sparq::parallel_for(tasks, [&](std::size_t task) {
    const std::size_t begin = task * kRowChunk, count = std::min(n - begin, kRowChunk);
    v.lookup(count, xs + begin, table, ys + begin);
  });
}

// qx8Lookup({ variant, x, table, y, async }): y[i] = table[x[i] as a byte]; x and y Uint8Array or Int8Array, table 256 bytes.
Napi::Value Qx8Lookup(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "x", "table", "y", "async"});
  const auto& v = variant_arg(o["variant"]);
  bool x_unsigned = false, y_unsigned = false, t_unsigned = false;
  auto x = byte_array(o["x"], "x", 0, &x_unsigned);
  const std::size_t n = x.ElementLength();
  auto y = byte_array(o["y"], "y", n, &y_unsigned);
  auto table = byte_array(o["table"], "table", 256, &t_unsigned);
  Job job(env, bool_arg(o["async"], "async"));
  const uint8_t* xs = job.in<uint8_t>(x);
  const uint8_t* ts = job.in<uint8_t>(table);
  uint8_t* ys = job.out<uint8_t>(y);
  return job.run([=, &v] { run_lookup(v, n, xs, ts, ys); });
}

// planQx8Lookup({ variant, n, table, xType }) -> plan for runPlan(plan, x, y): n bytes of xType in, of the table's type out; the table is copied.
Napi::Value PlanQx8Lookup(const Napi::CallbackInfo& info) {
  const Options o(info, {"variant", "n", "table", "xType"});
  const auto& v = variant_arg(o["variant"]);
  const std::size_t n = size_arg(o["n"], "n");
  const bool x_unsigned = unsigned_byte_type(o["xType"], "xType");
  bool t_unsigned = false;
  auto table = byte_array(o["table"], "table", 256, &t_unsigned);
  std::array<uint8_t, 256> copy;
  std::memcpy(copy.data(), array_data<uint8_t>(table), 256);
  PlannedCall plan;
  plan.x = {byte_array_type(x_unsigned), n};
  plan.y = {byte_array_type(t_unsigned), n};
  plan.kernel = [&v, n, copy](const void*, const void* x, void* y) {
    run_lookup(v, n, static_cast<const uint8_t*>(x), copy.data(), static_cast<uint8_t*>(y));
  };
  return wrap_plan(info.Env(), std::move(plan), nullptr);
}

struct PoolShape {
  std::size_t images, channels, plane, planes;
  bool channels_last;
  float x_scale, y_scale;
  int32_t x_zero, y_zero;
};

PoolShape pool_shape(const Options& o, bool x_unsigned, bool y_unsigned) {
  const Napi::Env env = o["plane"].Env();
  PoolShape s{size_arg(o["images"], "images"), size_arg(o["channels"], "channels"), size_arg(o["plane"], "plane"), 0,
              bool_arg(o["channelsLast"], "channelsLast"), scale_arg(o["xScale"], "xScale"), scale_arg(o["yScale"], "yScale"),
              zero_point_arg(o["xZeroPoint"], "xZeroPoint", x_unsigned), zero_point_arg(o["yZeroPoint"], "yZeroPoint", y_unsigned)};
  if (s.plane == 0) throw_range_error(env, "plane must be >= 1");
  s.planes = checked_mul(env, s.images, s.channels, "y");
  checked_mul(env, s.planes, s.plane, "x");
  return s;
}

// Q(sum / plane) for `count` channels' float sums, into y.
void quantize_means(const PoolShape& s, bool y_signed, const float* sums, std::size_t count, uint8_t* y) {
  for (std::size_t c = 0; c < count; c++)
    y[c] = static_cast<uint8_t>(sparq::qx8_quantize_one(sums[c] / static_cast<float>(s.plane), s.y_scale, s.y_zero, y_signed));
}

// NHWC: tasks of whole 16-channel blocks of one image (about kRowChunk bytes
// read each), each summed by the kernel's column sums kSumsBlock channels at a time.
void run_pool_channels_last(const sparq::Qx8ElementwiseVariant& v, const PoolShape& s, bool x_signed, bool y_signed,
                            const uint8_t* xs, uint8_t* ys) {
  constexpr std::size_t kSumsBlock = 64;
  if (s.planes == 0) return;  // no channels (or images): nothing to split
  const std::size_t per = std::min(s.channels, std::max<std::size_t>(1, kRowChunk / s.plane / 16) * 16);
  const std::size_t tasks_per_image = (s.channels + per - 1) / per;
  sparq::parallel_for(s.images * tasks_per_image, [&](std::size_t task) {
    const std::size_t image = task / tasks_per_image, begin = task % tasks_per_image * per;
    const std::size_t end = std::min(s.channels, begin + per);
    const uint8_t* x = xs + image * s.plane * s.channels;
    for (std::size_t c = begin; c < end; c += kSumsBlock) {
      const std::size_t count = std::min(kSumsBlock, end - c);
      float sums[kSumsBlock];
      v.dequantized_column_sums(s.plane, count, s.channels, x + c, x_signed, s.x_scale, s.x_zero, sums);
      quantize_means(s, y_signed, sums, count, ys + image * s.channels + c);
    }
  });
}

// Both layouts sum each channel in the kernel's one order, so they give the same bytes.
void run_pool(const sparq::Qx8ElementwiseVariant& v, const PoolShape& s, bool x_signed, bool y_signed, const uint8_t* xs,
              uint8_t* ys) {
  if (s.channels_last) return run_pool_channels_last(v, s, x_signed, y_signed, xs, ys);
  const std::size_t per = std::max<std::size_t>(1, kRowChunk / s.plane);
  sparq::parallel_for((s.planes + per - 1) / per, [&](std::size_t task) {
    const std::size_t end = std::min(s.planes, (task + 1) * per);
    for (std::size_t p = task * per; p < end; p++) {
      const float sum = v.dequantized_sum(s.plane, xs + p * s.plane, x_signed, s.x_scale, s.x_zero);
      quantize_means(s, y_signed, &sum, 1, ys + p);
    }
  });
}

#define POOL_FIELDS "variant", "images", "channels", "plane", "channelsLast", "xScale", "xZeroPoint", "yScale", "yZeroPoint"

// qx8GlobalAveragePool({ variant, x, y, images, channels, plane, channelsLast, xScale, xZeroPoint, yScale,
//                        yZeroPoint, async })
// x: images * channels planes of `plane` bytes, [N, C, plane] or (channelsLast) [N, plane, C]; y: images *
// channels bytes, y = Q(the float sum of DQ(x) over the plane in the kernel's order / plane).
Napi::Value Qx8GlobalAveragePool(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {POOL_FIELDS, "x", "y", "async"});
  const auto& v = variant_arg(o["variant"]);
  bool x_unsigned = false, y_unsigned = false;
  auto x = byte_array(o["x"], "x", 0, &x_unsigned);
  auto y = byte_array(o["y"], "y", 0, &y_unsigned);
  const PoolShape s = pool_shape(o, x_unsigned, y_unsigned);
  if (x.ElementLength() < s.planes * s.plane) throw_range_error(env, "x has fewer than images * channels * plane elements");
  if (y.ElementLength() < s.planes) throw_range_error(env, "y has fewer than images * channels elements");
  Job job(env, bool_arg(o["async"], "async"));
  const uint8_t* xs = job.in<uint8_t>(x);
  uint8_t* ys = job.out<uint8_t>(y);
  return job.run([=, &v] { run_pool(v, s, !x_unsigned, !y_unsigned, xs, ys); });
}

// planQx8GlobalAveragePool({ variant, images, channels, plane, channelsLast, xScale, xZeroPoint, yScale, yZeroPoint,
//                            xType, yType }) -> plan for runPlan(plan, x, y).
Napi::Value PlanQx8GlobalAveragePool(const Napi::CallbackInfo& info) {
  const Options o(info, {POOL_FIELDS, "xType", "yType"});
  const auto& v = variant_arg(o["variant"]);
  const bool x_unsigned = unsigned_byte_type(o["xType"], "xType"), y_unsigned = unsigned_byte_type(o["yType"], "yType");
  const PoolShape s = pool_shape(o, x_unsigned, y_unsigned);
  PlannedCall plan;
  plan.x = {byte_array_type(x_unsigned), s.planes * s.plane};
  plan.y = {byte_array_type(y_unsigned), s.planes};
  plan.kernel = [&v, s, x_unsigned, y_unsigned](const void*, const void* x, void* y) {
    run_pool(v, s, !x_unsigned, !y_unsigned, static_cast<const uint8_t*>(x), static_cast<uint8_t*>(y));
  };
  return wrap_plan(info.Env(), std::move(plan), nullptr);
}

}  // namespace

void register_qx8_elementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("qx8Binary", Napi::Function::New(env, Qx8Binary));
  exports.Set("qx8Lookup", Napi::Function::New(env, Qx8Lookup));
  exports.Set("qx8GlobalAveragePool", Napi::Function::New(env, Qx8GlobalAveragePool));
  exports.Set("planQx8Binary", Napi::Function::New(env, PlanQx8Binary));
  exports.Set("planQx8Lookup", Napi::Function::New(env, PlanQx8Lookup));
  exports.Set("planQx8GlobalAveragePool", Napi::Function::New(env, PlanQx8GlobalAveragePool));
  exports.Set("qx8ElementwiseVariants",
              describe_variants(env, sparq::kQx8ElementwiseVariants, sparq::kQx8ElementwiseVariantCount));
}

}  // namespace sparq_binding
