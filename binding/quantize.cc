// Binding for the element-wise quantization kernels: f32-qx8-quantize,
// qx8-f32-dequantize, qs32-qx8-requantize and f32-minmax, per tensor or per
// axis (see rows.h for the [outer, channels, inner] view).
#include <cmath>
#include <limits>
#include <vector>

#include "args.h"
#include "job.h"
#include "kernels/f32-minmax/f32-minmax.h"
#include "kernels/f32-qx8-quantize/f32-qx8-quantize.h"
#include "kernels/qs32-qx8-requantize/qs32-qx8-requantize.h"
#include "kernels/qx8-f32-dequantize/qx8-f32-dequantize.h"
#include "register.h"
#include "rows.h"
#include "variants.h"

namespace sparq_binding {
namespace {

struct Layout {
  std::size_t outer, channels, inner, total;
};

Layout layout_args(const Napi::CallbackInfo& info, std::size_t first) {
  Layout l{size_arg(info[first], "outer"), size_arg(info[first + 1], "channels"), size_arg(info[first + 2], "inner"), 0};
  if (l.channels == 0) throw_range_error(info.Env(), "channels must be >= 1");
  l.total = checked_mul(info.Env(), checked_mul(info.Env(), l.outer, l.channels, "tensor"), l.inner, "tensor");
  return l;
}

// Scales (Float32Array) and zero points (Int32Array), 1 or `channels` each.
template <typename T>
Napi::TypedArrayOf<T> per_channel(const Napi::Value& v, const char* name, std::size_t channels) {
  auto a = typed_array<T>(v, name, 1);
  if (a.ElementLength() != 1 && a.ElementLength() != channels)
    throw_range_error(v.Env(), std::string(name) + " must have 1 or channels elements");
  return a;
}

template <typename T>
T at(const T* values, std::size_t count, std::size_t channel) {
  return values[count == 1 ? 0 : channel];
}

// Quantize and dequantize share their arguments after the two arrays:
// (variant, x, y, outer, channels, inner, scales, zeroPoints, async), and run
// one row function per (outer, channel) segment with that channel's scale and
// zero point.
template <typename In, typename Out, typename RowFn>
Napi::Value run_per_channel(const Napi::CallbackInfo& info, const Layout& l, const Napi::TypedArray& x,
                            const Napi::TypedArray& y, RowFn fn) {
  auto scales = per_channel<float>(info[6], "scales", l.channels);
  auto zps = per_channel<int32_t>(info[7], "zeroPoints", l.channels);
  Job job(info.Env(), bool_arg(info[8], "async"));
  const In* xs = job.in<In>(x);
  Out* ys = job.out<Out>(y);
  const float* s = job.in<float>(scales);
  const int32_t* z = job.in<int32_t>(zps);
  const std::size_t ns = scales.ElementLength(), nz = zps.ElementLength();
  return job.run([=] {
    for_each_row_segment(l.outer, l.channels, l.inner, [&](std::size_t c, std::size_t off, std::size_t count) {
      fn(count, xs + off, at(s, ns, c), at(z, nz, c), ys + off);
    });
  });
}

// quantize(variant, x: Float32Array, y: Uint8Array | Int8Array, outer, channels, inner, scales, zeroPoints, async)
Napi::Value Quantize(const Napi::CallbackInfo& info) {
  const auto& v = pick_variant(info[0], sparq::kQuantizeVariants, sparq::kQuantizeVariantCount, sparq::quantize_best());
  const Layout l = layout_args(info, 3);
  auto x = typed_array<float>(info[1], "x", l.total);
  bool y_unsigned = false;
  auto y = byte_array(info[2], "y", l.total, &y_unsigned);
  return run_per_channel<float, uint8_t>(info, l, x, y, y_unsigned ? v.to_uint8 : v.to_int8);
}

// dequantize(variant, x: Uint8Array | Int8Array, y: Float32Array, outer, channels, inner, scales, zeroPoints, async)
Napi::Value Dequantize(const Napi::CallbackInfo& info) {
  const auto& v =
      pick_variant(info[0], sparq::kDequantizeVariants, sparq::kDequantizeVariantCount, sparq::dequantize_best());
  const Layout l = layout_args(info, 3);
  bool x_unsigned = false;
  auto x = byte_array(info[1], "x", l.total, &x_unsigned);
  auto y = typed_array<float>(info[2], "y", l.total);
  return run_per_channel<uint8_t, float>(info, l, x, y, x_unsigned ? v.from_uint8 : v.from_int8);
}

// requantize(variant, acc: Int32Array, y: Uint8Array | Int8Array | Float32Array, outer, channels, inner,
//            multipliers: Float32Array, bias: Int32Array | null, zeroPoints: Int32Array, outMin, outMax, fmin, fmax, async)
// bias, multipliers and zero points have 1 or `channels` elements.
Napi::Value Requantize(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const auto& v =
      pick_variant(info[0], sparq::kRequantizeVariants, sparq::kRequantizeVariantCount, sparq::requantize_best());
  const Layout l = layout_args(info, 3);
  auto acc = typed_array<int32_t>(info[1], "acc", l.total);
  if (!info[2].IsTypedArray()) throw_type_error(env, "y must be a Uint8Array, Int8Array or Float32Array");
  auto y = info[2].As<Napi::TypedArray>();
  const napi_typedarray_type y_type = y.TypedArrayType();
  if (y_type != napi_uint8_array && y_type != napi_int8_array && y_type != napi_float32_array)
    throw_type_error(env, "y must be a Uint8Array, Int8Array or Float32Array");
  if (y.ElementLength() < l.total) throw_range_error(env, "y is shorter than the tensor");
  auto mult = per_channel<float>(info[6], "multipliers", l.channels);
  Napi::TypedArrayOf<int32_t> bias;
  const bool has_bias = optional_typed_array<int32_t>(info[7], "bias", 1, &bias);
  if (has_bias && bias.ElementLength() != 1 && bias.ElementLength() != l.channels)
    throw_range_error(env, "bias must have 1 or channels elements");
  auto zps = per_channel<int32_t>(info[8], "zeroPoints", l.channels);
  const bool is_float = y_type == napi_float32_array, is_uint8 = y_type == napi_uint8_array;
  const int64_t lo = is_uint8 ? 0 : -128, hi = is_uint8 ? 255 : 127;
  sparq::RequantizeRow base;
  if (!is_float) {
    base.out_min = static_cast<int32_t>(int_arg(info[9], "outMin", lo, hi));
    base.out_max = static_cast<int32_t>(int_arg(info[10], "outMax", base.out_min, hi));
  }
  base.fmin = static_cast<float>(number_arg(info[11], "fmin"));
  base.fmax = static_cast<float>(number_arg(info[12], "fmax"));
  for (std::size_t i = 0; i < zps.ElementLength(); ++i)
    if (!is_float && (zps[i] < lo || zps[i] > hi)) throw_range_error(env, "zeroPoints out of the output type's range");

  Job job(env, bool_arg(info[13], "async"));
  const int32_t* accs = job.in<int32_t>(acc);
  void* ys = job.out<uint8_t>(y);
  const std::size_t y_size = is_float ? 4 : 1;
  const float* m = job.in<float>(mult);
  const int32_t* b = job.in<int32_t>(info[7]);
  const int32_t* z = job.in<int32_t>(zps);
  const std::size_t nm = mult.ElementLength(), nb = has_bias ? bias.ElementLength() : 0, nz = zps.ElementLength();
  const auto q8 = is_uint8 ? v.to_uint8 : v.to_int8;
  const auto f32 = v.to_float;
  return job.run([=] {
    auto run_row = [&](const sparq::RequantizeRow& p, std::size_t off, std::size_t count) {
      if (is_float)
        f32(count, accs + off, p, static_cast<float*>(ys) + off);
      else
        q8(count, accs + off, p, static_cast<uint8_t*>(ys) + off * y_size);
    };
    if (l.inner == 1 && l.channels > 1 && nz == 1) {
      // Per-channel along the last axis: one row per outer index, with the
      // multiplier and bias stepping along it.
      sparq::RequantizeRow p = base;
      p.multiplier = m;
      p.multiplier_stride = nm == 1 ? 0 : 1;
      p.bias = b;
      p.bias_stride = nb == 1 ? 0 : 1;
      p.zero_point = z[0];
      for_each_row_segment(l.outer, 1, l.channels, [&](std::size_t, std::size_t off, std::size_t count) {
        sparq::RequantizeRow q = p;
        const std::size_t c0 = off % l.channels;
        q.multiplier = m + (nm == 1 ? 0 : c0);
        q.bias = b == nullptr ? nullptr : b + (nb == 1 ? 0 : c0);
        run_row(q, off, count);
      });
      return;
    }
    for_each_row_segment(l.outer, l.channels, l.inner, [&](std::size_t c, std::size_t off, std::size_t count) {
      sparq::RequantizeRow p = base;
      p.multiplier = m + (nm == 1 ? 0 : c);
      p.bias = b == nullptr ? nullptr : b + (nb == 1 ? 0 : c);
      p.zero_point = at(z, nz, c);
      run_row(p, off, count);
    });
  });
}

// minmax(variant, x: Float32Array, outer, channels, inner, min: Float32Array(channels), max: Float32Array(channels), async)
Napi::Value Minmax(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const auto& v = pick_variant(info[0], sparq::kMinmaxVariants, sparq::kMinmaxVariantCount, sparq::minmax_best());
  const Layout l = layout_args(info, 2);
  auto x = typed_array<float>(info[1], "x", l.total);
  auto mins = typed_array<float>(info[5], "min", l.channels);
  auto maxs = typed_array<float>(info[6], "max", l.channels);
  Job job(env, bool_arg(info[7], "async"));
  const float* xs = job.in<float>(x);
  float* lo = job.out<float>(mins);
  float* hi = job.out<float>(maxs);
  return job.run([=] {
    // Each task reduces its own segments; results merge per channel after.
    const std::size_t tasks = (l.total + kRowChunk - 1) / kRowChunk;
    std::vector<float> part_min(std::max<std::size_t>(tasks, 1) * l.channels, INFINITY);
    std::vector<float> part_max(part_min.size(), -INFINITY);
    for_each_row_segment(l.outer, l.channels, l.inner, [&](std::size_t c, std::size_t off, std::size_t count) {
      float mn, mx;
      v.fn(count, xs + off, &mn, &mx);
      const std::size_t slot = off / kRowChunk * l.channels + c;
      part_min[slot] = std::min(part_min[slot], mn);
      part_max[slot] = std::max(part_max[slot], mx);
    });
    for (std::size_t c = 0; c < l.channels; ++c) {
      float mn = INFINITY, mx = -INFINITY;
      for (std::size_t t = 0; t < std::max<std::size_t>(tasks, 1); ++t) {
        mn = std::min(mn, part_min[t * l.channels + c]);
        mx = std::max(mx, part_max[t * l.channels + c]);
      }
      lo[c] = mn;
      hi[c] = mx;
    }
  });
}

}  // namespace

void register_quantize(Napi::Env env, Napi::Object exports) {
  exports.Set("quantize", Napi::Function::New(env, Quantize));
  exports.Set("dequantize", Napi::Function::New(env, Dequantize));
  exports.Set("requantize", Napi::Function::New(env, Requantize));
  exports.Set("minmax", Napi::Function::New(env, Minmax));
  exports.Set("quantizeVariants", describe_variants(env, sparq::kQuantizeVariants, sparq::kQuantizeVariantCount));
  exports.Set("dequantizeVariants", describe_variants(env, sparq::kDequantizeVariants, sparq::kDequantizeVariantCount));
  exports.Set("requantizeVariants", describe_variants(env, sparq::kRequantizeVariants, sparq::kRequantizeVariantCount));
  exports.Set("minmaxVariants", describe_variants(env, sparq::kMinmaxVariants, sparq::kMinmaxVariantCount));
}

}  // namespace sparq_binding
