// Each binding file adds its functions to the addon's exports.
#pragma once

#include <napi.h>

namespace sparq_binding {

void register_system(Napi::Env env, Napi::Object exports);
void register_f32_gemm(Napi::Env env, Napi::Object exports);
void register_qu8s8_gemm(Napi::Env env, Napi::Object exports);
void register_f32_qx8_quantize(Napi::Env env, Napi::Object exports);
void register_qx8_f32_dequantize(Napi::Env env, Napi::Object exports);
void register_qs32_qx8_requantize(Napi::Env env, Napi::Object exports);
void register_f32_minmax(Napi::Env env, Napi::Object exports);
void register_x32_im2col(Napi::Env env, Napi::Object exports);
void register_f32_col2im(Napi::Env env, Napi::Object exports);
void register_f32_spmm(Napi::Env env, Napi::Object exports);
void register_x32_transpose(Napi::Env env, Napi::Object exports);
void register_qu8s8_spmm(Napi::Env env, Napi::Object exports);
void register_f32_maxpool(Napi::Env env, Napi::Object exports);
void register_f32_elementwise(Napi::Env env, Napi::Object exports);
void register_qx8_elementwise(Napi::Env env, Napi::Object exports);
void register_conv2d(Napi::Env env, Napi::Object exports);
void register_f32_dwconv2d(Napi::Env env, Napi::Object exports);
void register_f32_dwconv2d_nhwc(Napi::Env env, Napi::Object exports);
void register_f32_conv2d_nhwc(Napi::Env env, Napi::Object exports);
void register_qu8s8_dwconv2d(Napi::Env env, Napi::Object exports);
void register_qu8s8_dwconv2d_nhwc(Napi::Env env, Napi::Object exports);
void register_qu8s8_conv2d_nhwc(Napi::Env env, Napi::Object exports);
void register_handles(Napi::Env env, Napi::Object exports);
void register_plan(Napi::Env env, Napi::Object exports);

}  // namespace sparq_binding
