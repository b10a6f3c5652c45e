// Binding for kernels/f32-conv2d (dense), kernels/f32-spconv2d (sparse) and
// kernels/qu8s8-conv2d (int8 blocks): weight packing, and the direct
// convolution (any stride) of a batch of NCHW images (float32, or uint8 with its
// zero point) into float32, int32 or requantized uint8/int8 NCHW output.
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

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
  // get the [4 x 4] block format of qu8s8-conv2d, for uint8 images, where
  // TypeScript asks for it (int8Blocks).
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

// packConvWeights({ w: Float32Array, outChannels, taps, kernelH, kernelW, sparse, blockRows, maxRowAbsSum, int8Blocks }) -> handle
// w is [outChannels, taps / (kernelH * kernelW), kernelH, kernelW]; blockRows (1 or 4) groups output
// channels in the sparse format. maxRowAbsSum is the largest sum of |w| over one output channel as
// the TypeScript layer computed it (it decides exactness with it): checked to bound every channel's
// sum here, and kept for conv2d's assertion.
Napi::Value PackConvWeights(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"w", "outChannels", "taps", "kernelH", "kernelW", "sparse", "blockRows", "maxRowAbsSum", "int8Blocks"});
  const std::size_t oc = size_arg(o["outChannels"], "outChannels"), taps = size_arg(o["taps"], "taps");
  auto w = typed_array<float>(o["w"], "w", checked_mul(env, oc, taps, "w"));
  if (taps == 0 || oc == 0) throw_range_error(env, "outChannels and taps must be >= 1");
  auto packed = std::make_shared<PackedConv>();
  packed->sparse = bool_arg(o["sparse"], "sparse");
  const std::size_t block_rows = size_arg(o["blockRows"], "blockRows");
  if (block_rows != 1 && block_rows != 4) throw_range_error(env, "blockRows must be 1 or 4");
  packed->out_channels = oc;
  packed->taps = taps;
  packed->max_row_abs_sum = number_arg(o["maxRowAbsSum"], "maxRowAbsSum");
  for (std::size_t r = 0; r < oc; ++r) {
    double sum = 0;
    for (std::size_t k = 0; k < taps; ++k) sum += std::fabs(w[r * taps + k]);
    if (sum > packed->max_row_abs_sum) throw_range_error(env, "maxRowAbsSum is below output channel " + std::to_string(r) + "'s sum of |w|");
  }
  const std::size_t kernel_h = size_arg(o["kernelH"], "kernelH"), kernel_w = size_arg(o["kernelW"], "kernelW");
  if (kernel_h == 0 || kernel_w == 0 || taps % (kernel_h * kernel_w) != 0)
    throw_range_error(env, "kernelH x kernelW must divide taps");
  packed->kernel_h = kernel_h;
  packed->kernel_w = kernel_w;
  if (packed->sparse)
    sparq::f32_spconv2d_pack(oc, taps, block_rows, w.Data(), &packed->csr);
  else
    sparq::f32_conv2d_pack(oc, taps, w.Data(), &packed->dense);
  // TypeScript decides whether the weights fit the int8 blocks (fitsInt8Blocks); packing asserts it.
  packed->has_q8 = bool_arg(o["int8Blocks"], "int8Blocks");
  if (packed->has_q8 && !(packed->sparse && block_rows == 4)) throw_range_error(env, "int8Blocks needs sparse weights in blocks of 4 rows");
  if (packed->has_q8 && !sparq::qu8s8_conv2d_pack(oc, taps / (kernel_h * kernel_w), kernel_h, kernel_w, w.Data(), &packed->q8))
    throw_range_error(env, "int8Blocks needs integer weights in [-128, 127]");
  return wrap_handle(env, std::move(packed));
}

sparq::ConvOutputKind output_kind(const Napi::Value& v) {
  const std::string kind = string_arg(v, "output");
  if (kind == "float32") return sparq::ConvOutputKind::kFloat32;
  if (kind == "int32") return sparq::ConvOutputKind::kInt32;
  if (kind == "uint8") return sparq::ConvOutputKind::kUint8;
  if (kind == "int8") return sparq::ConvOutputKind::kInt8;
  throw_range_error(v.Env(), "output must be float32, int32, uint8 or int8");
}

