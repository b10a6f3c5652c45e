// Binding for kernels/x32-transpose: 2-D transpose of 4-byte or 1-byte elements.
#include "kernels/x32-transpose/x32-transpose.h"

#include "args.h"
#include "job.h"
#include "register.h"

namespace sparq_binding {
namespace {

// transpose(src, dst, rows, cols, async): dst [cols, rows] = src [rows, cols]^T.
// src and dst must be typed arrays of the same kind with 4- or 1-byte elements.
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const std::size_t rows = size_arg(info[2], "rows"), cols = size_arg(info[3], "cols");
  const std::size_t size = checked_mul(env, rows, cols, "src");
  if (!info[0].IsTypedArray() || !info[1].IsTypedArray()) throw_type_error(env, "src and dst must be typed arrays");
  const auto src = info[0].As<Napi::TypedArray>(), dst = info[1].As<Napi::TypedArray>();
  if (src.TypedArrayType() != dst.TypedArrayType()) throw_type_error(env, "dst must be the same kind of typed array as src");
  const std::size_t bytes = src.ElementSize();
  if (bytes != 4 && bytes != 1) throw_type_error(env, "src must hold 4-byte or 1-byte elements");
  if (src.ElementLength() < size || dst.ElementLength() < size) throw_range_error(env, "src and dst need rows * cols elements");
  Job job(env, bool_arg(info[4], "async"));
  const uint8_t* s = job.in<uint8_t>(src);
  uint8_t* d = job.out<uint8_t>(dst);
  return job.run([=] {
    if (bytes == 4)
      sparq::x32_transpose(rows, cols, reinterpret_cast<const uint32_t*>(s), cols, reinterpret_cast<uint32_t*>(d), rows);
    else
      sparq::x8_transpose(rows, cols, s, cols, d, rows);
  });
}

}  // namespace

void register_transpose(Napi::Env env, Napi::Object exports) {
  exports.Set("transpose", Napi::Function::New(env, Transpose));
}

}  // namespace sparq_binding
