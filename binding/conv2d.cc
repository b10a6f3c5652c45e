// Binding for kernels/f32-conv2d (dense), kernels/f32-spconv2d (sparse) and
// kernels/qu8s8-conv2d (int8 blocks): weight packing, and the direct
// stride-1 convolution of a batch of NCHW images (float32, or uint8 with its
// zero point) into float32, int32 or requantized uint8/int8 NCHW output.
#include <cmath>
#include <limits>
#include <string>

#include "kernels/f32-conv2d/f32-conv2d.h"
#include "kernels/f32-spconv2d/f32-spconv2d.h"
#include "kernels/qu8s8-conv2d/qu8s8-conv2d.h"
#include "args.h"
#include "handles.h"
#include "job.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {

// Conv weights in their packed native form (the handle behind the TS
// ConvWeights), dense or sparse, with what the integer paths need to know.
struct PackedConv {
  bool sparse = false;
  sparq::F32Conv2dWeights dense;
  sparq::F32SpConv2dWeights csr;
  std::size_t out_channels = 0, taps = 0, kernel_h = 0, kernel_w = 0;
  double max_row_abs_sum = 0;  // the largest sum of |w| over one output channel
  // 4-channel blocks of integer weights in [-128, 127] (quantized int8) also
  // get the [4 x 4] block format of qu8s8-conv2d, for uint8 images where the
  // CPU has one of its SIMD variants (AVX2, AVX-512 VNNI).
  bool has_q8 = false;
  sparq::Qu8s8Conv2dWeights q8;
};

template <>
struct HandleTag<PackedConv> {
  static constexpr napi_type_tag tag = {0x73706172710c2d01ULL, 0x4b1e9f07a3d2c655ULL};
  static constexpr const char* maker = "packConvWeights";
  static std::size_t bytes(const PackedConv& w) {
    return vector_bytes(w.dense.strips) + vector_bytes(w.csr.row_start) + vector_bytes(w.csr.tap) + vector_bytes(w.csr.value) +
           vector_bytes(w.q8.row_start) + vector_bytes(w.q8.group) + vector_bytes(w.q8.tap) + vector_bytes(w.q8.words) +
           vector_bytes(w.q8.pairs) + vector_bytes(w.q8.row_sums);
  }
};