enum class ConvFamily { kF32Conv2d, kF32SpConv2d, kQu8s8Conv2d };

ConvFamily conv_family(const Napi::Value& v) {
  const std::string family = string_arg(v, "family");
  if (family == "f32-conv2d") return ConvFamily::kF32Conv2d;
  if (family == "f32-spconv2d") return ConvFamily::kF32SpConv2d;
  if (family == "qu8s8-conv2d") return ConvFamily::kQu8s8Conv2d;
  throw_range_error(v.Env(), "family must be f32-conv2d, f32-spconv2d or qu8s8-conv2d");
}

// Everything of a conv2d call but its two arrays, read and checked once: planConv2d() keeps one
// behind a handle, so a runtime running one layer on same-shaped inputs reads the ~30 fields
// once, not on every run (reading them costs about 5 us, as much as a small layer at batch 1).
// The weights are held weakly: disposing them frees them, and a plan run after that throws.
struct ConvCall {
  std::weak_ptr<const PackedConv> weights;
  sparq::ShiftedConvShape s{};
  bool x_u8 = false;
  int32_t x_zero_point = 0;
  std::size_t x_len = 0, y_len = 0;
  ConvFamily family = ConvFamily::kF32Conv2d;
  const sparq::F32Conv2dVariant* f32 = nullptr;
  const sparq::F32SpConv2dVariant* sparse = nullptr;
  const sparq::Qu8s8Conv2dVariant* q8 = nullptr;
  sparq::ConvOutputParams out{};  // y and the per-channel arrays are pointed at on each run
  // Copies, one value per output channel: a plan must not point into JS arrays that may move or go.
  std::vector<float> bias, multipliers;
  std::vector<int32_t> int_bias;
};

}  // namespace

template <>
struct HandleTag<ConvCall> {
  static constexpr napi_type_tag tag = {0x73706172710c2d02ULL, 0x9d3b6a1e52c4f807ULL};
  static constexpr const char* maker = "planConv2d";
  // A plan's own arrays hold a few values per output channel; the weights it
  // runs on are reported by their own handle (and freed with it).
  static std::size_t bytes(const ConvCall&) { return 0; }
};

