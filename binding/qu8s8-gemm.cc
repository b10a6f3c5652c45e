// Binding for kernels/qu8s8-gemm: int8 weight packing and the quantized GEMM.
#include "kernels/qu8s8-gemm/qu8s8-gemm.h"

#include "args.h"
#include "register.h"
#include "variants.h"

namespace sparq_binding {

template <>
struct HandleTag<sparq::QPackedB> {
  static constexpr napi_type_tag tag = {0x73706172710f3202ULL, 0x41b7e2c09d6a3f52ULL};
  static constexpr const char* maker = "packQ8Weights";
};

namespace {

// packQ8Weights(b: Uint8Array | Int8Array, k, n, ldb, zeroPoints: same type | null) -> handle
Napi::Value PackQ8Weights(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const std::size_t k = size_arg(info[1], "k"), n = size_arg(info[2], "n"), ldb = size_arg(info[3], "ldb");
  if (ldb < n) throw_range_error(env, "ldb must be >= n");
  bool b_unsigned = false;
  auto b = byte_array(info[0], "b", k == 0 ? 0 : checked_mul(env, k - 1, ldb, "b") + n, &b_unsigned);
  const void* zero_points = nullptr;
  std::size_t zero_point_count = 0;
  if (!info[4].IsNull() && !info[4].IsUndefined()) {
    bool zp_unsigned = false;
    auto zp = byte_array(info[4], "zeroPoints", 1, &zp_unsigned);
    if (zp_unsigned != b_unsigned) throw_type_error(env, "zeroPoints must have the same type as b");
    zero_point_count = zp.ElementLength();
    if (zero_point_count != 1 && zero_point_count != n) throw_range_error(env, "zeroPoints must have 1 or n elements");
    zero_points = static_cast<const uint8_t*>(zp.ArrayBuffer().Data()) + zp.ByteOffset();
  }
  auto packed = std::make_shared<sparq::QPackedB>();
  const void* b_data = static_cast<const uint8_t*>(b.ArrayBuffer().Data()) + b.ByteOffset();
  sparq::qu8s8_gemm_pack_b(k, n, b_data, ldb, b_unsigned, zero_points, zero_point_count, packed.get());
  return wrap_handle(env, std::move(packed));
}

// q8WeightsInfo(handle) -> { k, n, narrow }
Napi::Value Q8WeightsInfo(const Napi::CallbackInfo& info) {
  auto w = unwrap_handle<sparq::QPackedB>(info[0], "weights");
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("k", static_cast<double>(w->k));
  o.Set("n", static_cast<double>(w->n));
  o.Set("narrow", w->narrow);
  return o;
}

struct OutputKind {
  sparq::QOutput kind;
  napi_typedarray_type array_type;
  const char* array_name;
};

OutputKind output_kind(const Napi::Value& v) {
  const std::string s = string_arg(v, "output");
  if (s == "int32") return {sparq::QOutput::kInt32, napi_int32_array, "Int32Array"};
  if (s == "uint8") return {sparq::QOutput::kUint8, napi_uint8_array, "Uint8Array"};
  if (s == "int8") return {sparq::QOutput::kInt8, napi_int8_array, "Int8Array"};
  if (s == "float32") return {sparq::QOutput::kFloat32, napi_float32_array, "Float32Array"};
  throw_range_error(v.Env(), "output must be 'int32', 'uint8', 'int8' or 'float32'");
}


// qu8s8Gemm(variant, weights, a: Uint8Array, m, lda, aZeroPoint, output, c, ldc,
//           bias: Int32Array | null, multiplier: Float32Array | null (1 or n),
//           outZeroPoint, outMin, outMax, fmin, fmax, async)
Napi::Value Qu8s8Gemm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  auto w = unwrap_handle<sparq::QPackedB>(info[1], "weights");
  const sparq::QGemmVariant* variant = &sparq::qu8s8_gemm_best(*w);
  if (!info[0].IsNull() && !info[0].IsUndefined()) {
    variant = &pick_variant(info[0], sparq::kQGemmVariants, sparq::kQGemmVariantCount, *variant);
    if (variant->needs_narrow && !w->narrow)
      throw_range_error(env, std::string("variant ") + variant->name +
                                 " is exact only for weights in [-64, 64] (after the uint8 shift); these are not");
  }
  const std::size_t m = size_arg(info[3], "m"), lda = size_arg(info[4], "lda"), ldc = size_arg(info[8], "ldc");
  if (lda < w->k) throw_range_error(env, "lda must be >= k");
  if (ldc < w->n) throw_range_error(env, "ldc must be >= n");
  auto a = typed_array<uint8_t>(info[2], "a", m == 0 ? 0 : checked_mul(env, m - 1, lda, "a") + w->k);
  sparq::QGemmParams params;
  params.a_zero_point = static_cast<uint8_t>(int_arg(info[5], "aZeroPoint", 0, 255));
  const OutputKind out = output_kind(info[6]);
  params.output = out.kind;
  if (!info[7].IsTypedArray() || info[7].As<Napi::TypedArray>().TypedArrayType() != out.array_type)
    throw_type_error(env, std::string("c must be an ") + out.array_name + " for output " + info[6].As<Napi::String>().Utf8Value());
  auto c = info[7].As<Napi::TypedArray>();
  const std::size_t c_needed = m == 0 ? 0 : checked_mul(env, m - 1, ldc, "c") + w->n;
  if (c.ElementLength() < c_needed) throw_range_error(env, "c is too short for m x n with stride ldc");
  Napi::TypedArrayOf<int32_t> bias;
  if (optional_typed_array<int32_t>(info[9], "bias", w->n, &bias)) {
    params.stage.bias = bias.Data();
    params.stage.bias_stride = 1;
  }
  Napi::TypedArrayOf<float> multiplier;
  if (optional_typed_array<float>(info[10], "multiplier", 1, &multiplier)) {
    if (multiplier.ElementLength() != 1 && multiplier.ElementLength() != w->n)
      throw_range_error(env, "multiplier must have 1 or n elements");
    params.stage.multiplier = multiplier.Data();
    params.stage.multiplier_stride = multiplier.ElementLength() == 1 ? 0 : 1;
  } else if (out.kind != sparq::QOutput::kInt32) {
    throw_type_error(env, "multiplier is required for quantized and float outputs");
  }
  const bool is_uint8 = out.kind == sparq::QOutput::kUint8;
  const int64_t type_lo = is_uint8 ? 0 : -128, type_hi = is_uint8 ? 255 : 127;
  if (out.kind == sparq::QOutput::kUint8 || out.kind == sparq::QOutput::kInt8) {
    params.stage.zero_point = static_cast<int32_t>(int_arg(info[11], "outZeroPoint", type_lo, type_hi));
    params.stage.out_min = static_cast<int32_t>(int_arg(info[12], "outMin", type_lo, type_hi));
    params.stage.out_max = static_cast<int32_t>(int_arg(info[13], "outMax", params.stage.out_min, type_hi));
  }
  params.stage.fmin = static_cast<float>(number_arg(info[14], "fmin"));
  params.stage.fmax = static_cast<float>(number_arg(info[15], "fmax"));
  const bool async = bool_arg(info[16], "async");
  const uint8_t* a_data = a.Data();
  void* c_data = static_cast<uint8_t*>(c.ArrayBuffer().Data()) + c.ByteOffset();
  return run_job(env, async, {a, c, info[9], info[10]}, [variant, w, m, a_data, lda, c_data, ldc, params] {
    sparq::qu8s8_gemm(*variant, m, a_data, lda, *w, c_data, ldc, params);
  });
}

}  // namespace

void register_qu8s8_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("packQ8Weights", Napi::Function::New(env, PackQ8Weights));
  exports.Set("q8WeightsInfo", Napi::Function::New(env, Q8WeightsInfo));
  exports.Set("qu8s8Gemm", Napi::Function::New(env, Qu8s8Gemm));
  Napi::Array variants = describe_variants(env, sparq::kQGemmVariants, sparq::kQGemmVariantCount);
  for (std::size_t i = 0; i < sparq::kQGemmVariantCount; ++i)
    variants.Get(static_cast<uint32_t>(i)).As<Napi::Object>().Set("needsNarrow", sparq::kQGemmVariants[i].needs_narrow);
  exports.Set("qu8s8GemmVariants", variants);
}

}  // namespace sparq_binding