namespace {

// Float sums of integers are exact below 2^24.
constexpr double kExactFloatSum = 16777216.0;

// packConvWeights(w: Float32Array, outChannels, taps, sparse, blockRows, kernelH, kernelW) -> handle
// blockRows (1 or 4) groups output channels in the sparse format; w is
// [outChannels, taps / (kernelH * kernelW), kernelH, kernelW].
Napi::Value PackConvWeights(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const std::size_t oc = size_arg(info[1], "outChannels"), taps = size_arg(info[2], "taps");
  auto w = typed_array<float>(info[0], "w", checked_mul(env, oc, taps, "w"));
  if (taps == 0 || oc == 0) throw_range_error(env, "outChannels and taps must be >= 1");
  auto packed = std::make_shared<PackedConv>();
  packed->sparse = bool_arg(info[3], "sparse");
  const std::size_t block_rows = size_arg(info[4], "blockRows");
  if (block_rows != 1 && block_rows != 4) throw_range_error(env, "blockRows must be 1 or 4");
  packed->out_channels = oc;
  packed->taps = taps;
  for (std::size_t o = 0; o < oc; ++o) {
    double sum = 0;
    for (std::size_t k = 0; k < taps; ++k) sum += std::fabs(w[o * taps + k]);
    packed->max_row_abs_sum = std::max(packed->max_row_abs_sum, sum);
  }
  const std::size_t kernel_h = size_arg(info[5], "kernelH"), kernel_w = size_arg(info[6], "kernelW");
  if (kernel_h == 0 || kernel_w == 0 || taps % (kernel_h * kernel_w) != 0)
    throw_range_error(env, "kernelH x kernelW must divide taps");
  packed->kernel_h = kernel_h;
  packed->kernel_w = kernel_w;
  if (packed->sparse)
    sparq::f32_spconv2d_pack(oc, taps, block_rows, w.Data(), &packed->csr);
  else
    sparq::f32_conv2d_pack(oc, taps, w.Data(), &packed->dense);
  if (packed->sparse && block_rows == 4)
    packed->has_q8 = sparq::qu8s8_conv2d_pack(oc, taps / (kernel_h * kernel_w), kernel_h, kernel_w, w.Data(), &packed->q8);
  return wrap_handle(env, std::move(packed));
}

// convWeightsInfo(handle) -> { int8Blocks }: whether qu8s8-conv2d's block format was packed too.
Napi::Value ConvWeightsInfo(const Napi::CallbackInfo& info) {
  std::shared_ptr<const PackedConv> w = unwrap_handle<PackedConv>(info[0], "weights");
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("int8Blocks", w->has_q8);
  return out;
}

sparq::ConvOutputKind output_kind(const Napi::Value& v) {
  const std::string kind = string_arg(v, "output");
  if (kind == "float32") return sparq::ConvOutputKind::kFloat32;
  if (kind == "int32") return sparq::ConvOutputKind::kInt32;
  if (kind == "uint8") return sparq::ConvOutputKind::kUint8;
  if (kind == "int8") return sparq::ConvOutputKind::kInt8;
  throw_range_error(v.Env(), "output must be float32, int32, uint8 or int8");
}

// conv2d(variant | null, weights, x: Float32Array | Uint8Array, xZeroPoint, batch, channels, height, width,
//        kernelH, kernelW, dilationH, dilationW, padTop, padLeft, padBottom, padRight,
//        output, y, bias | null, min, max, intBias | null, multipliers | null, zeroPoint, outMin, outMax,
//        poolKernelH, poolKernelW, poolStrideH, poolStrideW, async)
// poolKernelH 0: no pool; else y is the max pool of the convolution (unpadded windows, floor rounding).
// The variant names an f32-conv2d variant for dense weights, an f32-spconv2d one for sparse, or a
// qu8s8-conv2d one for uint8 x on 4-channel blocks of int8 weights; by default uint8 x runs
// qu8s8-conv2d wherever the weights have its format and the CPU a SIMD variant of it, else the float kernels.
Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  std::shared_ptr<const PackedConv> w = unwrap_handle<PackedConv>(info[1], "weights");
  sparq::ShiftedConvShape s{};
  s.batch = size_arg(info[4], "batch");
  s.channels = size_arg(info[5], "channels");
  s.height = size_arg(info[6], "height");
  s.width = size_arg(info[7], "width");
  s.kernel_h = size_arg(info[8], "kernelH");
  s.kernel_w = size_arg(info[9], "kernelW");
  s.dilation_h = size_arg(info[10], "dilationH");
  s.dilation_w = size_arg(info[11], "dilationW");
  s.pad_top = size_arg(info[12], "padTop");
  s.pad_left = size_arg(info[13], "padLeft");
  s.pad_bottom = size_arg(info[14], "padBottom");
  s.pad_right = size_arg(info[15], "padRight");
  s.out_channels = w->out_channels;
  if (s.kernel_h == 0 || s.kernel_w == 0 || s.dilation_h == 0 || s.dilation_w == 0)
    throw_range_error(env, "kernel and dilations must be >= 1");
  // The int8 block format's offsets follow the packed kernel shape, not only its tap count.
  if (s.kernel_h != w->kernel_h || s.kernel_w != w->kernel_w) throw_range_error(env, "kernelH and kernelW must be the packed weights'");
  if (checked_mul(env, checked_mul(env, s.channels, s.kernel_h, "taps"), s.kernel_w, "taps") != w->taps)
    throw_range_error(env, "channels x kernelH x kernelW must equal the weights' taps");
  if (s.dilation_h * (s.kernel_h - 1) >= s.padded_h() || s.dilation_w * (s.kernel_w - 1) >= s.padded_w())
    throw_range_error(env, "the dilated kernel is larger than the padded input");
  // Image offsets are int32.
  if (checked_mul(env, s.channels, s.plane(), "image") + sparq::kShiftedSlack > std::numeric_limits<int32_t>::max())
    throw_range_error(env, "one padded image must hold fewer than 2^31 values");
  const std::size_t x_len = checked_mul(env, checked_mul(env, s.batch, s.channels, "x"), s.height * s.width, "x");
  sparq::ConvPool pool{};
  pool.kernel_h = size_arg(info[26], "poolKernelH");
  pool.kernel_w = size_arg(info[27], "poolKernelW");
  pool.stride_h = size_arg(info[28], "poolStrideH");
  pool.stride_w = size_arg(info[29], "poolStrideW");
  std::size_t y_h = s.out_h(), y_w = s.out_w();
  if (pool.active()) {
    if (pool.kernel_w == 0 || pool.stride_h == 0 || pool.stride_w == 0) throw_range_error(env, "pool kernel and strides must be >= 1");
    if (pool.kernel_h > y_h || pool.kernel_w > y_w) throw_range_error(env, "the pool window is larger than the convolution's output");
    y_h = sparq::pooled_h(pool, y_h);
    y_w = sparq::pooled_w(pool, y_w);
  }
  const std::size_t y_len = checked_mul(env, checked_mul(env, s.batch, s.out_channels, "y"), y_h * y_w, "y");

  Job job(env, bool_arg(info[30], "async"));
  sparq::ConvInput x{};
  if (info[2].IsTypedArray() && info[2].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    x.u8 = job.in<uint8_t>(typed_array<uint8_t>(info[2], "x", x_len));
    x.zero_point = static_cast<int32_t>(int_arg(info[3], "xZeroPoint", 0, 255));
  } else {
    x.f32 = job.in<float>(typed_array<float>(info[2], "x", x_len));
  }

