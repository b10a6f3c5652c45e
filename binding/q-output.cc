// Output-stage argument parsing shared by the quantized kernels' bindings.
#include "q-output.h"

#include <string>

#include "args.h"

namespace sparq_binding {
namespace {

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

// The fields but c and the pointers to bias and multiplier, into `out`; those two arrays, checked, into the last two.
OutputKind read_stage(const Options& o, std::size_t cols, std::size_t channels, QOutputArgs* out, Napi::TypedArrayOf<int32_t>* bias,
                      Napi::TypedArrayOf<float>* multiplier) {
  const Napi::Env env = o["output"].Env();
  sparq::QGemmParams& params = out->params;
  const OutputKind kind = output_kind(o["output"]);
  params.output = kind.kind;
  out->ldc = size_arg(o["ldc"], "ldc");
  if (out->ldc < cols) throw_range_error(env, "ldc must be >= " + std::to_string(cols));
  if (optional_typed_array<int32_t>(o["bias"], "bias", channels, bias)) params.stage.bias_stride = 1;
  if (optional_typed_array<float>(o["multiplier"], "multiplier", 1, multiplier)) {
    if (multiplier->ElementLength() != 1 && multiplier->ElementLength() != channels)
      throw_range_error(env, "multiplier must have 1 or " + std::to_string(channels) + " elements");
    params.stage.multiplier_stride = multiplier->ElementLength() == 1 ? 0 : 1;
  } else if (kind.kind != sparq::QOutput::kInt32) {
    throw_type_error(env, "multiplier is required for quantized and float outputs");
  }
  const bool is_uint8 = kind.kind == sparq::QOutput::kUint8;
  const int64_t type_lo = is_uint8 ? 0 : -128, type_hi = is_uint8 ? 255 : 127;
  if (kind.kind == sparq::QOutput::kUint8 || kind.kind == sparq::QOutput::kInt8) {
    params.stage.zero_point = static_cast<int32_t>(int_arg(o["outZeroPoint"], "outZeroPoint", type_lo, type_hi));
    params.stage.out_min = static_cast<int32_t>(int_arg(o["outMin"], "outMin", type_lo, type_hi));
    params.stage.out_max = static_cast<int32_t>(int_arg(o["outMax"], "outMax", params.stage.out_min, type_hi));
  }
  params.stage.fmin = static_cast<float>(number_arg(o["fmin"], "fmin"));
  params.stage.fmax = static_cast<float>(number_arg(o["fmax"], "fmax"));
  return kind;
}

std::size_t c_length(Napi::Env env, std::size_t rows, std::size_t cols, std::size_t ldc) {
  return rows == 0 || cols == 0 ? 0 : checked_mul(env, rows - 1, ldc, "c") + cols;
}

}  // namespace

QOutputArgs output_args(const Options& o, std::size_t rows, std::size_t cols, std::size_t channels, Job& job) {
  const Napi::Env env = o["output"].Env();
  QOutputArgs out;
  Napi::TypedArrayOf<int32_t> bias;
  Napi::TypedArrayOf<float> multiplier;
  const OutputKind kind = read_stage(o, cols, channels, &out, &bias, &multiplier);
  if (!o["c"].IsTypedArray() || o["c"].As<Napi::TypedArray>().TypedArrayType() != kind.array_type)
    throw_type_error(env, std::string("c must be an ") + kind.array_name + " for output " + o["output"].As<Napi::String>().Utf8Value());
  if (o["c"].As<Napi::TypedArray>().ElementLength() < c_length(env, rows, cols, out.ldc)) throw_range_error(env, "c is too short for the output with stride ldc");
  if (out.params.stage.bias_stride != 0) out.params.stage.bias = job.in<int32_t>(bias);
  if (!multiplier.IsEmpty()) out.params.stage.multiplier = job.in<float>(multiplier);
  out.c_data = job.out<uint8_t>(o["c"]);
  return out;
}

PlannedOutput planned_output(const Options& o, std::size_t rows, std::size_t cols, std::size_t channels) {
  PlannedOutput out;
  Napi::TypedArrayOf<int32_t> bias;
  Napi::TypedArrayOf<float> multiplier;
  const OutputKind kind = read_stage(o, cols, channels, &out.args, &bias, &multiplier);
  out.c = {kind.array_type, c_length(o["output"].Env(), rows, cols, out.args.ldc)};
  if (out.args.params.stage.bias_stride != 0) out.bias.assign(bias.Data(), bias.Data() + channels);
  if (!multiplier.IsEmpty()) out.multiplier.assign(multiplier.Data(), multiplier.Data() + multiplier.ElementLength());
  return out;
}

sparq::QGemmParams PlannedOutput::params() const {
  sparq::QGemmParams p = args.params;
  p.stage.bias = bias.empty() ? nullptr : bias.data();
  p.stage.multiplier = multiplier.empty() ? nullptr : multiplier.data();
  return p;
}

}  // namespace sparq_binding
