// Binding for kernels/qx8-elementwise: the fused DequantizeLinear -> op ->
// QuantizeLinear tails of int8 models on their 8-bit values: binary ops
// (b the same shape as x, one value per row, or one vector per group of
// rows), 256-entry lookups, and GlobalAveragePool (NCHW planes or NHWC
// columns), split across the thread pool.
#include "kernels/qx8-elementwise/qx8-elementwise.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "job.h"
#include "kernels/common/thread-pool.h"
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
  const Options o(info, {"variant", "op", "x", "b", "y", "rows", "inner", "broadcast", "bCount", "bRepeat", "xScale",
                         "xZeroPoint", "bScale", "bZeroPoint", "yScale", "yZeroPoint", "min", "max", "async"});
  const auto& v = variant_arg(o["variant"]);
  const Qx8BinaryOp op = op_arg(o["op"]);
  const std::size_t rows = size_arg(o["rows"], "rows"), inner = size_arg(o["inner"], "inner");
  const std::size_t total = checked_mul(env, rows, inner, "x");
  const std::string broadcast = string_arg(o["broadcast"], "broadcast");
  const std::size_t b_count = size_arg(o["bCount"], "bCount"), b_repeat = size_arg(o["bRepeat"], "bRepeat");
  std::size_t b_length = total;
  if (broadcast == "row") {
    if (b_count == 0 || rows % b_count != 0) throw_range_error(env, "bCount must divide rows");
    b_length = b_count;
  } else if (broadcast == "column") {
    if (b_count == 0 || b_repeat == 0 || rows % checked_mul(env, b_count, b_repeat, "b") != 0)
      throw_range_error(env, "bCount * bRepeat must divide rows");
    b_length = checked_mul(env, b_count, inner, "b");
  } else if (broadcast != "same") {
    throw_range_error(env, "broadcast must be 'same', 'row' or 'column', got '" + broadcast + "'");
  }
  bool x_unsigned = false, b_unsigned = false, y_unsigned = false;
  auto x = byte_array(o["x"], "x", total, &x_unsigned);
  auto b = byte_array(o["b"], "b", b_length, &b_unsigned);
  auto y = byte_array(o["y"], "y", total, &y_unsigned);
  if (b_unsigned != x_unsigned || y_unsigned != x_unsigned) throw_type_error(env, "x, b and y must all be Uint8Array or all Int8Array");
  sparq::Qx8BinaryParams p;
  p.x_scale = scale_arg(o["xScale"], "xScale");
  p.x_zero_point = zero_point_arg(o["xZeroPoint"], "xZeroPoint", x_unsigned);
  p.b_scale = scale_arg(o["bScale"], "bScale");
  p.b_zero_point = zero_point_arg(o["bZeroPoint"], "bZeroPoint", x_unsigned);
  p.y_scale = scale_arg(o["yScale"], "yScale");
  p.y_zero_point = zero_point_arg(o["yZeroPoint"], "yZeroPoint", x_unsigned);
  p.lo = static_cast<float>(number_arg(o["min"], "min"));
  p.hi = static_cast<float>(number_arg(o["max"], "max"));
  if (!(p.lo <= p.hi)) throw_range_error(env, "min must be <= max (and neither NaN)");
  const bool is_signed = !x_unsigned;
  Job job(env, bool_arg(o["async"], "async"));
  const uint8_t* xs = job.in<uint8_t>(x);
  const uint8_t* bs = job.in<uint8_t>(b);
  uint8_t* ys = job.out<uint8_t>(y);
  const int mode = broadcast == "same" ? 0 : broadcast == "row" ? 1 : 2;
  return job.run([=, &v] {
    for_each_row_segment(1, rows, inner, [&](std::size_t row, std::size_t off, std::size_t count) {
      if (mode == 0) {
        v.binary(count, xs + off, bs + off, ys + off, is_signed, op, p);
      } else if (mode == 1) {
        const uint8_t raw = bs[row % b_count];
        const int32_t value = is_signed ? static_cast<int8_t>(raw) : raw;
        v.binary_scalar(count, xs + off, sparq::qx8_dequantize_one(value, p.b_scale, p.b_zero_point), ys + off, is_signed, op, p);
      } else {
        const uint8_t* vec = bs + ((row / b_repeat) % b_count) * inner + off % inner;
        v.binary(count, xs + off, vec, ys + off, is_signed, op, p);
      }
    });
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
  return job.run([=, &v] {
    const std::size_t tasks = (n + kRowChunk - 1) / kRowChunk;
    sparq::parallel_for(tasks, [&](std::size_t task) {
      const std::size_t begin = task * kRowChunk, count = std::min(n - begin, kRowChunk);
      v.lookup(count, xs + begin, ts, ys + begin);
    });
  });
}

// qx8GlobalAveragePool({ variant, x, y, images, channels, plane, channelsLast, xScale, xZeroPoint, yScale,
//                        yZeroPoint, async })
// x: images * channels planes of `plane` bytes, [N, C, plane] or (channelsLast) [N, plane, C]; y: images *
// channels bytes, y = Q(the float sum of DQ(x) over the plane in the kernel's order / plane). NHWC columns
// are gathered into a plane first, so both layouts sum in one order.
Napi::Value Qx8GlobalAveragePool(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "x", "y", "images", "channels", "plane", "channelsLast", "xScale", "xZeroPoint",
                         "yScale", "yZeroPoint", "async"});
  const auto& v = variant_arg(o["variant"]);
  const std::size_t images = size_arg(o["images"], "images"), channels = size_arg(o["channels"], "channels");
  const std::size_t plane = size_arg(o["plane"], "plane");
  if (plane == 0) throw_range_error(env, "plane must be >= 1");
  const std::size_t planes = checked_mul(env, images, channels, "y");
  const bool channels_last = bool_arg(o["channelsLast"], "channelsLast");
  bool x_unsigned = false, y_unsigned = false;
  auto x = byte_array(o["x"], "x", checked_mul(env, planes, plane, "x"), &x_unsigned);
  auto y = byte_array(o["y"], "y", planes, &y_unsigned);
  const float x_scale = scale_arg(o["xScale"], "xScale"), y_scale = scale_arg(o["yScale"], "yScale");
  const int32_t x_zero = zero_point_arg(o["xZeroPoint"], "xZeroPoint", x_unsigned);
  const int32_t y_zero = zero_point_arg(o["yZeroPoint"], "yZeroPoint", y_unsigned);
  Job job(env, bool_arg(o["async"], "async"));
  const uint8_t* xs = job.in<uint8_t>(x);
  uint8_t* ys = job.out<uint8_t>(y);
  return job.run([=, &v] {
    const std::size_t per = std::max<std::size_t>(1, kRowChunk / plane);
    sparq::parallel_for((planes + per - 1) / per, [&](std::size_t task) {
      std::vector<uint8_t> column(channels_last ? plane : 0);
      const std::size_t end = std::min(planes, (task + 1) * per);
      for (std::size_t p = task * per; p < end; p++) {
        const uint8_t* src = xs + p * plane;
        if (channels_last) {
          const std::size_t n = p / channels, c = p % channels;
          for (std::size_t i = 0; i < plane; i++) column[i] = xs[(n * plane + i) * channels + c];
          src = column.data();
        }
        const float mean = v.dequantized_sum(plane, src, !x_unsigned, x_scale, x_zero) / static_cast<float>(plane);
        ys[p] = static_cast<uint8_t>(sparq::qx8_quantize_one(mean, y_scale, y_zero, !y_unsigned));
      }
    });
  });
}

}  // namespace

void register_qx8_elementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("qx8Binary", Napi::Function::New(env, Qx8Binary));
  exports.Set("qx8Lookup", Napi::Function::New(env, Qx8Lookup));
  exports.Set("qx8GlobalAveragePool", Napi::Function::New(env, Qx8GlobalAveragePool));
  exports.Set("qx8ElementwiseVariants",
              describe_variants(env, sparq::kQx8ElementwiseVariants, sparq::kQx8ElementwiseVariantCount));
}

}  // namespace sparq_binding