  sparq::ConvOutputParams out{};
  out.kind = output_kind(info[16]);
  const bool integer = out.kind != sparq::ConvOutputKind::kFloat32;
  // qu8s8-conv2d sums in int32: no 2^24 bound. The float kernels need it.
  const bool named = !info[0].IsNull() && !info[0].IsUndefined();
  const bool q8_named = named && string_arg(info[0], "variant").rfind("qu8s8-conv2d", 0) == 0;
  if (q8_named && !(x.u8 != nullptr && w->has_q8))
    throw_range_error(env, "qu8s8-conv2d variants need uint8 x and weights packed with blockRows 4, integers in [-128, 127]");
  const bool use_q8 = x.u8 != nullptr && w->has_q8 && (q8_named || (!named && sparq::qu8s8_conv2d_best().isa != sparq::Isa::kScalar));
  if (integer) {
    if (x.u8 == nullptr) throw_type_error(env, "x must be a Uint8Array for integer output");
    const double x_max = std::max(x.zero_point, 255 - x.zero_point);
    if (!use_q8 && w->max_row_abs_sum * x_max >= kExactFloatSum)
      throw_range_error(env, "integer output needs sum |w| x max |x - xZeroPoint| < 2^24 per output channel");
  }
  switch (out.kind) {
    case sparq::ConvOutputKind::kFloat32: typed_array<float>(info[17], "y", y_len); break;
    case sparq::ConvOutputKind::kInt32: typed_array<int32_t>(info[17], "y", y_len); break;
    case sparq::ConvOutputKind::kUint8: typed_array<uint8_t>(info[17], "y", y_len); break;
    case sparq::ConvOutputKind::kInt8: typed_array<int8_t>(info[17], "y", y_len); break;
  }
  Napi::TypedArrayOf<float> bias, multipliers;
  Napi::TypedArrayOf<int32_t> int_bias;
  optional_typed_array<float>(info[18], "bias", s.out_channels, &bias);
  out.min = static_cast<float>(number_arg(info[19], "min"));
  out.max = static_cast<float>(number_arg(info[20], "max"));
  optional_typed_array<int32_t>(info[21], "intBias", s.out_channels, &int_bias);
  const bool quantized = out.kind == sparq::ConvOutputKind::kUint8 || out.kind == sparq::ConvOutputKind::kInt8;
  if (!optional_typed_array<float>(info[22], "multipliers", s.out_channels, &multipliers) && quantized)
    throw_type_error(env, "multipliers are required for uint8/int8 output");
  const int64_t lo = out.kind == sparq::ConvOutputKind::kInt8 ? -128 : 0, hi = lo + 255;
  out.zero_point = static_cast<int32_t>(int_arg(info[23], "zeroPoint", lo, hi));
  out.out_min = static_cast<int32_t>(int_arg(info[24], "outMin", lo, hi));
  out.out_max = static_cast<int32_t>(int_arg(info[25], "outMax", out.out_min, hi));
  out.pool = pool;
  out.y = job.out<uint8_t>(info[17]);
  out.bias = job.in<float>(info[18]);
  out.int_bias = job.in<int32_t>(info[21]);
  out.multipliers = job.in<float>(info[22]);
  if (use_q8) {
    const auto& variant = pick_variant(info[0], sparq::kQu8s8Conv2dVariants, sparq::kQu8s8Conv2dVariantCount, sparq::qu8s8_conv2d_best());
    return job.run([&variant, w, s, x, out] { sparq::qu8s8_conv2d(variant, s, x, w->q8, out); });
  }
  if (w->sparse) {
    const auto& variant = pick_variant(info[0], sparq::kF32SpConv2dVariants, sparq::kF32SpConv2dVariantCount, sparq::f32_spconv2d_best());
    return job.run([&variant, w, s, x, out] { sparq::f32_spconv2d(variant, s, x, w->csr, out); });
  }
  const auto& variant = pick_variant(info[0], sparq::kF32Conv2dVariants, sparq::kF32Conv2dVariantCount, sparq::f32_conv2d_best());
  return job.run([&variant, w, s, x, out] { sparq::f32_conv2d(variant, s, x, w->dense, out); });
}

}  // namespace

void register_conv2d(Napi::Env env, Napi::Object exports) {
  exports.Set("packConvWeights", Napi::Function::New(env, PackConvWeights));
  exports.Set("convWeightsInfo", Napi::Function::New(env, ConvWeightsInfo));
  exports.Set("conv2d", Napi::Function::New(env, Conv2d));
  exports.Set("f32Conv2dVariants", describe_variants(env, sparq::kF32Conv2dVariants, sparq::kF32Conv2dVariantCount));
  exports.Set("f32SpConv2dVariants", describe_variants(env, sparq::kF32SpConv2dVariants, sparq::kF32SpConv2dVariantCount));
  exports.Set("qu8s8Conv2dVariants", describe_variants(env, sparq::kQu8s8Conv2dVariants, sparq::kQu8s8Conv2dVariantCount));
}

}  // namespace sparq_binding
