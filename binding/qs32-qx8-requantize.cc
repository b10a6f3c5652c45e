// Binding for kernels/qs32-qx8-requantize: int32 accumulators to uint8/int8
// or float32, per tensor or per axis (rows.h: the [outer, channels, inner] view).
#include "kernels/qs32-qx8-requantize/qs32-qx8-requantize.h"

#include "args.h"
#include "job.h"
#include "register.h"
#include "rows.h"
#include "variants.h"

namespace sparq_binding {
namespace {

// requantize({ variant, acc: Int32Array, y: Uint8Array | Int8Array | Float32Array, outer, channels, inner,
//              multipliers: Float32Array, bias: Int32Array | null, zeroPoints: Int32Array, outMin, outMax, fmin, fmax,
//              async })
// bias, multipliers and zero points have 1 or `channels` elements.
Napi::Value Requantize(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"variant", "acc", "y", LAYOUT_FIELDS, "multipliers", "bias", "zeroPoints", "outMin", "outMax",
                         "fmin", "fmax", "async"});
  const auto& v =
      pick_variant(o["variant"], sparq::kRequantizeVariants, sparq::kRequantizeVariantCount, sparq::requantize_best());
  const Layout l = layout_args(o);
  auto acc = typed_array<int32_t>(o["acc"], "acc", l.total);
  if (!o["y"].IsTypedArray()) throw_type_error(env, "y must be a Uint8Array, Int8Array or Float32Array");
  auto y = o["y"].As<Napi::TypedArray>();
  const napi_typedarray_type y_type = y.TypedArrayType();
  if (y_type != napi_uint8_array && y_type != napi_int8_array && y_type != napi_float32_array)
    throw_type_error(env, "y must be a Uint8Array, Int8Array or Float32Array");
  if (y.ElementLength() < l.total) throw_range_error(env, "y is shorter than the tensor");
  auto mult = per_channel<float>(o["multipliers"], "multipliers", l.channels);
  Napi::TypedArrayOf<int32_t> bias;
  const bool has_bias = optional_typed_array<int32_t>(o["bias"], "bias", 1, &bias);
  if (has_bias && bias.ElementLength() != 1 && bias.ElementLength() != l.channels)
    throw_range_error(env, "bias must have 1 or channels elements");
  auto zps = per_channel<int32_t>(o["zeroPoints"], "zeroPoints", l.channels);
  const bool is_float = y_type == napi_float32_array, is_uint8 = y_type == napi_uint8_array;
  const int64_t lo = is_uint8 ? 0 : -128, hi = is_uint8 ? 255 : 127;
  sparq::RequantizeRow base;
  if (!is_float) {
    base.out_min = static_cast<int32_t>(int_arg(o["outMin"], "outMin", lo, hi));
    base.out_max = static_cast<int32_t>(int_arg(o["outMax"], "outMax", base.out_min, hi));
  }
  base.fmin = static_cast<float>(number_arg(o["fmin"], "fmin"));
  base.fmax = static_cast<float>(number_arg(o["fmax"], "fmax"));
  if (!is_float) check_byte_zero_points(zps, is_uint8);

  Job job(env, bool_arg(o["async"], "async"));
  const int32_t* accs = job.in<int32_t>(acc);
  void* ys = job.out<uint8_t>(y);
  const std::size_t y_size = is_float ? 4 : 1;
  const float* m = job.in<float>(mult);
  const int32_t* b = job.in<int32_t>(o["bias"]);
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

}  // namespace

void register_qs32_qx8_requantize(Napi::Env env, Napi::Object exports) {
  exports.Set("requantize", Napi::Function::New(env, Requantize));
  exports.Set("qs32Qx8RequantizeVariants",
              describe_variants(env, sparq::kRequantizeVariants, sparq::kRequantizeVariantCount));
}

}  // namespace sparq_binding