namespace {

template <typename T>
std::vector<T> optional_copy(const Napi::Value& v, const char* name, std::size_t count, bool* present) {
  Napi::TypedArrayOf<T> array;
  *present = optional_typed_array<T>(v, name, count, &array);
  return *present ? std::vector<T>(array.Data(), array.Data() + count) : std::vector<T>();
}

// planConv2d({ family, variant | null, weights, xType: 'float32' | 'uint8', xZeroPoint, batch, channels, height, width,
//              kernelH, kernelW, dilationH, dilationW, strideH, strideW, padTop, padLeft, padBottom, padRight,
//              output, bias | null, min, max, intBias | null, multipliers | null, zeroPoint, outMin, outMax,
//              poolKernelH, poolKernelW, poolStrideH, poolStrideW,
//              postActivation?: 'hardswish' | 'hardsigmoid', postAlpha, postBeta }) -> plan
// runConv2dPlan(plan, x: Float32Array | Uint8Array, y, async): the NCHW convolution of x into y.
// Strides above 1 run with dilation 1 (the polyphase layout, shifted-conv.h).
// poolKernelH 0: no pool; else y is the max pool of the convolution (unpadded windows, floor rounding).
// postActivation (float32 output, no pool; omitted: none): HardSwish or HardSigmoid(postAlpha, postBeta)
// after the bias, then [min, max], applied by f32-elementwise to each task's rows while they are in cache.
// The TypeScript layer chooses the family (f32-conv2d for dense weights, f32-spconv2d for sparse,
// qu8s8-conv2d for uint8 x on int8 blocks) and whether integer sums are exact on it; this asserts
// the choice fits the packed weights and x. The variant names one of the family's variants, or
// null for its best.
Napi::Value PlanConv2d(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info, {"family", "variant", "weights", "xType", "xZeroPoint", "batch", "channels", "height", "width",
                         "kernelH", "kernelW", "dilationH", "dilationW", "strideH", "strideW", "padTop", "padLeft", "padBottom", "padRight",
                         "output", "bias", "min", "max", "intBias", "multipliers", "zeroPoint", "outMin", "outMax",
                         "poolKernelH", "poolKernelW", "poolStrideH", "poolStrideW", "postActivation", "postAlpha", "postBeta"});
  auto call = std::make_shared<ConvCall>();
  std::shared_ptr<const PackedConv> w = unwrap_handle<PackedConv>(o["weights"], "weights");
  call->weights = w;
  sparq::ShiftedConvShape& s = call->s;
  s.batch = size_arg(o["batch"], "batch");
  s.channels = size_arg(o["channels"], "channels");
  s.height = size_arg(o["height"], "height");
  s.width = size_arg(o["width"], "width");
  s.kernel_h = size_arg(o["kernelH"], "kernelH");
  s.kernel_w = size_arg(o["kernelW"], "kernelW");
  s.dilation_h = size_arg(o["dilationH"], "dilationH");
  s.dilation_w = size_arg(o["dilationW"], "dilationW");
  s.stride_h = size_arg(o["strideH"], "strideH");
  s.stride_w = size_arg(o["strideW"], "strideW");
  s.pad_top = size_arg(o["padTop"], "padTop");
  s.pad_left = size_arg(o["padLeft"], "padLeft");
  s.pad_bottom = size_arg(o["padBottom"], "padBottom");
  s.pad_right = size_arg(o["padRight"], "padRight");
  s.out_channels = w->out_channels;
  if (s.kernel_h == 0 || s.kernel_w == 0 || s.dilation_h == 0 || s.dilation_w == 0 || s.stride_h == 0 || s.stride_w == 0)
    throw_range_error(env, "kernel, dilations and strides must be >= 1");
  if (s.strided() && (s.dilation_h != 1 || s.dilation_w != 1)) throw_range_error(env, "strides above 1 need dilations 1");
  // The int8 block format's offsets follow the packed kernel shape, not only its tap count.
  if (s.kernel_h != w->kernel_h || s.kernel_w != w->kernel_w) throw_range_error(env, "kernelH and kernelW must be the packed weights'");
  if (checked_mul(env, checked_mul(env, s.channels, s.kernel_h, "taps"), s.kernel_w, "taps") != w->taps)
    throw_range_error(env, "channels x kernelH x kernelW must equal the weights' taps");
  if (s.dilation_h * (s.kernel_h - 1) >= s.padded_h() || s.dilation_w * (s.kernel_w - 1) >= s.padded_w())
    throw_range_error(env, "the dilated kernel is larger than the padded input");
  // Image offsets are int32. (Padded sides of up to 3 x (2^32 - 1) each can overflow plane().)
  const std::size_t plane = checked_mul(env, s.grid_h(), s.grid_w(), "one padded image");
  const std::size_t planes = checked_mul(env, s.channels, s.phases_h() * s.phases_w(), "one padded image");
  if (checked_mul(env, planes, plane, "one padded image") + sparq::kShiftedSlack > std::numeric_limits<int32_t>::max())
    throw_range_error(env, "one padded image must hold fewer than 2^31 values");
  call->x_len = checked_mul(env, checked_mul(env, s.batch, s.channels, "x"), s.height * s.width, "x");
  sparq::ConvOutputParams& out = call->out;
  sparq::ConvPool& pool = out.pool;
  pool.kernel_h = size_arg(o["poolKernelH"], "poolKernelH");
  pool.kernel_w = size_arg(o["poolKernelW"], "poolKernelW");
  pool.stride_h = size_arg(o["poolStrideH"], "poolStrideH");
  pool.stride_w = size_arg(o["poolStrideW"], "poolStrideW");
  std::size_t y_h = s.out_h(), y_w = s.out_w();
  if (pool.active()) {
    if (pool.kernel_w == 0 || pool.stride_h == 0 || pool.stride_w == 0) throw_range_error(env, "pool kernel and strides must be >= 1");
    if (pool.kernel_h > y_h || pool.kernel_w > y_w) throw_range_error(env, "the pool window is larger than the convolution's output");
    y_h = sparq::pooled_h(pool, y_h);
    y_w = sparq::pooled_w(pool, y_w);
  }
  call->y_len = checked_mul(env, checked_mul(env, s.batch, s.out_channels, "y"), y_h * y_w, "y");

