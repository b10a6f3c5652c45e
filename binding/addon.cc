// The sparq native addon: registers every binding. Context-aware, so it loads
// in worker_threads too (all state lives in the kernels' process-wide pool).
#include <napi.h>

#include "register.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  sparq_binding::register_system(env, exports);
  sparq_binding::register_f32_gemm(env, exports);
  sparq_binding::register_qu8s8_gemm(env, exports);
  sparq_binding::register_f32_qx8_quantize(env, exports);
  sparq_binding::register_qx8_f32_dequantize(env, exports);
  sparq_binding::register_qs32_qx8_requantize(env, exports);
  sparq_binding::register_f32_minmax(env, exports);
  sparq_binding::register_x32_im2col(env, exports);
  sparq_binding::register_f32_col2im(env, exports);
  sparq_binding::register_f32_spmm(env, exports);
  sparq_binding::register_x32_transpose(env, exports);
  sparq_binding::register_qu8s8_spmm(env, exports);
  sparq_binding::register_f32_maxpool(env, exports);
  sparq_binding::register_f32_elementwise(env, exports);
  sparq_binding::register_qx8_elementwise(env, exports);
  sparq_binding::register_conv2d(env, exports);
  sparq_binding::register_f32_dwconv2d(env, exports);
  sparq_binding::register_f32_dwconv2d_nhwc(env, exports);
  sparq_binding::register_f32_conv2d_nhwc(env, exports);
  sparq_binding::register_qu8s8_dwconv2d(env, exports);
  sparq_binding::register_qu8s8_dwconv2d_nhwc(env, exports);
  sparq_binding::register_qu8s8_conv2d_nhwc(env, exports);
  sparq_binding::register_handles(env, exports);
  sparq_binding::register_plan(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(sparq, Init)