  const std::string x_type = string_arg(o["xType"], "xType");
  if (x_type != "float32" && x_type != "uint8") throw_range_error(env, "xType must be float32 or uint8");
  call->x_u8 = x_type == "uint8";
  if (call->x_u8) call->x_zero_point = static_cast<int32_t>(int_arg(o["xZeroPoint"], "xZeroPoint", 0, 255));
  out.kind = output_kind(o["output"]);
  const bool integer = out.kind != sparq::ConvOutputKind::kFloat32;
  if (integer && !call->x_u8) throw_type_error(env, "xType must be uint8 for integer output");
  call->family = conv_family(o["family"]);
  if (call->family == ConvFamily::kF32Conv2d && w->sparse) throw_range_error(env, "family f32-conv2d needs dense weights");
  if (call->family == ConvFamily::kF32SpConv2d && !w->sparse) throw_range_error(env, "family f32-spconv2d needs sparse weights");
  if (call->family == ConvFamily::kQu8s8Conv2d && !(call->x_u8 && w->has_q8))
    throw_range_error(env, "family qu8s8-conv2d needs uint8 x and weights packed with its int8 blocks");
  // Its kernels store int32 sums only (a float32 output has nowhere to take them).
  if (call->family == ConvFamily::kQu8s8Conv2d && !integer) throw_range_error(env, "family qu8s8-conv2d needs int32, uint8 or int8 output");
  // qu8s8-conv2d sums in int32; the float kernels are exact below 2^24, which the caller checked.
  const double x_max = std::max(call->x_zero_point, 255 - call->x_zero_point);
  if (integer && call->family != ConvFamily::kQu8s8Conv2d && !(w->max_row_abs_sum * x_max < kExactFloatSum))
    throw_range_error(env, "integer output on the float kernels needs maxRowAbsSum x max |x - xZeroPoint| < 2^24");
  bool has_bias = false, has_int_bias = false, has_multipliers = false;
  call->bias = optional_copy<float>(o["bias"], "bias", s.out_channels, &has_bias);
  out.min = static_cast<float>(number_arg(o["min"], "min"));
  out.max = static_cast<float>(number_arg(o["max"], "max"));
  call->int_bias = optional_copy<int32_t>(o["intBias"], "intBias", s.out_channels, &has_int_bias);
  const bool quantized = out.kind == sparq::ConvOutputKind::kUint8 || out.kind == sparq::ConvOutputKind::kInt8;
  call->multipliers = optional_copy<float>(o["multipliers"], "multipliers", s.out_channels, &has_multipliers);
  if (!has_multipliers && quantized) throw_type_error(env, "multipliers are required for uint8/int8 output");
  const int64_t lo = out.kind == sparq::ConvOutputKind::kInt8 ? -128 : 0, hi = lo + 255;
  out.zero_point = static_cast<int32_t>(int_arg(o["zeroPoint"], "zeroPoint", lo, hi));
  out.out_min = static_cast<int32_t>(int_arg(o["outMin"], "outMin", lo, hi));
  out.out_max = static_cast<int32_t>(int_arg(o["outMax"], "outMax", out.out_min, hi));
  out.bias = has_bias ? call->bias.data() : nullptr;
  out.int_bias = has_int_bias ? call->int_bias.data() : nullptr;
  out.multipliers = has_multipliers ? call->multipliers.data() : nullptr;
  if (!o["postActivation"].IsUndefined()) {
    const std::string kind = string_arg(o["postActivation"], "postActivation");
    if (kind != "hardswish" && kind != "hardsigmoid") throw_range_error(env, "postActivation must be 'hardswish' or 'hardsigmoid'");
    if (out.kind != sparq::ConvOutputKind::kFloat32 || out.pool.active()) throw_range_error(env, "postActivation needs float32 output without a pool");
    // The tiles store conv + bias unclamped; the post-op applies the activation, then [min, max].
    out.post_op = true;
    out.post.kind = kind == "hardswish" ? sparq::F32ActKind::kHardSwish : sparq::F32ActKind::kHardSigmoid;
    out.post.alpha = static_cast<float>(number_arg(o["postAlpha"], "postAlpha"));
    out.post.beta = static_cast<float>(number_arg(o["postBeta"], "postBeta"));
    out.post.lo = out.min;
    out.post.hi = out.max;
    out.min = -INFINITY;
    out.max = INFINITY;
  }
  switch (call->family) {
    case ConvFamily::kQu8s8Conv2d:
      call->q8 = &pick_variant(o["variant"], sparq::kQu8s8Conv2dVariants, sparq::kQu8s8Conv2dVariantCount, sparq::qu8s8_conv2d_best());
      break;
    case ConvFamily::kF32SpConv2d:
      call->sparse = &pick_variant(o["variant"], sparq::kF32SpConv2dVariants, sparq::kF32SpConv2dVariantCount, sparq::f32_spconv2d_best());
      break;
    case ConvFamily::kF32Conv2d:
      call->f32 = &pick_variant(o["variant"], sparq::kF32Conv2dVariants, sparq::kF32Conv2dVariantCount, sparq::f32_conv2d_best());
      break;
  }
  return wrap_handle(env, std::move(call));
}

Napi::Value RunConv2dPlan(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  std::shared_ptr<const ConvCall> call = unwrap_handle<ConvCall>(info[0], "plan");
  std::shared_ptr<const PackedConv> w = call->weights.lock();
  if (!w) throw_type_error(env, "the plan's weights were disposed");
  Job job(env, bool_arg(info[3], "async"));
  sparq::ConvInput x{};
  if (call->x_u8) {
    x.u8 = job.in<uint8_t>(typed_array<uint8_t>(info[1], "x", call->x_len));
    x.zero_point = call->x_zero_point;
  } else {
    x.f32 = job.in<float>(typed_array<float>(info[1], "x", call->x_len));
  }
  switch (call->out.kind) {
    case sparq::ConvOutputKind::kFloat32: typed_array<float>(info[2], "y", call->y_len); break;
    case sparq::ConvOutputKind::kInt32: typed_array<int32_t>(info[2], "y", call->y_len); break;
    case sparq::ConvOutputKind::kUint8: typed_array<uint8_t>(info[2], "y", call->y_len); break;
    case sparq::ConvOutputKind::kInt8: typed_array<int8_t>(info[2], "y", call->y_len); break;
  }
  sparq::ConvOutputParams out = call->out;
  out.y = job.out<uint8_t>(info[2]);
  // The job holds the plan (its per-channel arrays) and the weights until the kernel is done.
  switch (call->family) {
    case ConvFamily::kQu8s8Conv2d: return job.run([call, w, x, out] { sparq::qu8s8_conv2d(*call->q8, call->s, x, w->q8, out); });
    case ConvFamily::kF32SpConv2d: return job.run([call, w, x, out] { sparq::f32_spconv2d(*call->sparse, call->s, x, w->csr, out); });
    case ConvFamily::kF32Conv2d: break;
  }
  return job.run([call, w, x, out] { sparq::f32_conv2d(*call->f32, call->s, x, w->dense, out); });
}

}  // namespace

void register_conv2d(Napi::Env env, Napi::Object exports) {
  exports.Set("packConvWeights", Napi::Function::New(env, PackConvWeights));
  exports.Set("planConv2d", Napi::Function::New(env, PlanConv2d));
  exports.Set("runConv2dPlan", Napi::Function::New(env, RunConv2dPlan));
  exports.Set("f32Conv2dVariants", describe_variants(env, sparq::kF32Conv2dVariants, sparq::kF32Conv2dVariantCount));
  exports.Set("f32SpConv2dVariants", describe_variants(env, sparq::kF32SpConv2dVariants, sparq::kF32SpConv2dVariantCount));
  exports.Set("qu8s8Conv2dVariants", describe_variants(env, sparq::kQu8s8Conv2dVariants, sparq::kQu8s8Conv2dVariantCount));
}

}  // namespace sparq_binding
